"""Copies: duplicate_invoice and create_invoice_from_previous make new drafts with the same
content and new dates, never a number or a status carried over."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import NotFound, ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, DuplicateInput, FromPreviousInput, PaymentInput, SendInput
from app.domain.workspaces import today_in
from tests.conftest import make_workspace
from tests.domain.helpers import create, invoice_in, item


def _content(out: InvoiceOut) -> tuple[object, ...]:
    return (
        out.title,
        out.currency,
        out.tax_rate,
        out.notes,
        out.client.uuid if out.client else None,
        [(i.description, i.quantity, i.unit_price, i.tax_rate, i.amount, i.tax_amount) for i in out.items],
        (out.subtotal, out.tax_amount, out.total),
    )


async def test_duplicate_of_a_paid_invoice_is_a_fresh_draft(billing: Billing, access: WorkspaceAccess) -> None:
    """Duplicating keeps title, client, currency, tax, notes and items; the copy is an
    unnumbered, unfinalized draft dated today with the same payment term, and unpaid."""
    client = await billing.clients.create_client(access, ClientInput(name="TechStart", email="ap@techstart.example"))
    source = await invoice_in(
        billing,
        access,
        "paid",
        client_uuid=client.uuid,
        currency="EUR",
        tax_rate=10,
        notes="Net 14",
        issue_date=dt.date(2025, 2, 1),
        due_date=dt.date(2025, 2, 15),
        items=[item("Frontend", 80, 150), item("Design", 20, 120, tax_rate=0)],
    )
    copy = await billing.invoices.duplicate(access, source.uuid, DuplicateInput())
    assert isinstance(copy, InvoiceOut)
    assert copy.uuid != source.uuid
    assert _content(copy) == _content(source)
    today = today_in(access.workspace)
    assert (copy.issue_date, copy.due_date) == (today, today + dt.timedelta(days=14))
    assert (copy.status, copy.number, copy.finalized_at, copy.sent_at, copy.paid_at) == (
        "draft",
        None,
        None,
        None,
        None,
    )
    assert (copy.payments, copy.amount_paid, copy.balance_due) == ([], "0.00", copy.total)
    assert [(h.action, h.data) for h in copy.history] == [("create", {"duplicated_from": str(source.uuid)})]
    untouched = await billing.invoices.get_out(access, source.uuid)
    assert (untouched.status, untouched.number) == ("paid", source.number)


async def test_duplicate_takes_new_dates_and_title(billing: Billing, access: WorkspaceAccess) -> None:
    """Given dates and title are used; a due date before the issue date is refused."""
    source = await create(billing, access, title="March retainer")
    copy = await billing.invoices.duplicate(
        access,
        source.uuid,
        DuplicateInput(title="April retainer", issue_date=dt.date(2026, 4, 1), due_date=dt.date(2026, 4, 30)),
    )
    assert isinstance(copy, InvoiceOut)
    assert (copy.title, copy.issue_date, copy.due_date) == ("April retainer", dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.duplicate(
            access, source.uuid, DuplicateInput(issue_date=dt.date(2026, 4, 2), due_date=dt.date(2026, 4, 1))
        )
    assert refused.value.errors[0]["field"] == "due_date"


async def test_duplicate_of_an_unknown_invoice_is_not_found(billing: Billing, access: WorkspaceAccess) -> None:
    """Duplicating needs an invoice of this workspace."""
    with pytest.raises(NotFound) as missing:
        await billing.invoices.duplicate(access, uuid.uuid4(), DuplicateInput())
    assert missing.value.code == "invoice_not_found"


async def test_from_previous_copies_the_clients_latest_invoice(billing: Billing, access: WorkspaceAccess) -> None:
    """create_from_previous starts from the client's invoice with the latest issue date,
    with the dates given, as an unnumbered draft with the same items."""
    client = await billing.clients.create_client(access, ClientInput(name="Acme Corp"))
    other = await billing.clients.create_client(access, ClientInput(name="Globex"))
    await create(
        billing,
        access,
        client_uuid=client.uuid,
        title="January",
        issue_date=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 4),
        items=[item("January hours", 10, 100)],
    )
    latest = await create(
        billing,
        access,
        client_uuid=client.uuid,
        title="February",
        issue_date=dt.date(2026, 2, 5),
        due_date=dt.date(2026, 3, 7),
        tax_rate=10,
        items=[item("February hours", 12, 100)],
    )
    sent = await billing.invoices.send(access, latest.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    await create(billing, access, client_uuid=other.uuid, title="Other client", issue_date=dt.date(2026, 3, 1))
    new = await billing.invoices.from_previous(
        access, FromPreviousInput(client_uuid=client.uuid, issue_date=dt.date(2026, 3, 5), due_date=dt.date(2026, 4, 4))
    )
    assert isinstance(new, InvoiceOut)
    assert _content(new) == _content(sent)
    assert new.title == "February"
    assert (new.issue_date, new.due_date) == (dt.date(2026, 3, 5), dt.date(2026, 4, 4))
    assert (new.status, new.number, new.finalized_at) == ("draft", None, None)
    assert new.history[0].data == {"created_from": str(latest.uuid)}


async def test_from_previous_keeps_the_payment_term_when_no_due_date(billing: Billing, access: WorkspaceAccess) -> None:
    """Without a due date the copy keeps the source's term (issue to due) from the new issue date."""
    client = await billing.clients.create_client(access, ClientInput(name="Initech"))
    await create(billing, access, client_uuid=client.uuid, issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 8))
    new = await billing.invoices.from_previous(
        access, FromPreviousInput(client_uuid=client.uuid, issue_date=dt.date(2026, 5, 10))
    )
    assert isinstance(new, InvoiceOut)
    assert (new.issue_date, new.due_date) == (dt.date(2026, 5, 10), dt.date(2026, 5, 17))


async def test_from_previous_without_any_invoice_is_not_found(billing: Billing, access: WorkspaceAccess) -> None:
    """A client with no invoice yet gives NotFound (no_previous_invoice), nothing is created."""
    client = await billing.clients.create_client(access, ClientInput(name="Brand New Ltd"))
    with pytest.raises(NotFound) as missing:
        await billing.invoices.from_previous(access, FromPreviousInput(client_uuid=client.uuid))
    assert missing.value.code == "no_previous_invoice"
    assert "Brand New Ltd" in missing.value.detail


async def test_from_previous_with_a_client_of_another_workspace_is_not_found(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """The client must belong to this workspace, even if the caller owns the other one."""
    other = await make_workspace(billing, access.principal)
    foreign = await billing.clients.create_client(other, ClientInput(name="Elsewhere"))
    await create(billing, other, client_uuid=foreign.uuid)
    with pytest.raises(NotFound) as missing:
        await billing.invoices.from_previous(access, FromPreviousInput(client_uuid=foreign.uuid))
    assert (missing.value.code, missing.value.extra["field"]) == ("client_not_found", "client_uuid")


async def test_copies_can_be_sent_and_paid_independently(billing: Billing, access: WorkspaceAccess) -> None:
    """A duplicate gets its own number when sent and its own payments."""
    source = await invoice_in(billing, access, "sent")
    copy = await billing.invoices.duplicate(access, source.uuid, DuplicateInput())
    assert isinstance(copy, InvoiceOut)
    sent = await billing.invoices.send(access, copy.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    assert sent.number is not None
    assert sent.number != source.number
    paid = await billing.invoices.mark_paid(access, copy.uuid, PaymentInput())
    assert isinstance(paid, InvoiceOut)
    assert paid.status == "paid"
    assert (await billing.invoices.get_out(access, source.uuid)).status == "sent"
