"""How an invoice's figures are worked out: items priced into lines (quantity x unit price
rounded half-up, less the line's discount), allowances and charges into their VAT groups
(``adjustments``), the tax once per group (``app.domain.vat``), all in integer minor units
within ``bounds``; and ``quote``, the same pricing without saving anything."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.db.models import Invoice, InvoiceItem
from app.domain import money, vat
from app.domain.errors import ValidationFailed
from app.domain.invoices.adjustments import price_adjustments
from app.domain.invoices.bounds import (
    MAX_LINE_AMOUNT,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    check_amount,
    check_decimal,
    check_tax_rate,
    not_blank,
)
from app.domain.money import HUNDRED
from app.domain.outputs import QuoteLine, QuoteOut
from app.domain.schemas import AdjustmentInput, ItemInput
from app.domain.vat_outputs import VatGroupOut


@dataclass(frozen=True)
class Defaults:
    """What a line or an allowance or charge takes from the invoice when it does not say."""

    currency: str
    tax_rate: Decimal
    tax_category: vat.Category = vat.Category.STANDARD
    exemption_code: str | None = None
    exemption_reason: str | None = None


@dataclass
class Priced:
    """An invoice's lines, allowances and charges priced, and its VAT breakdown."""

    lines: list[InvoiceItem]
    adjustments: list[dict[str, Any]]
    groups: list[vat.Group]

    @property
    def allowance_minor(self) -> int:
        return sum(g.allowances_minor for g in self.groups)

    @property
    def charge_minor(self) -> int:
        return sum(g.charges_minor for g in self.groups)


def _exemption(code: str | None, reason: str | None, field: str) -> tuple[str | None, str | None]:
    return (
        vat.exemption_code(code, f"{field}.exemption_code") if code else None,
        reason.strip() or None if reason else None,
    )


def _discount(item: ItemInput, gross_minor: int, currency: str, field: str) -> tuple[Decimal | None, int]:
    if item.discount_percent is not None and item.discount_amount is not None:
        raise ValidationFailed.field(f"{field}.discount_amount", "give discount_percent or discount_amount, not both")
    if item.discount_percent is not None:
        percent = check_decimal(item.discount_percent, f"{field}.discount_percent", Decimal(0), HUNDRED)
        return percent, vat.percent_of(gross_minor, percent)
    if item.discount_amount is not None:
        minor = check_amount(item.discount_amount, f"{field}.discount_amount", currency, MAX_LINE_AMOUNT)
        if minor > gross_minor:
            gross = money.format_amount(gross_minor, currency)
            raise ValidationFailed.field(
                f"{field}.discount_amount", f"must be at most the line's quantity x unit price ({gross})"
            )
        return None, minor
    return None, 0


def price_lines(
    workspace_id: uuid.UUID | None, items: Sequence[ItemInput], defaults: Defaults, breakdown: vat.Breakdown
) -> list[InvoiceItem]:
    """Checked and priced item rows, each added to its VAT group. Nothing a caller sends is
    trusted as an amount."""
    currency = defaults.currency
    lines: list[InvoiceItem] = []
    for i, item in enumerate(items):
        field = f"items[{i}]"
        description = not_blank(item.description, f"{field}.description")
        quantity = check_decimal(item.quantity, f"{field}.quantity", Decimal(0), MAX_QUANTITY, low_open=True)
        price = check_decimal(item.unit_price, f"{field}.unit_price", Decimal(0), MAX_UNIT_PRICE)
        rate = None if item.tax_rate is None else check_tax_rate(item.tax_rate, f"{field}.tax_rate")
        if quantity * price > MAX_LINE_AMOUNT:
            raise ValidationFailed.field(field, f"quantity x unit_price must be at most {MAX_LINE_AMOUNT:,}")
        own_category = vat.category(item.tax_category, f"{field}.tax_category") if item.tax_category else None
        category = own_category or defaults.tax_category
        effective_rate = vat.rate_for(category, rate, defaults.tax_rate, f"{field}.tax_rate")
        own_exemption = _exemption(item.exemption_code, item.exemption_reason, field)
        code, reason = own_exemption if any(own_exemption) else (defaults.exemption_code, defaults.exemption_reason)
        exemption = vat.exemption_for(category, code, reason, f"{field}.exemption_reason")
        gross_minor = money.to_minor(quantity * price, currency)
        percent, discount_minor = _discount(item, gross_minor, currency, field)
        net_minor = gross_minor - discount_minor
        breakdown.add_line(vat.Key(category, effective_rate), net_minor, exemption, field)
        lines.append(
            InvoiceItem(
                workspace_id=workspace_id,
                position=i,
                description=description,
                quantity=quantity,
                unit_price=price,
                tax_rate=rate,
                discount_percent=percent,
                discount_minor=discount_minor,
                tax_category=own_category.value if own_category else None,
                exemption_code=own_exemption[0],
                exemption_reason=own_exemption[1],
                amount_minor=net_minor,
                tax_minor=vat.percent_of(net_minor, effective_rate),
            )
        )
    return lines


