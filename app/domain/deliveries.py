"""Email deliveries: the outbox rows a send writes, and everything that happens to them next.

``queue_emails`` runs inside the send's own transaction, so the status change and the rows
that will mail it commit together or not at all. After that commit the rows are handed to
whatever delivers them (``app.domain.outbox``); the worker then claims a row with a lease,
mails it, and records the outcome. The public invoice page records opens, the bounce
webhook records bounces. Every change of a delivery is a line in the invoice's history.

These operations are the system's, not a member's: they are reached by a delivery's id (the
worker), its unguessable token (the recipient), or a signed notification (bounces).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from app.db.models import CreditNote, EmailDelivery, Invoice, InvoiceEvent, Workspace
from app.domain import parties, tenancy, views
from app.domain.access import Channel, Scope, WorkspaceAccess
from app.domain.accounts import check_email, utcnow
from app.domain.outbox import hand_over
from app.domain.outputs import CreditNoteDocument, InvoiceDocument

MAX_ATTEMPTS = 6
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=2)


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    OPENED = "opened"
    BOUNCED = "bounced"
    FAILED = "failed"


class EmailKind(StrEnum):
    INVOICE = "invoice"
    REMINDER = "reminder"
    CREDIT_NOTE = "credit_note"


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 2 min, 8 min, 32 min, then every 2 h: quick for a hiccup, patient for an outage."""
    factor: int = 4 ** max(attempts - 1, 0)
    return min(FIRST_RETRY * factor, LONGEST_WAIT)


def message_id(delivery_id: uuid.UUID, base_url: str) -> str:
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "billcraft.invalid"
    return f"<{delivery_id}@{host}>"


def queue_emails(
    session: AsyncSession,
    invoice: Invoice,
    kind: EmailKind,
    recipients: list[str],
    message: str,
    base_url: str,
    *,
    dry_run: bool = False,
    credit_note_id: uuid.UUID | None = None,
) -> list[EmailDelivery]:
    """One outbox row per recipient, in the caller's transaction; handed over at commit
    (a dry run's rows are shown in its answer, then rolled back with it)."""
    now = utcnow()
    rows = []
    for recipient in recipients:
        delivery_id = uuid7()
        row = EmailDelivery(
            id=delivery_id,
            workspace_id=invoice.workspace_id,
            invoice_id=invoice.id,
            credit_note_id=credit_note_id,
            kind=kind.value,
            recipient=recipient,
            message=message,
            status=DeliveryStatus.QUEUED.value,
            attempts=0,
            next_attempt_at=now,
            message_id=message_id(delivery_id, base_url),
            token=secrets.token_urlsafe(24),
            queued_at=now,
        )
        invoice.deliveries.append(row)
        rows.append(row)
    if not dry_run:
        hand_over(session, [(row.id, 0) for row in rows])
    return rows


@dataclass(frozen=True)
class Letter:
    """What the worker needs to write one email: the invoice (or credit note) as printed, and
    who gets it."""

    delivery_id: uuid.UUID
    attempts: int
    kind: EmailKind
    recipient: str
    message: str
    message_id: str
    document: InvoiceDocument | CreditNoteDocument
    open_url: str
    pixel_url: str


@dataclass(frozen=True)
class StalledEmails:
    """Emails waiting because their last attempt failed (queued again, with a reason): how
    many and for how many invoices, the latest reason, and when the next try is due."""

    count: int
    invoices: int
    reason: str
    attempts: int  # of the latest stalled email
    latest_invoice_id: uuid.UUID
    next_attempt_at: dt.datetime  # the soonest next try of them all
    max_attempts: int = MAX_ATTEMPTS


