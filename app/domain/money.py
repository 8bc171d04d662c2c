"""Money rules: ISO 4217 exponents, half-up rounding to the currency's minor unit, amounts
as integer minor units (VAT groups and their rounding are ``app.domain.vat``).

Amounts travel as ``Decimal`` in the domain, as strings in JSON and as integer minor units
in the database. Nothing here ever touches a float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from iso4217 import Currency

from app.domain.errors import ValidationFailed

HUNDRED = Decimal(100)


@lru_cache(maxsize=512)
def _exponent(currency: str) -> int | None:
    try:
        return Currency(currency).exponent
    except ValueError:
        return -1


def exponent(currency: str, field: str = "currency") -> int:
    """Minor-unit digits of an ISO 4217 currency (JPY 0, EUR 2, KWD 3)."""
    value = _exponent(currency)
    if value == -1:
        raise ValidationFailed.field(
            field, f"unknown currency {currency!r}: use an ISO 4217 code such as USD, EUR, JPY"
        )
    if value is None:  # gold, SDRs and other units that are not money for invoices
        raise ValidationFailed.field(field, f"{currency} has no minor unit and cannot be invoiced")
    return value


def check_currency(currency: str, field: str = "currency") -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed.field(field, f"{currency!r} is not a three-letter ISO 4217 code")
    exponent(code, field)
    return code


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(value: Decimal, currency: str) -> int:
    return int(round_money(value, currency).scaleb(exponent(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency)).quantize(quantum(currency))


def format_amount(minor: int, currency: str) -> str:
    """The JSON form of an amount: a string with exactly the currency's digits, the same
    as ``str(from_minor(...))`` but by integer arithmetic (a list formats two per row)."""
    digits = exponent(currency)
    if digits == 0:
        return str(minor)
    units, fraction = divmod(abs(minor), 10**digits)
    return f"{'-' if minor < 0 else ''}{units}.{fraction:0{digits}d}"
