"""Email deliveries in the domain: the outbox rows a send writes in its own transaction,
handed over only after commit; the claim that lets one sender at a time have a row; retries
with backoff until a permanent failure; opens and bounces; the delivery filter."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import EmailDelivery
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.deliveries import MAX_ATTEMPTS, DeliveryService, backoff
from app.domain.errors import ValidationFailed
from app.domain.outbox import DISPATCH, PENDING
from app.domain.outputs import DryRunOut, InvoiceOut
from app.domain.schemas import InvoiceFilter, SendInput
from tests.domain.helpers import count_events, create, fresh_billing, invoice_in

LEASE = dt.timedelta(seconds=60)


async def _sent_to(billing: Billing, access: WorkspaceAccess, *to: str) -> InvoiceOut:
    invoice = await create(billing, access)
    out = await billing.invoices.send(access, invoice.uuid, SendInput(to=list(to), message="Hello"))
    assert isinstance(out, InvoiceOut)
    return out


def _public_token(sent: InvoiceOut) -> str:
    """The token of a sent invoice's public page, where the email's link leads."""
    assert sent.public_url is not None, "a sent invoice has a public page"
    return sent.public_url.rsplit("/", 1)[1]


async def _row(billing: Billing, delivery_id: uuid.UUID) -> EmailDelivery:
    return (
        await billing.session.execute(
            select(EmailDelivery).where(EmailDelivery.id == delivery_id).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def test_send_queues_one_email_per_recipient_and_a_second_send_queues_reminders(
    billing: Billing, access: WorkspaceAccess
) -> None:
    sent = await _sent_to(billing, access, "a@example.com", "b@example.com")
    assert [(d.to, d.kind, d.status, d.attempts) for d in sent.deliveries] == [
        ("a@example.com", "invoice", "queued", 0),
        ("b@example.com", "invoice", "queued", 0),
    ]
    again = await billing.invoices.send(access, sent.uuid, SendInput(to=["a@example.com"]))
    assert isinstance(again, InvoiceOut)
    assert [(d.to, d.kind) for d in again.deliveries][-1] == ("a@example.com", "reminder")
    rows = (await billing.session.execute(select(EmailDelivery).where(EmailDelivery.invoice_id == sent.uuid))).all()
    assert len(rows) == 3
    ids = {r.EmailDelivery.message_id for r in rows}
    assert len(ids) == 3, "each email has its own Message-ID"


async def test_notify_false_records_the_send_without_emailing_anyone(billing: Billing, access: WorkspaceAccess) -> None:
    invoice = await create(billing, access)
    out = await billing.invoices.send(access, invoice.uuid, SendInput(to=["a@example.com"], notify=False))
    assert isinstance(out, InvoiceOut)
    assert out.status == "sent"
    assert out.deliveries == []
    assert out.history[-1].data == {"recipients": [], "notify": False}


async def test_a_dry_run_shows_the_emails_it_would_queue_and_queues_none(
    billing: Billing, access: WorkspaceAccess
) -> None:
    invoice = await create(billing, access)
    preview = await billing.invoices.send(access, invoice.uuid, SendInput(to=["a@example.com"]), dry_run=True)
    assert isinstance(preview, DryRunOut)
    assert [d.to for d in preview.invoice.deliveries] == ["a@example.com"]
    assert billing.session.info.get(PENDING) is None, "nothing is handed over for a dry run"
    stored = await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == invoice.uuid))
    assert stored.all() == []


async def test_emails_are_handed_over_only_after_the_send_commits(
    db: Any, billing: Billing, access: WorkspaceAccess
) -> None:
    await billing.session.commit()  # the workspace, for the sessions below
    handed: list[list[tuple[uuid.UUID, int]]] = []
    maker = db.create_session_maker()
    for outcome in ("rollback", "commit"):
        async with maker() as session:
            session.info[DISPATCH] = handed.append
            billing = Billing(session)
            fresh = await billing.access(access.principal, access.workspace.slug)
            sent = await _sent_to(billing, fresh, "a@example.com")
            assert handed == [], "not before the commit"
            await (session.rollback() if outcome == "rollback" else session.commit())
    assert handed == [[(sent.deliveries[0].uuid, 0)]], "once, for the committed send only"


async def test_only_one_sender_can_claim_an_email_until_its_lease_runs_out(
    db: Any, billing: Billing, access: WorkspaceAccess
) -> None:
    sent = await _sent_to(billing, access, "a@example.com")
    await billing.session.commit()
    delivery_id = sent.deliveries[0].uuid
    now = dt.datetime.now(dt.UTC)
    async with fresh_billing(db) as first, fresh_billing(db) as second:
        assert await DeliveryService(first.session).claim(delivery_id, LEASE, now)
        await first.session.commit()
        assert not await DeliveryService(second.session).claim(delivery_id, LEASE, now)
        due_now = [d for d, _ in await DeliveryService(second.session).due(now, limit=100_000)]
        assert delivery_id not in due_now, "claimed: nobody else is handed it"
        later = now + LEASE + dt.timedelta(seconds=1)
        due_later = await DeliveryService(second.session).due(later, limit=100_000)
        assert (delivery_id, 1) in due_later, "the relay sees it again"
        assert await DeliveryService(second.session).claim(delivery_id, LEASE, later), "the sender died: take over"
        await second.session.commit()
        row = await _row(second, delivery_id)
        assert (row.status, row.attempts) == ("sending", 2)
        await second.session.commit()
        # The first sender wakes up late: its outcome no longer counts.
        assert not await DeliveryService(first.session).sent(delivery_id, attempts=1)
        await first.session.commit()
        assert await DeliveryService(second.session).sent(delivery_id, attempts=2)
        await second.session.commit()
        assert not await DeliveryService(second.session).claim(delivery_id, LEASE, later + LEASE * 10)


async def test_temporary_failures_back_off_then_give_up_and_record_the_failure(
    billing: Billing, access: WorkspaceAccess
) -> None:
    sent = await _sent_to(billing, access, "a@example.com")
    delivery_id = sent.deliveries[0].uuid
    deliveries = DeliveryService(billing.session)
    now = dt.datetime.now(dt.UTC)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await deliveries.claim(delivery_id, LEASE, now)
        status = await deliveries.retry_later(delivery_id, attempt, "451 try later", now)
        row = await _row(billing, delivery_id)
        if attempt < MAX_ATTEMPTS:
            assert status == "queued"
            assert row.next_attempt_at == now + backoff(attempt)
            assert not await deliveries.claim(delivery_id, LEASE, now), "not before its backoff"
            now = row.next_attempt_at
        else:
            assert status == "failed"
            assert row.failed_at is not None
            assert row.reason == f"gave up after {MAX_ATTEMPTS} attempts: 451 try later"
    assert await count_events(billing, sent.uuid, "email_failed") == 1


def test_backoff_grows_fourfold_and_is_capped_at_two_hours() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 7)] == [30, 120, 480, 1920, 7200, 7200]


async def test_an_open_needs_both_tokens_and_counts_once(billing: Billing, access: WorkspaceAccess) -> None:
    sent = await _sent_to(billing, access, "a@example.com")
    delivery_id = sent.deliveries[0].uuid
    public_token = _public_token(sent)
    deliveries = DeliveryService(billing.session)
    token = (await _row(billing, delivery_id)).token
    assert not await deliveries.opened(public_token, token), "a queued email has not been read"
    assert await deliveries.claim(delivery_id, LEASE)
    assert await deliveries.sent(delivery_id, 1)
    other = await _sent_to(billing, access, "b@example.com")
    assert not await deliveries.opened(_public_token(other), token), "another invoice's page"
    assert await deliveries.opened(public_token, token)
    assert not await deliveries.opened(public_token, token)
    row = await _row(billing, delivery_id)
    assert row.status == "opened"
    assert row.opened_at is not None
    assert await count_events(billing, sent.uuid, "email_opened") == 1


async def test_an_open_of_an_email_still_marked_sending_proves_it_went_out(
    billing: Billing, access: WorkspaceAccess
) -> None:
    sent = await _sent_to(billing, access, "a@example.com")
    delivery_id = sent.deliveries[0].uuid
    deliveries = DeliveryService(billing.session)
    now = dt.datetime.now(dt.UTC)
    assert await deliveries.claim(delivery_id, LEASE, now)
    row = await _row(billing, delivery_id)
    assert await deliveries.opened(_public_token(sent), row.token, now)
    assert not await deliveries.claim(delivery_id, LEASE, now + LEASE * 2), "it will not be sent again"


async def test_a_bounce_is_recorded_once_by_message_id(billing: Billing, access: WorkspaceAccess) -> None:
    sent = await _sent_to(billing, access, "a@example.com")
    row = await _row(billing, sent.deliveries[0].uuid)
    deliveries = DeliveryService(billing.session)
    assert await deliveries.bounced("<nobody@nowhere>", "5.1.1") is None
    assert await deliveries.bounced(row.message_id.strip("<>"), "5.1.1 user unknown") == row.id
    assert await deliveries.bounced(row.message_id, "5.1.1 again") == row.id
    row = await _row(billing, row.id)
    assert (row.status, row.reason) == ("bounced", "5.1.1 user unknown")
    assert await count_events(billing, sent.uuid, "email_bounced") == 1


async def test_invoices_filter_by_the_state_of_their_emails(billing: Billing, access: WorkspaceAccess) -> None:
    bounced = await _sent_to(billing, access, "a@example.com")
    await _sent_to(billing, access, "b@example.com")
    await invoice_in(billing, access, "draft")
    message_id = (await _row(billing, bounced.deliveries[0].uuid)).message_id
    await DeliveryService(billing.session).bounced(message_id, "5.1.1")
    page = await billing.invoices.list_page(access, InvoiceFilter(delivery_status="bounced"))
    assert [i.uuid for i in page.items] == [bounced.uuid]
    queued = await billing.invoices.list_page(access, InvoiceFilter(delivery_status="queued"))
    assert queued.total == 1
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.list_page(access, InvoiceFilter(delivery_status="lost"))
    assert refused.value.errors[0]["field"] == "delivery_status"
    assert "bounced" in refused.value.errors[0]["message"]
