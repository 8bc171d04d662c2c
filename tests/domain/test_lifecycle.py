"""The invoice status lifecycle (DESIGN.md section 2): every action against every status,
the refusal shape, reminders, partial payments, cancellation reasons and deletion rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.domain import lifecycle
from app.domain.access import Channel, Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import InvalidTransition, NotFound, ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import (
    CancelInput,
    ClientInput,
    CreditInput,
    DuplicateInput,
    InvoiceUpdate,
    PaymentInput,
    SendInput,
)
from app.domain.workspaces import today_in
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import (
    ACTIONS,
    ALLOWED,
    STATES,
    STORED_STATUS,
    allowed_in_order,
    count_invoices,
    create,
    invoice_in,
    item,
)

REASON = "Project scope changed, new invoice to follow"


async def _act(billing: Billing, access: WorkspaceAccess, action: str, invoice: InvoiceOut) -> object:
    invoices = billing.invoices
    if action == "update":
        return await invoices.update_invoice(access, invoice.uuid, InvoiceUpdate(title="Renamed by the test"))
    if action == "finalize":
        return await invoices.finalize(access, invoice.uuid)
    if action == "send":
        return await invoices.send(access, invoice.uuid, SendInput(notify=False))
    if action == "mark_paid":
        return await invoices.mark_paid(access, invoice.uuid, PaymentInput(payment_method="Wire transfer"))
    if action == "cancel":
        return await invoices.cancel(access, invoice.uuid, CancelInput(reason=REASON))
    if action == "delete":
        await invoices.delete_invoice(access, invoice.uuid)
        return None
    if action == "credit":
        return await invoices.credit(access, invoice.uuid, CreditInput(reason=REASON))
    assert action == "duplicate"
    return await invoices.duplicate(access, invoice.uuid, DuplicateInput())


def _last(out: InvoiceOut) -> tuple[str, str | None, str | None]:
    event = out.history[-1]
    return event.action, event.from_status, event.to_status


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
async def test_every_action_against_every_status_follows_the_contract(
    billing: Billing, access: WorkspaceAccess, state: str, action: str
) -> None:
    """The full action x status matrix: allowed actions give the contract's resulting status
    and history; refused ones raise invalid_transition naming the status and the actions
    allowed now, and leave the invoice as it was."""
    before = await invoice_in(billing, access, state)
    status = STORED_STATUS[state]
    assert before.status == status
    assert before.allowed_actions == allowed_in_order(state)

    if action not in ALLOWED[state]:
        with pytest.raises(InvalidTransition) as refused:
            await _act(billing, access, action, before)
        error = refused.value
        assert error.code == "invalid_transition"
        assert error.status == 409
        assert error.extra["action"] == action
        assert error.extra["current_status"] == status
        assert error.extra["allowed_actions"] == allowed_in_order(state)
        row = await billing.invoices.find(access, before.uuid)
        assert error.extra["allowed_actions"] == lifecycle.allowed_actions(row)
        assert error.to_dict()["code"] == "invalid_transition"
        after = await billing.invoices.get_out(access, before.uuid)
        assert after.status == status
        assert len(after.history) == len(before.history)
        assert after.number == before.number
        return

    result = await _act(billing, access, action, before)
    if action == "delete":
        assert result is None
        with pytest.raises(NotFound) as gone:
            await billing.invoices.get_out(access, before.uuid)
        assert gone.value.code == "invoice_not_found"
        return
    assert isinstance(result, InvoiceOut)
    if action == "duplicate":
        assert result.uuid != before.uuid
        assert (result.status, result.number, result.finalized_at) == ("draft", None, None)
        assert [(i.description, i.amount) for i in result.items] == [(i.description, i.amount) for i in before.items]
        assert result.total == before.total
        assert (await billing.invoices.get_out(access, before.uuid)).status == status
        return
    assert result.uuid == before.uuid
    if action == "update":
        assert (result.status, result.title, result.finalized_at) == ("draft", "Renamed by the test", None)
        assert _last(result) == ("update", "draft", "draft")
        assert result.history[-1].data == {"fields": ["title"]}
    elif action == "finalize":
        assert result.status == "draft"
        assert result.finalized_at is not None
        assert result.number == f"INV-{result.issue_date.year}-0001"
        assert _last(result) == ("finalize", "draft", "draft")
        assert result.allowed_actions == allowed_in_order("draft_finalized")
    elif action == "send" and status == "draft":
        assert result.status == "sent"
        assert result.sent_at is not None
        assert result.finalized_at is not None
        assert result.number is not None
        assert [h.action for h in result.history].count("finalize") == 1
        assert _last(result) == ("send", "draft", "sent")
    elif action == "send":
        assert result.status == status
        assert _last(result) == ("remind", status, status)
        assert [h.action for h in result.history].count("send") == 1
        assert result.sent_at == before.sent_at
    elif action == "mark_paid":
        assert result.status == "paid"
        assert result.paid_at is not None
        assert result.balance_due == "0.00"
        assert result.amount_paid == result.total == before.total
        assert [p.amount for p in result.payments] == [before.total]
        assert _last(result) == ("payment", status, "paid")
    elif action == "credit":
        # The whole rest credited: an open invoice is cancelled by it, a paid one owes a refund.
        assert result.credited == before.total
        assert [n.total for n in result.credit_notes] == [before.total]
        assert result.credit_notes[0].number == f"CN-{result.credit_notes[0].issue_date.year}-0001"
        after_credit = "paid" if status == "paid" else "cancelled"
        assert _last(result) == ("credit", status, after_credit)
        assert (result.status, result.balance_due) == (after_credit, "0.00")
        assert result.refund_due == (before.total if status == "paid" else "0.00")
    else:
        assert action == "cancel"
        assert result.status == "cancelled"
        assert result.cancelled_at is not None
        assert result.cancel_reason == REASON
        assert _last(result) == ("cancel", status, "cancelled")
        assert result.history[-1].note == REASON
        # A finalized invoice is cancelled by a credit note for all of it, both in the history.
        finalized = state != "draft"
        assert [n.total for n in result.credit_notes] == ([before.total] if finalized else [])
        if finalized:
            assert [h.action for h in result.history][-2:] == ["credit", "cancel"]
    assert result.allowed_actions == lifecycle.allowed_actions(await billing.invoices.find(access, result.uuid))


async def test_paid_and_cancelled_are_terminal_except_for_duplicate(billing: Billing, access: WorkspaceAccess) -> None:
    """Neither a paid nor a cancelled invoice can be reopened: only duplicate is left (and
    on a paid one, a credit note)."""
    for state, allowed in (("paid", ["duplicate", "credit"]), ("cancelled", ["duplicate"])):
        out = await invoice_in(billing, access, state)
        assert out.allowed_actions == allowed


async def test_send_from_sent_is_a_reminder_and_keeps_the_status(billing: Billing, access: WorkspaceAccess) -> None:
    """A second send of a sent invoice records a "remind" event with its recipients and
    leaves status, number and sent_at untouched."""
    client = await billing.clients.create_client(access, ClientInput(name="Acme", email="ap@acme.example"))
    sent = await invoice_in(billing, access, "sent", client_uuid=client.uuid)
    assert sent.history[-1].data == {"recipients": ["ap@acme.example"]}
    again = await billing.invoices.send(
        access, sent.uuid, SendInput(to=["CFO@Acme.example"], message=" Friendly nudge ")
    )
    assert isinstance(again, InvoiceOut)
    assert (again.status, again.number, again.sent_at) == ("sent", sent.number, sent.sent_at)
    assert _last(again) == ("remind", "sent", "sent")
    assert again.history[-1].data == {"recipients": ["cfo@acme.example"], "message": "Friendly nudge"}


async def test_send_from_overdue_is_a_reminder_and_stays_overdue(billing: Billing, access: WorkspaceAccess) -> None:
    """Reminding about an overdue invoice does not make it "sent" again."""
    overdue = await invoice_in(billing, access, "overdue")
    again = await billing.invoices.send(access, overdue.uuid, SendInput(notify=False))
    assert isinstance(again, InvoiceOut)
    assert again.status == "overdue"
    assert _last(again) == ("remind", "overdue", "overdue")


async def test_send_refuses_a_bad_recipient_before_changing_anything(billing: Billing, access: WorkspaceAccess) -> None:
    """A malformed address in ``to`` is named by its index and the draft stays a draft."""
    draft = await create(billing, access)
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.send(access, draft.uuid, SendInput(to=["ok@example.com", "not-an-email"]))
    assert refused.value.errors[0]["field"] == "to[1]"
    after = await billing.invoices.get_out(access, draft.uuid)
    assert (after.status, after.number, after.finalized_at) == ("draft", None, None)


@pytest.mark.parametrize("action", ["finalize", "send"])
async def test_an_invoice_without_items_cannot_be_finalized_or_sent(
    billing: Billing, access: WorkspaceAccess, action: str
) -> None:
    """Finalizing (directly or through send) needs at least one item; nothing is numbered."""
    empty = await create(billing, access, items=[])
    with pytest.raises(ValidationFailed) as refused:
        await _act(billing, access, action, empty)
    assert refused.value.errors[0]["field"] == "items"
    after = await billing.invoices.get_out(access, empty.uuid)
    assert (after.status, after.number, after.finalized_at) == ("draft", None, None)


@pytest.mark.parametrize("state", ["sent", "overdue"])
async def test_partial_payments_keep_the_status_and_the_last_one_pays(
    billing: Billing, access: WorkspaceAccess, state: str
) -> None:
    """Partial payments on a sent or overdue invoice keep its status and reduce the balance;
    the payment that reaches the total makes it paid."""
    out = await invoice_in(billing, access, state, items=[item(quantity=40, unit_price=150)], tax_rate=10)
    assert out.total == "6600.00"
    first = await billing.invoices.mark_paid(access, out.uuid, PaymentInput(amount=Decimal("1000.50")))
    assert isinstance(first, InvoiceOut)
    assert (first.status, first.amount_paid, first.balance_due) == (state, "1000.50", "5599.50")
    assert _last(first) == ("payment", state, state)
    assert first.paid_at is None
    second = await billing.invoices.mark_paid(
        access, out.uuid, PaymentInput(amount=Decimal("599.50"), payment_method="Card")
    )
    assert isinstance(second, InvoiceOut)
    assert (second.status, second.balance_due) == (state, "5000.00")
    last = await billing.invoices.mark_paid(access, out.uuid, PaymentInput(payment_method="Bank transfer"))
    assert isinstance(last, InvoiceOut)
    assert (last.status, last.amount_paid, last.balance_due) == ("paid", "6600.00", "0.00")
    assert [p.amount for p in last.payments] == ["1000.50", "599.50", "5000.00"]
    assert [p.payment_method for p in last.payments] == ["", "Card", "Bank transfer"]
    assert _last(last) == ("payment", state, "paid")
    assert last.history[-1].data is not None
    assert last.history[-1].data["amount"] == "5000.00"


async def test_exact_final_partial_payment_makes_it_paid(billing: Billing, access: WorkspaceAccess) -> None:
    """An explicit amount equal to the balance settles the invoice."""
    out = await invoice_in(billing, access, "sent", items=[item(quantity=3, unit_price="33.33")])
    paid = await billing.invoices.mark_paid(access, out.uuid, PaymentInput(amount=Decimal(out.balance_due)))
    assert isinstance(paid, InvoiceOut)
    assert (paid.status, paid.balance_due) == ("paid", "0.00")


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        ("100.01", "exceeds the balance"),
        ("0", "greater than 0"),
        ("-5", "greater than 0"),
        ("10.001", "decimal places"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("1E+30", "exceeds the balance"),
        ("-1E+30", "greater than 0"),
        ("123456789012345678901234567.5", "exceeds the balance"),
    ],
)
async def test_bad_payment_amounts_are_refused_naming_amount(
    billing: Billing, access: WorkspaceAccess, amount: str, fragment: str
) -> None:
    """Overpayments, non-positive, over-precise, non-finite and absurd amounts are refused
    on the field "amount"; no payment is recorded."""
    out = await invoice_in(billing, access, "sent")
    assert out.total == "100.00"
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.mark_paid(access, out.uuid, PaymentInput(amount=Decimal(amount)))
    assert refused.value.code == "validation_error"
    assert refused.value.errors[0]["field"] == "amount"
    assert fragment in refused.value.errors[0]["message"]
    after = await billing.invoices.get_out(access, out.uuid)
    assert (after.status, after.amount_paid, after.payments) == ("sent", "0.00", [])


async def test_payment_dates_cannot_be_in_the_future_or_absurd(billing: Billing, access: WorkspaceAccess) -> None:
    """payment_date defaults to the workspace's today, refuses tomorrow and dates out of range."""
    out = await invoice_in(billing, access, "sent")
    today = today_in(access.workspace)
    for bad in (today + dt.timedelta(days=1), dt.date(1999, 12, 31)):
        with pytest.raises(ValidationFailed) as refused:
            await billing.invoices.mark_paid(access, out.uuid, PaymentInput(payment_date=bad))
        assert refused.value.errors[0]["field"] == "payment_date"
    paid = await billing.invoices.mark_paid(access, out.uuid, PaymentInput(amount=Decimal(1)))
    assert isinstance(paid, InvoiceOut)
    assert paid.payments[0].payment_date == today
    yesterday = today - dt.timedelta(days=1)
    rest = await billing.invoices.mark_paid(access, out.uuid, PaymentInput(payment_date=yesterday))
    assert isinstance(rest, InvoiceOut)
    assert rest.payments[-1].payment_date == yesterday


