"""A send must have someone to email, or say explicitly that it emails nobody (issue 18).

Sending a draft finalizes and numbers it for good; a send with no ``to`` to a client without
an email used to do that and then email nobody. The domain refuses it before anything
changes, for every face, and ``notify=False`` stays the explicit way to record a send that
went out another way."""

from __future__ import annotations

import msgspec
import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.outputs import DryRunOut, InvoiceOut
from app.domain.schemas import ClientInput, SendInput
from tests.domain.helpers import create, invoice_in


async def _refused(billing: Billing, access: WorkspaceAccess, invoice: InvoiceOut, *, dry_run: bool = False) -> str:
    """Send ``invoice`` with nobody to email: refused naming ``to``; the invoice is as it was."""
    before = msgspec.to_builtins(await billing.invoices.get_out(access, invoice.uuid))
    suggested = await billing.invoices.suggest_number(access)
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.send(access, invoice.uuid, SendInput(message="Hello"), dry_run=dry_run)
    assert [e["field"] for e in refused.value.errors] == ["to"]
    after = msgspec.to_builtins(await billing.invoices.get_out(access, invoice.uuid))
    assert after == before, "a refused send changed the invoice"
    assert await billing.invoices.suggest_number(access) == suggested, "a refused send used up a number"
    return refused.value.errors[0]["message"]


async def test_a_draft_without_a_client_is_not_sent_to_nobody(billing: Billing, access: WorkspaceAccess) -> None:
    """No ``to`` and no client: refused naming ``to`` and saying how to record a send without
    email (notify false); the draft keeps no number, no finalized_at, no new history."""
    draft = await create(billing, access)
    message = await _refused(billing, access, draft)
    assert "notify false" in message
    assert "to" in message


async def test_a_client_without_an_email_is_no_recipient(billing: Billing, access: WorkspaceAccess) -> None:
    """A client on file without an email is refused the same; a dry run is refused too, so
    it never promises a send that would not happen."""
    client = await billing.clients.create_client(access, ClientInput(name="Paper only"))
    draft = await create(billing, access, client_uuid=client.uuid)
    await _refused(billing, access, draft)
    await _refused(billing, access, draft, dry_run=True)


async def test_a_reminder_with_nobody_to_email_is_refused_too(billing: Billing, access: WorkspaceAccess) -> None:
    """A sent invoice without recipients: the reminder records nothing."""
    sent = await invoice_in(billing, access, "sent")
    await _refused(billing, access, sent)


async def test_notify_false_is_the_explicit_send_without_email(billing: Billing, access: WorkspaceAccess) -> None:
    """The same draft with notify false is finalized, numbered and sent, no email queued,
    and its history says nobody was notified."""
    draft = await create(billing, access)
    sent = await billing.invoices.send(access, draft.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    assert (sent.status, sent.deliveries) == ("sent", [])
    assert sent.number
    assert sent.history[-1].data == {"recipients": [], "notify": False}


async def test_an_address_in_to_or_the_clients_email_is_enough(billing: Billing, access: WorkspaceAccess) -> None:
    """``to`` given, or the client's email on file: sent and queued as before."""
    draft = await create(billing, access)
    would = await billing.invoices.send(access, draft.uuid, SendInput(to=["ap@example.com"]), dry_run=True)
    assert isinstance(would, DryRunOut)
    assert would.recipients == ["ap@example.com"]
    client = await billing.clients.create_client(access, ClientInput(name="Acme", email="ap@acme.example"))
    other = await create(billing, access, client_uuid=client.uuid)
    sent = await billing.invoices.send(access, other.uuid, SendInput())
    assert isinstance(sent, InvoiceOut)
    assert [d.to for d in sent.deliveries] == ["ap@acme.example"]
