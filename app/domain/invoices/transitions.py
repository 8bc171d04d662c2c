"""The lifecycle's transitions of an invoice: finalize (lock the content, give the number),
send (a draft is finalized first; a sent or overdue one is reminded) and cancel. Each is
allowed by ``app.domain.lifecycle``, taken under a row lock and written to history."""

from __future__ import annotations

import uuid
from typing import Any

from app.db.models import Invoice
from app.domain import legal, mail_limits, money, parties
from app.domain.access import WorkspaceAccess
from app.domain.accounts import utcnow
from app.domain.deliveries import EmailKind, queue_emails, recipients_of
from app.domain.einvoice_formats import check_issue
from app.domain.errors import ValidationFailed
from app.domain.invoices.base import Result
from app.domain.invoices.einvoices import Einvoices
from app.domain.lifecycle import Action, Status
from app.domain.schemas import CancelInput, SendInput

NO_RECIPIENT = (
    "nobody to email: give one or more addresses in to, or an email address to the client; "
    "to record the send without emailing anyone (it went out another way), send with notify false"
)


class Transitions(Einvoices):
    async def finalize(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, *, number: str | None = None, dry_run: bool = False
    ) -> Result:
        """Lock the draft's content and give it its number: ``number`` when given (checked
        and unique in the workspace, as on update), else the one it was given while a draft,
        else the pattern's next. One unit: a refused number leaves the draft as it was."""
        async with self.acting_on(access, invoice_uuid, Action.FINALIZE, dry_run) as invoice:
            explicit = None
            if number is not None and number.strip():
                explicit = await self._free_explicit_number(access, number, invoice.id)
            await self._finalize(access, invoice, explicit)
            return await self._finish(invoice, dry_run)

    async def _finalize(self, access: WorkspaceAccess, invoice: Invoice, number: str | None = None) -> None:
        if not invoice.items:
            raise ValidationFailed.field("items", "an invoice needs at least one item before it is finalized")
        legal.check_before_issue(invoice, access.workspace)
        accounting = access.workspace.vat_currency
        if accounting and accounting != invoice.currency and invoice.vat_exchange_rate is not None:
            # BT-111: the VAT as issued, at the rate given, rounded half-up in that currency.
            tax = money.from_minor(invoice.tax_minor, invoice.currency) * invoice.vat_exchange_rate
            invoice.vat_accounting_currency = accounting
            invoice.vat_accounting_minor = money.to_minor(tax, accounting)
        if invoice.delivery_date is None and invoice.service_period_start is None:
            # The law asks for the date of supply; unsaid, it is the issue date, and the
            # invoice says so from now on.
            invoice.delivery_date = invoice.issue_date
        if number is not None:
            invoice.number = number
        elif invoice.number is None:
            invoice.number = await self._next_number(access, invoice.issue_date)
        invoice.finalized_at = utcnow()
        invoice.issued_parties = parties.snapshot(invoice, access.workspace)
        document = parties.invoice_document(invoice, access.workspace, access.role.value, self.base_url)
        await check_issue(document, invoice.client, "invoice")
        self._record(access, invoice, "finalize", Status.DRAFT, Status.DRAFT, data={"number": invoice.number})

    async def send(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: SendInput, *, dry_run: bool = False
    ) -> Result:
        async with self.acting_on(access, invoice_uuid, Action.SEND, dry_run) as invoice:
            recipients = recipients_of(invoice, data.to) if data.notify else []
            if data.notify and not recipients:
                # Refused before anything changes: sending a draft finalizes and numbers it
                # for good, which must not happen for an email that nobody would receive.
                raise ValidationFailed.field("to", NO_RECIPIENT)
            details: dict[str, Any] = {"recipients": recipients}
            if not data.notify:
                details["notify"] = False
            if data.message:
                details["message"] = data.message.strip()
            before = Status(invoice.status)
            if before == Status.DRAFT:
                if invoice.finalized_at is None:
                    await self._finalize(access, invoice)
                invoice.status = Status.SENT.value
                invoice.sent_at = utcnow()
                self._record(access, invoice, "send", before, Status.SENT, data=details)
                kind = EmailKind.INVOICE
            else:
                self._record(access, invoice, "remind", before, before, data=details)
                kind = EmailKind.REMINDER
            await mail_limits.take(self.session, access.workspace_id, recipients, dry_run=dry_run)
            queue_emails(
                self.session, invoice, kind, recipients, details.get("message", ""), self.base_url, dry_run=dry_run
            )
            return await self._finish(invoice, dry_run, recipients=recipients)

    async def cancel(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: CancelInput, *, dry_run: bool = False
    ) -> Result:
        async with self.acting_on(access, invoice_uuid, Action.CANCEL, dry_run) as invoice:
            before = Status(invoice.status)
            reason = (data.reason or "").strip() or None
            if invoice.finalized_at is not None:
                await self.cancel_with_credit_note(access, invoice, reason)
            invoice.status = Status.CANCELLED.value
            invoice.cancelled_at = utcnow()
            invoice.cancel_reason = reason
            self._record(access, invoice, "cancel", before, Status.CANCELLED, note=reason)
            return await self._finish(invoice, dry_run)