async def stalled_emails(
    session: AsyncSession, access: WorkspaceAccess, invoice_id: uuid.UUID | None = None
) -> StalledEmails | None:
    """The workspace's (or one of its invoices') emails that are waiting for a retry after a
    failed attempt, so that a face can say so instead of letting them stall silently; None
    when there are none. Reads only this workspace's rows, as a reader of its invoices."""
    access.require(Scope.INVOICES_READ)
    await tenancy.bind(session, access.workspace_id)
    where = [
        EmailDelivery.workspace_id == access.workspace_id,
        EmailDelivery.status == DeliveryStatus.QUEUED.value,
        EmailDelivery.attempts > 0,
        EmailDelivery.reason.is_not(None),
    ]
    if invoice_id is not None:
        where.append(EmailDelivery.invoice_id == invoice_id)
    count, invoices, soonest = (
        await session.execute(
            select(
                func.count(), func.count(distinct(EmailDelivery.invoice_id)), func.min(EmailDelivery.next_attempt_at)
            ).where(*where)
        )
    ).one()
    if not count:
        return None
    latest = (
        await session.execute(
            select(EmailDelivery.reason, EmailDelivery.attempts, EmailDelivery.invoice_id)
            .where(*where)
            .order_by(EmailDelivery.updated_at.desc(), EmailDelivery.id.desc())
            .limit(1)
        )
    ).one()
    return StalledEmails(
        count=int(count),
        invoices=int(invoices),
        reason=str(latest.reason),
        attempts=int(latest.attempts),
        latest_invoice_id=latest.invoice_id,
        next_attempt_at=soonest,
    )


