"""What an invoice's figures may be and how they are worked out: bounds on quantities,
prices, rates and dates; items priced into lines (quantity x unit price rounded half-up,
less the line's discount); allowances and charges priced into their VAT groups; the tax
taxed once per group (``app.domain.vat``), all in integer minor units; and ``quote``, the
same pricing without saving anything."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.db.models import Invoice, InvoiceItem
from app.domain import money, vat
from app.domain.errors import ValidationFailed
from app.domain.money import HUNDRED
from app.domain.outputs import QuoteLine, QuoteOut, VatGroupOut
from app.domain.schemas import AdjustmentInput, ItemInput

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


def check_amount(value: Decimal, field: str, currency: str, high: Decimal) -> int:
    """A money amount a person gives (a discount, an allowance): positive, within ``high``,
    and exact in the currency (no digit finer than its minor unit)."""
    value = check_decimal(value, field, Decimal(0), high, low_open=True)
    if value != money.round_money(value, currency):
        raise ValidationFailed.field(field, f"{currency} amounts have {money.exponent(currency)} decimal places")
    return money.to_minor(value, currency)


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


def _adjustment_key(i: int, adjustment: AdjustmentInput, defaults: Defaults) -> vat.Key | None:
    field = f"adjustments[{i}]"
    rate = None if adjustment.tax_rate is None else check_tax_rate(adjustment.tax_rate, f"{field}.tax_rate")
    if adjustment.tax_category is None and rate is None:
        return None
    category = (
        vat.category(adjustment.tax_category, f"{field}.tax_category")
        if adjustment.tax_category
        else vat.Category.STANDARD
    )
    return vat.Key(category, vat.rate_for(category, rate, defaults.tax_rate, f"{field}.tax_rate"))


def price_adjustments(
    adjustments: Sequence[AdjustmentInput], defaults: Defaults, breakdown: vat.Breakdown
) -> list[dict[str, Any]]:
    """Each allowance or charge taken from (or added to) its VAT group: a percent of the net
    of that group's lines, or of every group's in turn when it names none; an amount goes to
    the group it names, or to the lines' only group."""
    currency = defaults.currency
    line_groups = {key: breakdown.groups[key].lines_minor for key in breakdown.line_groups()}
    stored: list[dict[str, Any]] = []
    for i, adjustment in enumerate(adjustments):
        field = f"adjustments[{i}]"
        allowance = adjustment.kind == "allowance"
        reason = (adjustment.reason or "").strip() or None
        code = _reason_code(adjustment.reason_code, allowance, f"{field}.reason_code")
        if reason is None and code is None:
            raise ValidationFailed.field(
                f"{field}.reason", f"say why: a reason in words (e.g. 'Loyalty discount'){_CODE_HINT[allowance]}"
            )
        if (adjustment.percent is None) == (adjustment.amount is None):
            raise ValidationFailed.field(f"{field}.amount", "give a percent of the net or an amount, one of the two")
        key = _adjustment_key(i, adjustment, defaults)
        if key is not None and key.category is vat.Category.EXEMPT and key not in line_groups:
            raise ValidationFailed.field(
                f"{field}.tax_category", "an exempt allowance or charge goes with exempt lines, and there are none"
            )
        parts: list[tuple[vat.Key, int | None, int]] = []
        percent = None
        if adjustment.percent is not None:
            percent = check_decimal(adjustment.percent, f"{field}.percent", Decimal(0), HUNDRED, low_open=True)
            targets = [key] if key is not None else list(line_groups)
            for target in targets:
                if target not in line_groups:
                    raise ValidationFailed.field(
                        f"{field}.percent",
                        f"no line is at {vat.describe(target)}, so there is no net to take a percent of: "
                        "give an amount, or name a VAT group that has lines",
                    )
                parts.append((target, line_groups[target], vat.percent_of(line_groups[target], percent)))
        else:
            assert adjustment.amount is not None
            minor = check_amount(adjustment.amount, f"{field}.amount", currency, MAX_LINE_AMOUNT)
            if key is None:
                if len(line_groups) != 1:
                    raise ValidationFailed.field(
                        f"{field}.tax_category",
                        f"the lines are in {len(line_groups)} VAT groups: name the tax_category and tax_rate "
                        "this amount is taxed at, or give a percent to take from every group",
                    )
                key = next(iter(line_groups))
            parts.append((key, None, minor))
        for target, _base, part_minor in parts:
            group = breakdown.group(target)
            if allowance:
                group.allowances_minor += part_minor
            else:
                group.charges_minor += part_minor
        stored.append(
            {
                "kind": adjustment.kind,
                "reason": reason,
                "reason_code": code,
                "percent": None if percent is None else format(percent, "f"),
                "amount": None if adjustment.amount is None else money.format_amount(parts[0][2], currency),
                "tax_category": adjustment.tax_category and adjustment.tax_category.strip().upper(),
                "tax_rate": None if adjustment.tax_rate is None else format(adjustment.tax_rate, "f"),
                "parts": [
                    {
                        "tax_category": target.category.value,
                        "tax_rate": format(target.rate, "f"),
                        "base_minor": base,
                        "amount_minor": part_minor,
                    }
                    for target, base, part_minor in parts
                ],
            }
        )
    return stored


# UNCL 5189 (allowance reasons) as EN 16931 allows them; charges take UNCL 7161's letter codes.
ALLOWANCE_CODES = {"41", "42", "60", "62", "63", "64", "65", "66", "67", "68", "70", "71", "88", "95", "100",
                   "102", "103", "104", "105"}  # fmt: skip
CHARGE_CODE = re.compile(r"^[A-Z]{2,3}$")
_CODE_HINT = {
    True: " or a reason_code from UNCL 5189 (e.g. 95 for a discount)",
    False: " or a reason_code from UNCL 7161 (e.g. FC for freight)",
}


def _reason_code(value: str | None, allowance: bool, field: str) -> str | None:
    if not value or not value.strip():
        return None
    code = value.strip().upper()
    if (code in ALLOWANCE_CODES) if allowance else bool(CHARGE_CODE.match(code)):
        return code
    if allowance:
        raise ValidationFailed.field(field, f"{value!r} is not an allowance reason code; use one of "
                                     f"{', '.join(sorted(ALLOWANCE_CODES, key=int))} (UNCL 5189)")  # fmt: skip
    raise ValidationFailed.field(field, f"{value!r} is not a charge reason code: two or three letters from UNCL 7161")


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


def adjustment_inputs(invoice: Invoice) -> list[AdjustmentInput]:
    """The stored allowances and charges as the inputs that would make them again."""
    return [
        AdjustmentInput(
            kind=a["kind"],
            reason=a["reason"],
            reason_code=a["reason_code"],
            percent=None if a["percent"] is None else Decimal(a["percent"]),
            amount=None if a["amount"] is None else Decimal(a["amount"]),
            tax_category=a["tax_category"],
            tax_rate=None if a["tax_rate"] is None else Decimal(a["tax_rate"]),
        )
        for a in invoice.adjustments or []
    ]


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
