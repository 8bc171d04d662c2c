"""Invoice-level allowances (discounts) and charges (fees): each checked and taken from (or
added to) its VAT group of the breakdown, and read back as the inputs that made it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.db.models import Invoice
from app.domain import money, vat
from app.domain.errors import ValidationFailed
from app.domain.invoices.bounds import MAX_LINE_AMOUNT, check_amount, check_decimal, check_tax_rate
from app.domain.money import HUNDRED
from app.domain.schemas import AdjustmentInput

if TYPE_CHECKING:
    from app.domain.invoices.pricing import Defaults


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
