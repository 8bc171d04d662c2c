"""Safety for AI callers (DESIGN.md section 2): idempotency keys replay the first answer and
refuse reuse with other arguments; dry_run shows the would-be result and changes nothing
(checked by reading the database again from another session)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from sqlalchemy import update

from app.db.models import IdempotencyRecord
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Conflict, InvalidTransition, ValidationFailed
from app.domain.idempotency import Replayed, fingerprint
from app.domain.outputs import DryRunOut, InvoiceOut
from app.domain.schemas import CancelInput, ClientInput, InvoiceCreate, InvoiceUpdate, PaymentInput, SendInput
from tests.domain.helpers import count_invoices, create, fresh_billing, invoice_in, item

D = Decimal


def _create_data(title: str = "Website Redesign") -> InvoiceCreate:
    return InvoiceCreate(title=title, tax_rate=D(10), items=[item("Development Services", 40, 150)])


async def _run_create(billing: Billing, access: WorkspaceAccess, key: str | None, data: InvoiceCreate) -> Any:
    return await billing.idempotency.run(
        access.principal,
        key,
        f"invoice.create:{access.workspace.slug}",
        msgspec.to_builtins(data),
        lambda: billing.invoices.create_invoice(access, data),
        access.workspace_id,
    )


# --- idempotency --------------------------------------------------------------------------------


def test_fingerprint_depends_on_operation_and_arguments_not_key_order() -> None:
    """The same arguments in another key order are the same request; other values are not."""
    assert fingerprint("op", {"a": 1, "b": "2"}) == fingerprint("op", {"b": "2", "a": 1})
    assert fingerprint("op", {"a": 1}) != fingerprint("op", {"a": 2})
    assert fingerprint("op", {"a": 1}) != fingerprint("other", {"a": 1})


async def test_same_key_and_arguments_replays_the_first_answer(billing: Billing, access: WorkspaceAccess) -> None:
    """A repeat returns a Replayed carrying the first response and creates nothing new."""
    data = _create_data()
    first = await _run_create(billing, access, "create-1", data)
    assert isinstance(first, InvoiceOut)
    again = await _run_create(billing, access, "create-1", _create_data())
    assert isinstance(again, Replayed)
    assert again.response == msgspec.to_builtins(first)
    assert again.response["total"] == "6600.00"
    assert await count_invoices(billing, access.workspace_id) == 1


async def test_replay_survives_a_new_session(billing: Billing, access: WorkspaceAccess, db: object) -> None:
    """The stored answer is read back from the database by a later request."""
    first = await _run_create(billing, access, "create-committed", _create_data())
    await billing.session.commit()
    async with fresh_billing(db) as other:
        access_again = await other.access(access.principal, access.workspace.slug)
        again = await _run_create(other, access_again, "create-committed", _create_data())
        assert isinstance(again, Replayed)
        assert again.response["uuid"] == str(first.uuid)
        await other.session.commit()
        assert await count_invoices(other, access.workspace_id) == 1


async def test_same_key_with_other_arguments_is_refused(billing: Billing, access: WorkspaceAccess) -> None:
    """Reusing a key for a different request is a Conflict (idempotency_key_reused)."""
    await _run_create(billing, access, "create-2", _create_data("First"))
    with pytest.raises(Conflict) as refused:
        await _run_create(billing, access, "create-2", _create_data("Second"))
    assert refused.value.code == "idempotency_key_reused"
    assert refused.value.extra["field"] == "idempotency_key"
    assert await count_invoices(billing, access.workspace_id) == 1


async def test_without_a_key_every_call_runs(billing: Billing, access: WorkspaceAccess) -> None:
    """No key, no deduplication: two calls create two invoices."""
    a = await _run_create(billing, access, None, _create_data())
    b = await _run_create(billing, access, None, _create_data())
    assert isinstance(a, InvoiceOut)
    assert isinstance(b, InvoiceOut)
    assert a.uuid != b.uuid
    assert await count_invoices(billing, access.workspace_id) == 2


async def test_keys_belong_to_each_user(billing: Billing, access: WorkspaceAccess) -> None:
    """Another user's identical key is theirs: it runs again instead of replaying ours."""
    from tests.domain.helpers import make_member

    colleague = await make_member(billing, access.principal, access, "member")
    mine = await _run_create(billing, access, "shared-key", _create_data())
    theirs = await _run_create(billing, colleague, "shared-key", _create_data())
    assert isinstance(mine, InvoiceOut)
    assert isinstance(theirs, InvoiceOut)
    assert mine.uuid != theirs.uuid


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_key_length_is_checked(billing: Billing, access: WorkspaceAccess, key: str) -> None:
    """Keys are 1 to 255 characters."""
    with pytest.raises(ValidationFailed) as refused:
        await _run_create(billing, access, key, _create_data())
    assert refused.value.errors[0]["field"] == "idempotency_key"
    assert await count_invoices(billing, access.workspace_id) == 0


