"""What an invoice's figures and dates may be: bounds on quantities, prices, rates, amounts
and dates, each refusal naming its field and what is allowed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.domain import money
from app.domain.errors import ValidationFailed

MAX_QUANTITY = Decimal(1_000_000)
MAX_UNIT_PRICE = Decimal(1_000_000_000)
MAX_LINE_AMOUNT = Decimal(1_000_000_000_000)
MAX_DECIMALS = 4
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def check_decimal(value: Decimal, field: str, low: Decimal, high: Decimal, *, low_open: bool = False) -> Decimal:
    if not value.is_finite():
        raise ValidationFailed.field(field, "must be a finite number")
    # The range first: quantizing an absurd value overflows Decimal's 28-digit precision.
    if (value <= low if low_open else value < low) or value > high:
        bound = "greater than" if low_open else "at least"
        raise ValidationFailed.field(field, f"must be {bound} {low} and at most {high}; got {value}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        places = value.quantize(Decimal(1).scaleb(-MAX_DECIMALS))
        if value != places:
            raise ValidationFailed.field(field, f"at most {MAX_DECIMALS} decimal places")
        # Only trailing zeros beyond the limit: keep the same value without them, so that
        # the stored text stays short (1.000...0 with 40 zeros would not fit the column).
        return places
    return value


def check_date(value: dt.date, field: str) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise ValidationFailed.field(field, f"must be between {EARLIEST} and {LATEST}")
    return value


def check_dates(issue: dt.date, due: dt.date) -> None:
    if due < issue:
        raise ValidationFailed.field("due_date", f"must be on or after the issue date ({issue})")


def check_delivery(delivery: dt.date | None, start: dt.date | None, end: dt.date | None) -> None:
    """A delivery date or a service period of two ends in order, not both."""
    if (start is None) != (end is None):
        missing = "service_period_end" if end is None else "service_period_start"
        raise ValidationFailed.field(missing, "a service period needs both its start and its end")
    if start is not None and end is not None and end < start:
        raise ValidationFailed.field("service_period_end", f"must be on or after the period's start ({start})")
    if delivery is not None and start is not None:
        raise ValidationFailed.field("delivery_date", "give a delivery date or a service period, not both")


def check_exchange_rate(value: Decimal, field: str = "vat_exchange_rate") -> Decimal:
    """A rate of exchange: above 0, at most a million, with at most 8 decimal places."""
    if not value.is_finite() or value <= 0 or value > 1_000_000:
        raise ValidationFailed.field(field, f"must be a rate above 0 and at most 1000000, e.g. 0.9215; got {value}")
    if value != value.quantize(Decimal(1).scaleb(-8)):
        raise ValidationFailed.field(field, "at most 8 decimal places")
    return value.normalize() if value == value.to_integral_value() else value


def check_tax_rate(value: Decimal, field: str = "tax_rate") -> Decimal:
    return check_decimal(value, field, Decimal(0), Decimal(100))


def not_blank(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed.field(field, "must not be blank")
    return value


def check_amount(value: Decimal, field: str, currency: str, high: Decimal) -> int:
    """A money amount a person gives (a discount, an allowance): positive, within ``high``,
    and exact in the currency (no digit finer than its minor unit)."""
    value = check_decimal(value, field, Decimal(0), high, low_open=True)
    if value != money.round_money(value, currency):
        raise ValidationFailed.field(field, f"{currency} amounts have {money.exponent(currency)} decimal places")
    return money.to_minor(value, currency)
