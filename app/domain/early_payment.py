"""The early-payment discount (Skonto): "N % off if paid within D days". The terms are set on
a draft (the percent, with up to two decimals, above 0 and below 100; the days, 1 to 365,
10 when only a percent is given) and must end by the due date. The discount is the
percent of the invoice's total, rounded half-up once to the currency's minor unit. A
payment that brings what was received to the total less that discount, on or before the
last day, settles the invoice in full and records the discount granted; a later or smaller
payment is an ordinary (partial) payment."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from app.db.models import Invoice
from app.domain.errors import ValidationFailed

DEFAULT_DAYS = 10
PERCENT = "early_payment_discount"
DAYS = "early_payment_days"


def check_terms(
    percent: Decimal | None, days: int | None, issue: dt.date, due: dt.date, *, days_given: bool = False
) -> tuple[Decimal | None, int | None]:
    """The terms to keep: none when the percent is none or 0. Days given without a percent
    (``days_given``) are refused rather than silently dropped."""
    if percent is None or percent == 0:
        if days_given and days is not None and percent is None:
            raise ValidationFailed.field(DAYS, f"days of an early-payment discount need its {PERCENT} too")
        return None, None
    if not percent.is_finite() or not 0 < percent < 100 or percent != percent.quantize(Decimal("0.01")):
        raise ValidationFailed.field(
            PERCENT, f"a percent above 0 and below 100, with at most 2 decimals; got {percent}"
        )
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= 365:
        raise ValidationFailed.field(DAYS, "1 to 365 days from the issue date")
    if issue + dt.timedelta(days=days) > due:
        raise ValidationFailed.field(
            DAYS, f"the discount's {days} days end after the due date ({due}); shorten them or move the due date"
        )
    return percent.normalize() if percent == percent.to_integral() else percent, days


def discount_minor(invoice: Invoice) -> int:
    """What the discount comes to, in minor units (0 without terms)."""
    if invoice.early_discount_percent is None:
        return 0
    exact = Decimal(invoice.total_minor) * invoice.early_discount_percent / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pay_by(invoice: Invoice) -> dt.date | None:
    if invoice.early_discount_days is None:
        return None
    return invoice.issue_date + dt.timedelta(days=invoice.early_discount_days)


def granted(invoice: Invoice, paid_on: dt.date, amount_minor: int) -> int:
    """The discount a payment of ``amount_minor`` received on ``paid_on`` earns: the rest of
    the total once what was received reaches the discounted amount in time; else 0."""
    last_day = pay_by(invoice)
    if last_day is None or paid_on > last_day or invoice.discount_taken_minor:
        return 0
    received = invoice.paid_minor + amount_minor
    if received < invoice.total_minor - discount_minor(invoice):
        return 0
    return max(invoice.total_minor - received, 0)


def balance_minor(total_minor: int, paid_minor: int, discount_taken_minor: int, credited_minor: int = 0) -> int:
    """What is still due: the total less what was received, any discount granted (only a
    settled invoice has one) and its credit notes; below zero, a refund is due."""
    return total_minor - paid_minor - discount_taken_minor - credited_minor