async def test_an_expired_key_runs_again(billing: Billing, access: WorkspaceAccess) -> None:
    """Keys are kept 24 hours: after that the same key and arguments make a new invoice."""
    first = await _run_create(billing, access, "old-key", _create_data())
    await billing.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == access.principal.user_id, IdempotencyRecord.key == "old-key")
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    again = await _run_create(billing, access, "old-key", _create_data())
    assert isinstance(again, InvoiceOut)
    assert again.uuid != first.uuid
    assert await count_invoices(billing, access.workspace_id) == 2


async def test_idempotent_payment_is_recorded_once(billing: Billing, access: WorkspaceAccess) -> None:
    """A retried mark_paid with the same key does not record a second payment."""
    sent = await invoice_in(billing, access, "sent", items=[item("x", 1, 100)])
    payment = PaymentInput(amount=D(40), payment_method="Wire")

    async def pay() -> Any:
        return await billing.idempotency.run(
            access.principal,
            "pay-once",
            f"invoice.mark_paid:{sent.uuid}",
            msgspec.to_builtins(payment),
            lambda: billing.invoices.mark_paid(access, sent.uuid, payment),
        )

    first = await pay()
    second = await pay()
    assert isinstance(first, InvoiceOut)
    assert isinstance(second, Replayed)
    assert second.response["balance_due"] == "60.00"
    now = await billing.invoices.get_out(access, sent.uuid)
    assert ([p.amount for p in now.payments], now.balance_due) == (["40.00"], "60.00")


# --- dry run ------------------------------------------------------------------------------------


class Committed:
    """Where to re-read from after a dry run. Taken before it: a dry run rolls the caller's
    session back, so the ORM rows behind ``access`` are expired and cannot be used again."""

    def __init__(self, db: object, access: WorkspaceAccess) -> None:
        self.db = db
        self.principal = access.principal
        self.slug = access.workspace.slug
        self.workspace_id = access.workspace_id

    async def invoice(self, invoice: InvoiceOut) -> InvoiceOut:
        async with fresh_billing(self.db) as other:
            return await other.invoices.get_out(await other.access(self.principal, self.slug), invoice.uuid)

    async def count(self) -> int:
        async with fresh_billing(self.db) as other:
            return await count_invoices(other, self.workspace_id)


