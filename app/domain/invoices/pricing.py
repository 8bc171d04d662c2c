"""What an invoice's figures may be and how they are worked out: bounds on quantities,
prices, rates and dates; items priced into lines (tax per line on the rounded amount, in
integer minor units, by ``app.domain.money``); totals as sums of the rounded lines; and
``quote``, the same pricing without saving anything."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from app.db.models import Invoice, InvoiceItem
from app.domain import money
from app.domain.errors import ValidationFailed
from app.domain.outputs import QuoteLine, QuoteOut
from app.domain.schemas import ItemInput

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


def check_tax_rate(value: Decimal, field: str = "tax_rate") -> Decimal:
    return check_decimal(value, field, Decimal(0), Decimal(100))


def not_blank(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed.field(field, "must not be blank")
    return value


def price_lines(
    workspace_id: uuid.UUID | None, items: Sequence[ItemInput], currency: str, tax_rate: Decimal
) -> list[InvoiceItem]:
    """Checked and priced item rows. Nothing a caller sends is trusted as an amount."""
    lines: list[InvoiceItem] = []
    for i, item in enumerate(items):
        description = not_blank(item.description, f"items[{i}].description")
        quantity = check_decimal(item.quantity, f"items[{i}].quantity", Decimal(0), MAX_QUANTITY, low_open=True)
        price = check_decimal(item.unit_price, f"items[{i}].unit_price", Decimal(0), MAX_UNIT_PRICE)
        rate = None if item.tax_rate is None else check_tax_rate(item.tax_rate, f"items[{i}].tax_rate")
        if quantity * price > MAX_LINE_AMOUNT:
            raise ValidationFailed.field(f"items[{i}]", f"quantity x unit_price must be at most {MAX_LINE_AMOUNT:,}")
        amounts = money.line_amounts(quantity, price, tax_rate if rate is None else rate, currency)
        lines.append(
            InvoiceItem(
                workspace_id=workspace_id,
                position=i,
                description=description,
                quantity=quantity,
                unit_price=price,
                tax_rate=rate,
                amount_minor=amounts.amount_minor,
                tax_minor=amounts.tax_minor,
            )
        )
    return lines


def set_totals(invoice: Invoice) -> None:
    """The invoice's sums, from its lines as they are now."""
    invoice.subtotal_minor = sum(line.amount_minor for line in invoice.items)
    invoice.tax_minor = sum(line.tax_minor for line in invoice.items)
    invoice.total_minor = invoice.subtotal_minor + invoice.tax_minor


def item_input(line: InvoiceItem) -> ItemInput:
    """A stored line as the input that would make it again (for copies and repricing)."""
    return ItemInput(
        description=line.description, quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate
    )


def quote(items: Sequence[ItemInput], currency: str, tax_rate: Decimal) -> QuoteOut:
    """Price items without saving anything (the editor's running totals): the same checks,
    rounding and sums as an invoice that holds them."""
    code = money.check_currency(currency)
    lines = price_lines(None, items, code, check_tax_rate(tax_rate))
    subtotal = sum(line.amount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    return QuoteOut(
        currency=code,
        lines=[
            QuoteLine(
                amount=money.format_amount(x.amount_minor, code), tax_amount=money.format_amount(x.tax_minor, code)
            )
            for x in lines
        ],
        subtotal=money.format_amount(subtotal, code),
        tax_amount=money.format_amount(tax, code),
        total=money.format_amount(subtotal + tax, code),
    )