def price(
    workspace_id: uuid.UUID | None,
    items: Sequence[ItemInput],
    adjustments: Sequence[AdjustmentInput],
    defaults: Defaults,
) -> Priced:
    breakdown = vat.Breakdown()
    lines = price_lines(workspace_id, items, defaults, breakdown)
    stored = price_adjustments(adjustments, defaults, breakdown)
    return Priced(lines, stored, breakdown.tax())


def defaults_of(invoice: Invoice) -> Defaults:
    return Defaults(
        currency=invoice.currency,
        tax_rate=invoice.tax_rate,
        tax_category=vat.Category(invoice.tax_category),
        exemption_code=invoice.exemption_code,
        exemption_reason=invoice.exemption_reason,
    )


def apply(invoice: Invoice, priced: Priced) -> None:
    """The priced lines, allowances, charges and breakdown onto the invoice, with its sums:
    subtotal = the lines' nets, tax = the groups' taxes, total = the groups' taxable amounts
    plus tax."""
    invoice.items = priced.lines
    invoice.adjustments = priced.adjustments or None
    invoice.vat_breakdown = [
        {
            "tax_category": g.key.category.value,
            "tax_rate": format(g.key.rate, "f"),
            "exemption_code": g.exemption_code,
            "exemption_reason": g.exemption_reason,
            "lines_minor": g.lines_minor,
            "allowances_minor": g.allowances_minor,
            "charges_minor": g.charges_minor,
            "taxable_minor": g.taxable_minor,
            "tax_minor": g.tax_minor,
        }
        for g in priced.groups
    ]
    invoice.subtotal_minor = sum(line.amount_minor for line in priced.lines)
    invoice.allowance_minor = priced.allowance_minor
    invoice.charge_minor = priced.charge_minor
    invoice.tax_minor = sum(g.tax_minor for g in priced.groups)
    invoice.total_minor = sum(g.taxable_minor for g in priced.groups) + invoice.tax_minor


def item_input(line: InvoiceItem, currency: str) -> ItemInput:
    """A stored line (of an invoice in ``currency``) as the input that would make it again,
    for copies and repricing."""
    discount_amount = None
    if line.discount_percent is None and line.discount_minor:
        discount_amount = money.from_minor(line.discount_minor, currency)
    return ItemInput(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_rate=line.tax_rate,
        discount_percent=line.discount_percent,
        discount_amount=discount_amount,
        tax_category=line.tax_category,
        exemption_code=line.exemption_code,
        exemption_reason=line.exemption_reason,
    )


def quote(
    items: Sequence[ItemInput],
    currency: str,
    tax_rate: Decimal,
    adjustments: Sequence[AdjustmentInput] = (),
    tax_category: str = "S",
    exemption: tuple[str | None, str | None] = (None, None),
) -> QuoteOut:
    """Price items without saving anything (the editor's running totals): the same checks,
    rounding and sums as an invoice that holds them."""
    code = money.check_currency(currency)
    defaults = Defaults(
        code,
        check_tax_rate(tax_rate),
        vat.category(tax_category, "tax_category"),
        vat.exemption_code(exemption[0], "exemption_code") if exemption[0] else None,
        exemption[1],
    )
    priced = price(None, items, adjustments, defaults)
    subtotal = sum(line.amount_minor for line in priced.lines)
    tax = sum(g.tax_minor for g in priced.groups)
    net = sum(g.taxable_minor for g in priced.groups)
    return QuoteOut(
        currency=code,
        lines=[
            QuoteLine(
                amount=money.format_amount(x.amount_minor, code), tax_amount=money.format_amount(x.tax_minor, code)
            )
            for x in priced.lines
        ],
        subtotal=money.format_amount(subtotal, code),
        allowance_total=money.format_amount(priced.allowance_minor, code),
        charge_total=money.format_amount(priced.charge_minor, code),
        tax_amount=money.format_amount(tax, code),
        vat_breakdown=[
            VatGroupOut(
                tax_category=g.key.category.value,
                tax_rate=format(g.key.rate.normalize(), "f"),
                taxable_amount=money.format_amount(g.taxable_minor, code),
                tax_amount=money.format_amount(g.tax_minor, code),
                exemption_code=g.exemption_code,
                exemption_reason=g.exemption_reason,
            )
            for g in priced.groups
        ],
        total=money.format_amount(net + tax, code),
    )