async def test_dry_run_create_computes_totals_and_writes_nothing(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """A dry-run create answers the would-be invoice with server totals; nothing is stored."""
    await billing.session.commit()
    committed = Committed(db, access)
    result = await billing.invoices.create_invoice(access, _create_data(), dry_run=True)
    assert isinstance(result, DryRunOut)
    assert result.dry_run is True
    assert (result.invoice.status, result.invoice.total, result.recipients) == ("draft", "6600.00", [])
    await billing.session.commit()  # even committing the unit of work afterwards stores nothing
    assert await committed.count() == 0


async def test_dry_run_update_shows_the_change_and_keeps_the_draft(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """A dry-run update returns the recomputed invoice; the stored draft is unchanged."""
    draft = await create(billing, access, title="Before", tax_rate=10, items=[item("Dev", 40, 150)])
    await billing.session.commit()
    committed = Committed(db, access)
    result = await billing.invoices.update_invoice(
        access, draft.uuid, InvoiceUpdate(title="After", tax_rate=D(20)), dry_run=True
    )
    assert isinstance(result, DryRunOut)
    assert (result.invoice.title, result.invoice.tax_amount, result.invoice.total) == ("After", "1200.00", "7200.00")
    assert result.invoice.history[-1].action == "update"
    await billing.session.commit()
    stored = await committed.invoice(draft)
    assert (stored.title, stored.total, len(stored.history)) == ("Before", "6600.00", 1)


async def test_dry_run_send_shows_number_and_recipients_and_takes_no_number(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """A dry-run send shows the resulting status, the number it would take and the
    recipients; the draft stays unnumbered and the number is still free afterwards."""
    client = await billing.clients.create_client(access, ClientInput(name="Acme", email="ap@acme.example"))
    draft = await create(billing, access, client_uuid=client.uuid)
    await billing.session.commit()
    committed = Committed(db, access)
    result = await billing.invoices.send(access, draft.uuid, SendInput(), dry_run=True)
    assert isinstance(result, DryRunOut)
    year = result.invoice.issue_date.year
    assert (result.invoice.status, result.invoice.number) == ("sent", f"INV-{year}-0001")
    assert result.recipients == ["ap@acme.example"]
    await billing.session.commit()
    stored = await committed.invoice(draft)
    assert (stored.status, stored.number, stored.finalized_at, stored.sent_at) == ("draft", None, None, None)
    async with fresh_billing(db) as other:
        real = await other.invoices.send(
            await other.access(committed.principal, committed.slug), draft.uuid, SendInput()
        )
        assert isinstance(real, InvoiceOut)
        await other.session.commit()
    assert (real.status, real.number) == ("sent", f"INV-{year}-0001")


async def test_dry_run_mark_paid_shows_paid_and_records_no_payment(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """A dry-run payment shows the paid invoice; the stored one is still sent and unpaid."""
    sent = await invoice_in(billing, access, "sent", items=[item("x", 2, 50)])
    await billing.session.commit()
    committed = Committed(db, access)
    result = await billing.invoices.mark_paid(access, sent.uuid, PaymentInput(), dry_run=True)
    assert isinstance(result, DryRunOut)
    assert (result.invoice.status, result.invoice.balance_due, len(result.invoice.payments)) == ("paid", "0.00", 1)
    await billing.session.commit()
    stored = await committed.invoice(sent)
    assert (stored.status, stored.amount_paid, stored.payments, stored.paid_at) == ("sent", "0.00", [], None)


async def test_dry_run_cancel_shows_cancelled_and_keeps_it_open(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """A dry-run cancel shows the reason and status; nothing is cancelled."""
    sent = await invoice_in(billing, access, "sent")
    await billing.session.commit()
    committed = Committed(db, access)
    result = await billing.invoices.cancel(access, sent.uuid, CancelInput(reason="test"), dry_run=True)
    assert isinstance(result, DryRunOut)
    assert (result.invoice.status, result.invoice.cancel_reason) == ("cancelled", "test")
    await billing.session.commit()
    stored = await committed.invoice(sent)
    assert (stored.status, stored.cancel_reason, stored.cancelled_at) == ("sent", None, None)
    assert [h.action for h in stored.history] == [h.action for h in sent.history]


async def test_dry_run_is_refused_like_the_real_action(billing: Billing, access: WorkspaceAccess) -> None:
    """dry_run does not bypass the lifecycle: a paid invoice cannot be dry-run cancelled."""
    paid = await invoice_in(billing, access, "paid")
    with pytest.raises(InvalidTransition) as refused:
        await billing.invoices.cancel(access, paid.uuid, CancelInput(), dry_run=True)
    assert refused.value.extra["allowed_actions"] == ["duplicate", "credit"]