async def test_cancel_without_reason_records_no_note(billing: Billing, access: WorkspaceAccess) -> None:
    """The reason is optional; a blank one is stored as none."""
    out = await create(billing, access)
    cancelled = await billing.invoices.cancel(access, out.uuid, CancelInput(reason="   "))
    assert isinstance(cancelled, InvoiceOut)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", None)
    assert _last(cancelled) == ("cancel", "draft", "cancelled")
    assert cancelled.history[-1].note is None


async def test_cancel_of_a_sent_invoice_keeps_its_number_and_reason(billing: Billing, access: WorkspaceAccess) -> None:
    """A cancelled invoice is a record: it keeps its number and the reason in history."""
    sent = await invoice_in(billing, access, "sent")
    cancelled = await billing.invoices.cancel(access, sent.uuid, CancelInput(reason=f"  {REASON}  "))
    assert isinstance(cancelled, InvoiceOut)
    assert cancelled.number == sent.number
    assert cancelled.cancel_reason == REASON
    assert [(h.action, h.note) for h in cancelled.history][-1] == ("cancel", REASON)


async def test_finalized_draft_is_locked_against_update_and_delete(billing: Billing, access: WorkspaceAccess) -> None:
    """Finalizing locks the content: update and delete are refused with the reason, the
    invoice is still a draft and can still be sent or cancelled."""
    out = await invoice_in(billing, access, "draft_finalized")
    with pytest.raises(InvalidTransition) as update:
        await billing.invoices.update_invoice(access, out.uuid, InvoiceUpdate(notes="late change"))
    assert "locked" in update.value.detail
    with pytest.raises(InvalidTransition) as delete:
        await billing.invoices.delete_invoice(access, out.uuid)
    assert "cancel it instead" in delete.value.detail
    assert delete.value.extra["allowed_actions"] == ["send", "cancel", "duplicate"]
    assert (await billing.invoices.get_out(access, out.uuid)).notes == ""


