"""The background jobs, written once: the arq worker and the in-process runner of embedded
mode both call these.

- ``deliver_email``: claim one outbox row, write its email with the invoice PDF, hand it
  to the mail server, record the outcome (sent; a retry after a backoff; failed for good).
- ``relay``: the outbox rows that nobody is delivering (their enqueue failed, their retry
  is due, their sender died holding them), to be handed over again.
- ``overdue_sweep``: sent invoices past due become overdue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from email.errors import MessageError
from email.message import EmailMessage

import structlog
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig

from app.config import Settings
from app.domain.accounts import check_email
from app.domain.deliveries import DeliveryService, Letter
from app.domain.einvoice_formats import EinvoiceFormat
from app.domain.errors import Unavailable, ValidationFailed
from app.domain.outputs import CreditNoteDocument, InvoiceDocument, PdfMaker
from app.domain.overdue import sweep_overdue
from app.metrics import OUTBOX_DUE, observed
from workers.mail import Mailer, PermanentFailure, TemporaryFailure, compose

log = structlog.get_logger("billcraft.jobs")

# The share of the lease a send may take: it is cut off before another worker may claim it.
SEND_SHARE_OF_LEASE = 0.75


@dataclass
class Jobs:
    settings: Settings
    db: SQLAlchemyAsyncConfig
    pdfs: PdfMaker
    mailer: Mailer

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.send_lease_seconds)

    @observed("deliver_email", outcome=str)
    async def deliver_email(self, delivery_id: uuid.UUID) -> str:
        """Send one email at most once per claim; what happened, in a word."""
        async with self.db.get_session() as session:
            deliveries = DeliveryService(session, self.settings.base_url)
            if not await deliveries.claim(delivery_id, self.lease):
                await session.commit()
                return "skipped"
            letter = await deliveries.letter(delivery_id)
            await session.commit()
        outcome = "sent"
        reason = ""
        try:
            recipient = _deliverable(letter.recipient)
            async with asyncio.timeout(self.settings.send_lease_seconds * SEND_SHARE_OF_LEASE):
                pdf = await self.pdfs(letter.document)
                extra = await einvoice_of(letter.document, self.pdfs)
                if extra is not None and extra[1] == "application/pdf":
                    pdf, extra = extra[0], None  # Factur-X: the PDF attached is the e-invoice
                await self.mailer.send(_written(letter, pdf, self.settings.mail_from, extra), recipient)
        except PermanentFailure as exc:
            outcome, reason = "failed", str(exc)
        except TemporaryFailure as exc:
            outcome, reason = "retry", str(exc)
        except TimeoutError:
            outcome, reason = "retry", "sending took too long and was cut off"
        except Unavailable as exc:  # no browser for the PDF, for now
            outcome, reason = "retry", exc.detail
        except Exception as exc:  # a bug or a broken PDF: keep the email, report, retry later
            log.exception("email delivery crashed", delivery=str(delivery_id))
            outcome, reason = "retry", f"{type(exc).__name__}: {exc}"
        async with self.db.get_session() as session:
            deliveries = DeliveryService(session, self.settings.base_url)
            if outcome == "sent":
                await deliveries.sent(delivery_id, letter.attempts)
            elif outcome == "failed":
                await deliveries.failed(delivery_id, letter.attempts, reason)
            else:
                outcome = (await deliveries.retry_later(delivery_id, letter.attempts, reason)).value
            await session.commit()
        log.info("email", delivery=str(delivery_id), outcome=outcome, attempt=letter.attempts, reason=reason or None)
        return outcome

    @observed("relay_outbox")
    async def relay(self) -> list[tuple[uuid.UUID, int]]:
        async with self.db.get_session() as session:
            due = await DeliveryService(session).due()
            await session.commit()
        OUTBOX_DUE.set(len(due))
        if due:
            log.info("outbox relay", due=len(due))
        return due

    @observed("overdue_sweep")
    async def overdue_sweep(self) -> int:
        async with self.db.get_session() as session:
            moved = await sweep_overdue(session)
            await session.commit()
        log.info("overdue sweep", moved=moved)
        return moved


def _deliverable(recipient: str) -> str:
    """The recipient as one checked address; a stored one that is not (saved before
    addresses were checked this strictly) can never be delivered, so it fails at once."""
    try:
        return check_email(recipient)
    except ValidationFailed:
        raise PermanentFailure(f"{recipient!r} is not one email address; nothing was sent") from None


async def einvoice_of(document: InvoiceDocument | CreditNoteDocument, pdfs: PdfMaker) -> tuple[bytes, str, str] | None:
    """The e-invoice an email carries: its client's format, checked again (as at its issue);
    none for a client without one. One that breaks its rules is not attached (nothing leaves
    that the rules reject): the email goes with the PDF, and the log says why."""
    client = document.client
    if client is None or not client.einvoice_format:
        return None
    from app.einvoice import render

    checked = await render.check(document, EinvoiceFormat(client.einvoice_format))
    if not checked.valid:
        log.warning("e-invoice not attached: it breaks its rules", rules=[f.rule for f in checked.errors])
        return None
    return await render.file_of(checked, document, pdfs)


def _written(letter: Letter, pdf: bytes, sender: str, einvoice: tuple[bytes, str, str] | None = None) -> EmailMessage:
    """The email, or a failure for good: what cannot be written now never will be (the
    same stored data gives the same error), so retrying for hours would only hide it."""
    try:
        return compose(letter, pdf, sender, einvoice)
    except (ValueError, TypeError, MessageError) as exc:
        log.exception("email could not be written", delivery=str(letter.delivery_id))
        raise PermanentFailure(f"the email could not be written: {type(exc).__name__}: {exc}") from None