class DeliveryService:
    def __init__(self, session: AsyncSession, base_url: str = "") -> None:
        self.session = session
        self.base_url = base_url

    # --- the worker's side ------------------------------------------------------------------

    async def claim(self, delivery_id: uuid.UUID, lease: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """Take a delivery for sending: one that is due, or whose last sender's lease ran out
        (it crashed). One statement, so two workers never both win."""
        now = now or utcnow()
        result = await self.session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == delivery_id, _claimable(now))
            .values(
                status=DeliveryStatus.SENDING.value,
                lease_until=now + lease,
                attempts=EmailDelivery.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def letter(self, delivery_id: uuid.UUID) -> Letter:
        delivery = await self._get(delivery_id)
        invoice = await self.session.get_one(Invoice, delivery.invoice_id)
        workspace = await self.session.get_one(Workspace, delivery.workspace_id)
        invoice_document = parties.invoice_document(invoice, workspace, "owner", self.base_url)
        document: InvoiceDocument | CreditNoteDocument = invoice_document
        open_url = f"{invoice_document.invoice.public_url}?d={delivery.token}"
        if delivery.credit_note_id is not None:
            note = await self.session.get_one(CreditNote, delivery.credit_note_id)
            document = parties.credit_note_document(note, workspace, "owner", self.base_url)
            open_url = document.credit_note.public_url
        return Letter(
            delivery_id=delivery.id,
            attempts=delivery.attempts,
            kind=EmailKind(delivery.kind),
            recipient=delivery.recipient,
            message=delivery.message,
            message_id=delivery.message_id,
            document=document,
            open_url=open_url,
            # The invoice's page counts the opening, for its credit notes' emails too.
            pixel_url=f"{views.public_url(invoice, self.base_url)}/seen/{delivery.token}.gif",
        )

    async def sent(self, delivery_id: uuid.UUID, attempts: int, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        changed = await self._finish_attempt(
            delivery_id, attempts, status=DeliveryStatus.SENT, sent_at=now, reason=None, updated_at=now
        )
        if changed:
            await self._record(delivery_id, "email_sent", now)
        return changed

    async def retry_later(
        self, delivery_id: uuid.UUID, attempts: int, reason: str, now: dt.datetime | None = None
    ) -> DeliveryStatus:
        """A temporary failure: try again after a backoff, or give up after the last attempt."""
        now = now or utcnow()
        if attempts >= MAX_ATTEMPTS:
            await self.failed(delivery_id, attempts, f"gave up after {attempts} attempts: {reason}", now)
            return DeliveryStatus.FAILED
        await self._finish_attempt(
            delivery_id,
            attempts,
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now + backoff(attempts),
            reason=reason,
            updated_at=now,
        )
        return DeliveryStatus.QUEUED

    async def failed(self, delivery_id: uuid.UUID, attempts: int, reason: str, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        if await self._finish_attempt(
            delivery_id, attempts, status=DeliveryStatus.FAILED, failed_at=now, reason=reason, updated_at=now
        ):
            await self._record(delivery_id, "email_failed", now, reason=reason)

    async def due(self, now: dt.datetime | None = None, limit: int = 500) -> list[tuple[uuid.UUID, int]]:
        """Deliveries to hand over again: due and never picked up (an enqueue that failed, a
        retry whose time has come) or abandoned by a sender that died holding the lease."""
        now = now or utcnow()
        rows = await self.session.execute(
            select(EmailDelivery.id, EmailDelivery.attempts)
            .where(_claimable(now))
            .order_by(EmailDelivery.next_attempt_at)
            .limit(limit)
        )
        return [(row.id, row.attempts) for row in rows]

    # --- what comes back --------------------------------------------------------------------

    async def opened(self, public_token: str, token: str, now: dt.datetime | None = None) -> bool:
        """The recipient opened the invoice (its link or its pixel). The first open counts;
        an open also proves the email went out, so a sender that died after handing it to
        the mail server will not send it again."""
        now = now or utcnow()
        delivery = (
            await self.session.execute(
                select(EmailDelivery)
                .join(Invoice, Invoice.id == EmailDelivery.invoice_id)
                .where(EmailDelivery.token == token, Invoice.public_token == public_token)
            )
        ).scalar_one_or_none()
        if delivery is None or delivery.opened_at is not None:
            return False
        if delivery.status not in (DeliveryStatus.SENDING, DeliveryStatus.SENT):
            return False
        result = await self.session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == delivery.id, EmailDelivery.opened_at.is_(None))
            .values(
                status=DeliveryStatus.OPENED.value,
                opened_at=now,
                sent_at=delivery.sent_at or now,
                lease_until=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            await self._record(delivery.id, "email_opened", now, channel=Channel.WEB)
            return True
        return False

    async def bounced(self, message_id: str, reason: str, now: dt.datetime | None = None) -> uuid.UUID | None:
        """A bounce (webhook or DSN) for the email with this Message-ID; the delivery's id when
        it was recorded (again: a repeated notification changes nothing)."""
        now = now or utcnow()
        wanted = message_id.strip()
        if not wanted.startswith("<"):
            wanted = f"<{wanted}>"
        delivery = (
            await self.session.execute(select(EmailDelivery).where(EmailDelivery.message_id == wanted))
        ).scalar_one_or_none()
        if delivery is None:
            return None
        if delivery.status == DeliveryStatus.BOUNCED:
            return delivery.id
        await self.session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == delivery.id)
            .values(
                status=DeliveryStatus.BOUNCED.value,
                bounced_at=now,
                sent_at=delivery.sent_at or now,
                lease_until=None,
                reason=reason[:2000],
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        await self._record(delivery.id, "email_bounced", now, reason=reason[:2000])
        return delivery.id

    # --- shared -----------------------------------------------------------------------------

    async def _get(self, delivery_id: uuid.UUID) -> EmailDelivery:
        return (
            await self.session.execute(
                select(EmailDelivery).where(EmailDelivery.id == delivery_id).execution_options(populate_existing=True)
            )
        ).scalar_one()

    async def _finish_attempt(self, delivery_id: uuid.UUID, attempts: int, **values: Any) -> bool:
        """End the attempt that claimed the row, if it still holds it (``attempts`` matches)."""
        status = values.pop("status")
        result = await self.session.execute(
            update(EmailDelivery)
            .where(
                EmailDelivery.id == delivery_id,
                EmailDelivery.status == DeliveryStatus.SENDING.value,
                EmailDelivery.attempts == attempts,
            )
            .values(status=status.value, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def _record(
        self,
        delivery_id: uuid.UUID,
        action: str,
        now: dt.datetime,
        *,
        reason: str | None = None,
        channel: Channel = Channel.WORKER,
    ) -> None:
        delivery = await self._get(delivery_id)
        self.session.add(
            InvoiceEvent(
                workspace_id=delivery.workspace_id,
                invoice_id=delivery.invoice_id,
                action=action,
                actor_name=delivery.recipient if channel == Channel.WEB else "Billcraft",
                channel=channel.value,
                note=reason,
                data={"to": delivery.recipient, "kind": delivery.kind, "attempts": delivery.attempts},
                created_at=now,
            )
        )
        await self.session.flush()


def _claimable(now: dt.datetime) -> Any:
    return or_(
        and_(EmailDelivery.status == DeliveryStatus.QUEUED.value, EmailDelivery.next_attempt_at <= now),
        and_(EmailDelivery.status == DeliveryStatus.SENDING.value, EmailDelivery.lease_until < now),
    )


def recipients_of(invoice: Invoice, to: list[str] | None) -> list[str]:
    """Each address checked (one addr-spec each), each once, in the order given."""
    if to:
        checked = [check_email(address, f"to[{i}]") for i, address in enumerate(to)]
        return list(dict.fromkeys(checked))
    if invoice.client is not None and invoice.client.email:
        return [check_email(invoice.client.email, "client.email")]
    return []