async def test_delete_removes_only_a_never_finalized_draft(billing: Billing, access: WorkspaceAccess) -> None:
    """Deleting a draft removes it and its items for good; the workspace's other invoices stay."""
    keep = await create(billing, access, title="keep")
    drop = await create(billing, access, title="drop", items=[item(), item("More")])
    assert await count_invoices(billing, access.workspace_id) == 2
    await billing.invoices.delete_invoice(access, drop.uuid)
    await billing.session.commit()
    assert await count_invoices(billing, access.workspace_id) == 1
    assert (await billing.invoices.get_out(access, keep.uuid)).title == "keep"


async def test_history_records_actor_channel_and_oauth_client(billing: Billing) -> None:
    """Every transition names who did it, through which face and with which OAuth client."""
    user = await make_principal(billing, "agent")
    access = await make_workspace(billing, user)
    mcp = Principal(user_id=user.user_id, name=user.name, channel=Channel.MCP, oauth_client_id="claude-desktop")
    mcp_access = await billing.access(mcp, access.workspace.slug)
    out = await create(billing, access)
    sent = await billing.invoices.send(mcp_access, out.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    create_event, finalize_event, send_event = sent.history
    assert (create_event.channel, create_event.oauth_client) == ("api", None)
    for event in (finalize_event, send_event):
        assert (event.channel, event.oauth_client) == ("mcp", "claude-desktop")
        assert event.actor.uuid == user.user_id
        assert event.actor.name == user.name
    assert create_event.at <= finalize_event.at <= send_event.at
