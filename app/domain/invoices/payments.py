"""Payments: ``mark_paid`` records one (the balance due when no amount is given), checked
against the balance in the currency's minor units; the invoice becomes paid when the
payments cover its total (less an early-payment discount earned in time,
``app.domain.invoices.early_payment``), and keeps its days to payment for the statistics.
``record_refund`` pays back what credit notes left due: an outgoing payment."""

from __future__ import annotations

import uuid
import zoneinfo

from app.db.models import Invoice, Payment
from app.domain import early_payment, money
from app.domain.access import Scope, WorkspaceAccess
from app.domain.accounts import utcnow
from app.domain.errors import ValidationFailed
from app.domain.invoices.base import InvoiceBase, Result
from app.domain.invoices.bounds import MAX_LINE_AMOUNT, check_amount, check_date
from app.domain.lifecycle import Action, Status
from app.domain.schemas import PaymentInput
from app.domain.service import rehearsal
from app.domain.workspaces import today_in


class Payments(InvoiceBase):
    async def mark_paid(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: PaymentInput, *, dry_run: bool = False
    ) -> Result:
        async with self.acting_on(access, invoice_uuid, Action.MARK_PAID, dry_run) as invoice:
            balance = early_payment.balance_minor(
                invoice.total_minor, invoice.paid_minor, invoice.discount_taken_minor, invoice.credited_minor
            )
            currency = invoice.currency
            if data.amount is None:
                amount = balance
            else:
                if not data.amount.is_finite():
                    raise ValidationFailed.field("amount", "must be a finite number")
                # Bounds first: rounding an absurd amount (1E+30) overflows Decimal's precision.
                if data.amount <= 0:
                    raise ValidationFailed.field("amount", "must be greater than 0")
                if data.amount > money.from_minor(balance, currency):
                    due = money.format_amount(balance, currency)
                    raise ValidationFailed.field("amount", f"exceeds the balance due of {due} {currency}")
                if data.amount != money.round_money(data.amount, currency):
                    raise ValidationFailed.field(
                        "amount", f"{currency} amounts have {money.exponent(currency)} decimal places at most"
                    )
                amount = money.to_minor(data.amount, currency)
                if amount <= 0:
                    raise ValidationFailed.field("amount", "must be greater than 0")
                if amount > balance:
                    due = money.format_amount(balance, currency)
                    raise ValidationFailed.field("amount", f"exceeds the balance due of {due} {currency}")
            today = today_in(access.workspace)
            paid_on = data.payment_date or today
            check_date(paid_on, "payment_date")
            if paid_on > today:
                raise ValidationFailed.field("payment_date", f"cannot be in the future (today is {today})")
            method = data.payment_method.strip()
            if amount > 0:
                invoice.payments.append(
                    Payment(
                        workspace_id=invoice.workspace_id,
                        invoice_id=invoice.id,
                        amount_minor=amount,
                        currency=currency,
                        payment_date=paid_on,
                        payment_method=method,
                    )
                )
            discount = early_payment.granted(invoice, paid_on, amount)
            invoice.paid_minor += amount
            invoice.discount_taken_minor += discount
            before = Status(invoice.status)
            after = before
            if (
                early_payment.balance_minor(
                    invoice.total_minor, invoice.paid_minor, invoice.discount_taken_minor, invoice.credited_minor
                )
                <= 0
            ):
                after = Status.PAID
                invoice.status = after.value
                invoice.paid_at = utcnow()
                invoice.days_to_payment = _days_to_payment(invoice, access.workspace.timezone)
            self._record(
                access,
                invoice,
                "payment",
                before,
                after,
                data={
                    "amount": money.format_amount(amount, currency),
                    "payment_date": paid_on.isoformat(),
                    "payment_method": method,
                    **({"early_payment_discount": money.format_amount(discount, currency)} if discount else {}),
                },
            )
            return await self._finish(invoice, dry_run)

    async def record_refund(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: PaymentInput, *, dry_run: bool = False
    ) -> Result:
        """Money paid back to the client: an outgoing payment (a negative amount among the
        payments) of the refund its credit notes left due, all of it by default. The status
        stays as it is."""
        await self.enter(access, Scope.PAYMENTS_WRITE)
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            currency = invoice.currency
            due = -early_payment.balance_minor(
                invoice.total_minor, invoice.paid_minor, invoice.discount_taken_minor, invoice.credited_minor
            )
            if due <= 0:
                raise ValidationFailed.field(
                    "amount", "no refund is due on this invoice: it has received no more than it owes"
                )
            amount = due
            if data.amount is not None:
                amount = check_amount(data.amount, "amount", currency, MAX_LINE_AMOUNT)
                if amount > due:
                    owed = money.format_amount(due, currency)
                    raise ValidationFailed.field("amount", f"exceeds the refund due of {owed} {currency}")
            today = today_in(access.workspace)
            paid_on = check_date(data.payment_date or today, "payment_date")
            if paid_on > today:
                raise ValidationFailed.field("payment_date", f"cannot be in the future (today is {today})")
            method = data.payment_method.strip()
            invoice.payments.append(
                Payment(
                    workspace_id=invoice.workspace_id, invoice_id=invoice.id, amount_minor=-amount, currency=currency,
                    payment_date=paid_on, payment_method=method,
                )
            )  # fmt: skip
            invoice.paid_minor -= amount
            status = Status(invoice.status)
            self._record(
                access, invoice, "refund", status, status,
                data={"amount": money.format_amount(amount, currency), "payment_date": paid_on.isoformat(),
                      "payment_method": method},
            )  # fmt: skip
            return await self._finish(invoice, dry_run)


def _days_to_payment(invoice: Invoice, timezone: str) -> int | None:
    """Whole days from the day the invoice was sent, in its workspace's calendar, to the day
    its last payment was received (0 when the money came first); kept for the statistics."""
    if invoice.sent_at is None or not invoice.payments:
        return None
    sent_on = invoice.sent_at.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    return max((max(p.payment_date for p in invoice.payments) - sent_on).days, 0)
