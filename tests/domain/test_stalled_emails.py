"""Emails waiting after a failed attempt are found, so that no send stalls silently (issue
18): ``stalled_emails`` counts a workspace's (or one invoice's) emails queued again with a
reason, gives the latest reason and the next try, and sees no other workspace's rows."""

from __future__ import annotations

import datetime as dt

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.deliveries import MAX_ATTEMPTS, DeliveryService, backoff, stalled_emails
from app.domain.outputs import InvoiceOut
from app.domain.schemas import SendInput
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import create

LEASE = dt.timedelta(seconds=60)
CHROMIUM = "PDF rendering is not available: Chromium could not be started"


async def _sent(billing: Billing, access: WorkspaceAccess, *to: str) -> InvoiceOut:
    draft = await create(billing, access)
    sent = await billing.invoices.send(access, draft.uuid, SendInput(to=list(to)))
    assert isinstance(sent, InvoiceOut)
    return sent


async def _fail_once(billing: Billing, delivery: object, reason: str, now: dt.datetime) -> None:
    """What the worker does when an attempt fails for a while: claim, then retry_later."""
    service = DeliveryService(billing.session)
    delivery_id = delivery.uuid  # type: ignore[attr-defined]
    assert await service.claim(delivery_id, LEASE, now)
    await service.retry_later(delivery_id, 1, reason, now)


async def test_a_retried_email_is_stalled_with_its_reason_and_next_try(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """One email retried later with a reason: counted once, with that reason, its attempts
    and the next try after the backoff; the invoice's own query says the same."""
    sent = await _sent(billing, access, "a@example.com", "b@example.com")
    assert await stalled_emails(billing.session, access) is None, "freshly queued emails are not stalled"
    now = dt.datetime.now(dt.UTC)
    await _fail_once(billing, sent.deliveries[0], CHROMIUM, now)

    stalled = await stalled_emails(billing.session, access)
    assert stalled is not None
    assert (stalled.count, stalled.invoices, stalled.reason, stalled.attempts) == (1, 1, CHROMIUM, 1)
    assert stalled.latest_invoice_id == sent.uuid
    assert stalled.next_attempt_at == now + backoff(1)
    assert stalled.max_attempts == MAX_ATTEMPTS
    assert await stalled_emails(billing.session, access, sent.uuid) == stalled
    other = await _sent(billing, access, "c@example.com")
    assert await stalled_emails(billing.session, access, other.uuid) is None


async def test_the_latest_reason_is_given_and_every_stalled_email_counted(
    billing: Billing, access: WorkspaceAccess
) -> None:
    first = await _sent(billing, access, "a@example.com")
    second = await _sent(billing, access, "b@example.com")
    now = dt.datetime.now(dt.UTC)
    await _fail_once(billing, first.deliveries[0], "451 try later", now)
    await _fail_once(billing, second.deliveries[0], CHROMIUM, now + dt.timedelta(seconds=5))
    stalled = await stalled_emails(billing.session, access)
    assert stalled is not None
    assert (stalled.count, stalled.invoices, stalled.reason) == (2, 2, CHROMIUM)
    assert stalled.latest_invoice_id == second.uuid
    assert stalled.next_attempt_at == now + backoff(1), "the soonest next try"


async def test_sent_and_failed_emails_are_not_stalled(billing: Billing, access: WorkspaceAccess) -> None:
    sent = await _sent(billing, access, "a@example.com", "b@example.com")
    service = DeliveryService(billing.session)
    now = dt.datetime.now(dt.UTC)
    for delivery in sent.deliveries:
        assert await service.claim(delivery.uuid, LEASE, now)
    await service.sent(sent.deliveries[0].uuid, 1, now)
    await service.failed(sent.deliveries[1].uuid, 1, "550 no such user", now)
    assert await stalled_emails(billing.session, access) is None


async def test_another_workspaces_stalled_emails_are_not_seen(billing: Billing, access: WorkspaceAccess) -> None:
    """Tenant-safe: a stalled email of one workspace is not in another's count, nor found
    by the other with the first's invoice id."""
    sent = await _sent(billing, access, "a@example.com")
    await _fail_once(billing, sent.deliveries[0], CHROMIUM, dt.datetime.now(dt.UTC))
    stranger = await make_principal(billing, "stranger")
    theirs = await make_workspace(billing, stranger)
    assert await stalled_emails(billing.session, theirs) is None
    assert await stalled_emails(billing.session, theirs, sent.uuid) is None
    assert await stalled_emails(billing.session, access) is not None
