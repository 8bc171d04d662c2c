"""Approvals in the domain (issue 20): a confirmation is decided once, an expired one changes
nothing and says so, another person's approval is not there, an approval made on the page
is done under the assistant's key (so its retry is answered, not repeated), a refusal by
the domain is what the approval records, and only a person changes what needs one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.db.models import Approval
from app.domain.access import Channel, Principal, WorkspaceAccess
from app.domain.approvals import Request, approve_on_page, confirmation_settings, needs_confirmation, summarize
from app.domain.billing import Billing
from app.domain.errors import Conflict, Forbidden, NotFound
from app.domain.schemas import ConfirmationSettings, CreditInput, PaymentInput, SendInput
from tests.conftest import make_principal
from tests.domain.helpers import create, invoice_in, item


async def _ask(billing: Billing, owner: Principal, access: WorkspaceAccess, key: str | None = None) -> Approval:
    draft = await create(billing, access, title="Website", items=[item("Design", "2", "100")])
    send = SendInput(to=["ap@globex.example"])
    request = Request(access, "invoice.send", draft.uuid, send, key, "link")
    preview = await billing.invoices.send(access, draft.uuid, send, dry_run=True)
    return await billing.approvals.ask(owner, request, summarize("send", preview))


async def test_a_confirmation_is_decided_once_and_the_second_answer_is_refused(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    approval = await _ask(billing, owner, access)
    assert approval.summary["recipients"] == ["ap@globex.example"]
    # The dry run numbers the draft as the send would: the person sees the number it gets.
    assert approval.summary["message"].startswith("Send invoice INV-")
    assert (
        "(Website) for no client, 200.00 USD, emailing ap@globex.example? It will be sent."
        in approval.summary["message"]
    )
    decided = await billing.approvals.decide(owner, approval.id, False)
    assert decided.status == "declined"
    with pytest.raises(Conflict) as used:
        await billing.approvals.decide(owner, approval.id, True)
    assert used.value.code == "confirmation_used"


async def test_an_expired_confirmation_changes_nothing_and_says_so(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    approval = await _ask(billing, owner, access)
    await billing.session.execute(
        update(Approval).where(Approval.id == approval.id).values(expires_at=approval.created_at - dt.timedelta(1))
    )
    [listed] = [a for a in await billing.approvals.list_for(owner, "") if a.uuid == approval.id]
    assert listed.status == "expired"
    with pytest.raises(Conflict) as late:
        await approve_on_page(billing, owner.via(Channel.WEB), approval.id, True)
    assert late.value.code == "confirmation_expired"
    invoice = await billing.invoices.get_out(access, approval.target_id)  # type: ignore[arg-type]
    assert (invoice.status, invoice.number) == ("draft", None)


async def test_another_persons_approval_is_not_there(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    approval = await _ask(billing, owner, access)
    stranger = await make_principal(billing, "stranger")
    for attempt in (
        billing.approvals.get_out(stranger, approval.id, ""),
        approve_on_page(billing, stranger, approval.id, True),
    ):
        with pytest.raises(NotFound):
            await attempt


async def test_approved_on_the_page_it_is_done_under_the_assistants_key(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    approval = await _ask(billing, owner, access, key="assistant-key-1")
    done = await approve_on_page(billing, owner.via(Channel.WEB), approval.id, True)
    assert done.status == "approved"
    assert done.outcome is not None
    assert done.outcome["result"]["status"] == "sent"
    # The assistant's retry under its key finds the answer instead of sending again.
    replay = await billing.idempotency.replay(
        owner, "assistant-key-1", f"invoice.send:{access.workspace.slug}:{approval.target_id}",
        SendInput(to=["ap@globex.example"]),
    )  # fmt: skip
    assert replay is not None
    assert replay.response["uuid"] == str(approval.target_id)


async def test_a_change_the_domain_refuses_meanwhile_is_recorded_as_failed(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    approval = await _ask(billing, owner, access)
    await billing.invoices.delete_invoice(access, approval.target_id)  # type: ignore[arg-type]
    done = await approve_on_page(billing, owner.via(Channel.WEB), approval.id, True)
    assert done.status == "failed"
    assert done.outcome is not None
    assert done.outcome["error"]["code"] == "invoice_not_found"


async def test_only_a_person_changes_what_needs_confirming(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    slug = access.workspace.slug
    choice = ConfirmationSettings(confirm_actions=[], confirm_channels=[])
    with pytest.raises(Forbidden) as assistant:
        await confirmation_settings(billing, owner.via(Channel.MCP), slug, choice)
    assert assistant.value.code == "confirmation_settings_not_here"
    await confirmation_settings(billing, owner.via(Channel.WEB), slug, choice)
    assert (access.workspace.confirm_actions, access.workspace.confirm_channels) == ("", "")


async def test_a_refund_or_a_credit_note_approved_on_the_page_is_made_and_confirmed_as_its_kind(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    """A credit note is confirmed as a cancellation is, a refund as a payment (mark_paid);
    approved on the page, each is made, and the question says what it is."""
    paid = await invoice_in(billing, access, "paid", items=[item("Retainer", "1", "300")])
    assert needs_confirmation(access.workspace, "invoice.credit", "mcp_http")
    credit = CreditInput(reason="Scope cut", amount=Decimal(100))
    preview = await billing.invoices.credit(access, paid.uuid, credit, dry_run=True)
    summary = summarize("cancel", preview, "invoice.credit")
    assert summary["message"].startswith("Issue a credit note of 100.00 USD on invoice")
    asked = await billing.approvals.ask(
        owner, Request(access, "invoice.credit", paid.uuid, credit, None, "link"), summary
    )
    assert (await approve_on_page(billing, owner.via(Channel.WEB), asked.id, True)).status == "approved"

    refund = PaymentInput(payment_method="Bank transfer")
    preview = await billing.invoices.record_refund(access, paid.uuid, refund, dry_run=True)
    summary = summarize("mark_paid", preview, "invoice.refund")
    assert summary["message"].startswith("Record a refund on invoice")
    asked = await billing.approvals.ask(
        owner, Request(access, "invoice.refund", paid.uuid, refund, None, "link"), summary
    )
    done = await approve_on_page(billing, owner.via(Channel.WEB), asked.id, True)
    assert done.status == "approved"
    assert (await billing.invoices.get_out(access, paid.uuid)).refund_due == "0.00"
