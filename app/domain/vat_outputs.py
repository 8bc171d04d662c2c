"""The VAT shapes an invoice, a quote and a credit note answer with: the breakdown by
category and rate, the allowances and charges with their parts per group, and the VAT in
the accounting currency (EN 16931 BG-23, BG-20/21, BT-111)."""

from __future__ import annotations

from msgspec import Struct


class AdjustmentPart(Struct):
    """What an allowance or charge takes from (or adds to) one VAT group."""

    tax_category: str
    tax_rate: str
    base: str | None  # the net its percent was taken of
    amount: str


class AdjustmentOut(Struct):
    """An invoice-level allowance (discount) or charge (fee), as entered, and its amount."""

    kind: str
    reason: str | None
    reason_code: str | None
    percent: str | None
    amount: str
    tax_category: str | None  # null: a percent taken from each VAT group of the lines
    tax_rate: str | None
    parts: list[AdjustmentPart]


class VatGroupOut(Struct):
    """One row of the VAT breakdown: the taxable amount of a category and rate, and its tax
    (rounded once for the group)."""

    tax_category: str
    tax_rate: str
    taxable_amount: str
    tax_amount: str
    exemption_code: str | None
    exemption_reason: str | None


class VatAccountingOut(Struct):
    """The invoice's VAT in the workspace's VAT accounting currency (BT-111): the rate given,
    and, once finalized, what the VAT came to at it."""

    currency: str
    rate: str
    tax_amount: str | None  # null until finalized
