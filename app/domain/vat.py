"""VAT by category and rate (EN 16931, UNCL 5305 codes): the categories an invoice line, an
allowance or a charge may carry, the rate each allows, the exemption reasons and legal
notes they need, and the breakdown (BG-23): one group per category and rate, whose tax is
its taxable amount x rate / 100 rounded half-up once, in integer minor units."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.errors import ValidationFailed

ZERO = Decimal(0)


class Category(StrEnum):
    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    NOT_SUBJECT = "O"


NAMES = {
    Category.STANDARD: "standard rate",
    Category.ZERO_RATED: "zero rated",
    Category.EXEMPT: "exempt (give the reason)",
    Category.REVERSE_CHARGE: "reverse charge (the client's VAT ID is needed)",
    Category.INTRA_COMMUNITY: "intra-community supply (both VAT IDs are needed)",
    Category.EXPORT: "export outside the EU",
    Category.NOT_SUBJECT: "not subject to VAT",
}
CODES = [c.value for c in Category]
ALLOWED = ", ".join(f"{c.value} ({NAMES[c]})" for c in Category)

# The exemption each category other than S, Z and E states by itself (VATEX codes, CEF list).
IMPLIED_EXEMPTION = {
    Category.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    Category.INTRA_COMMUNITY: ("VATEX-EU-IC", "Intra-community supply"),
    Category.EXPORT: ("VATEX-EU-G", "Export outside the EU"),
    Category.NOT_SUBJECT: ("VATEX-EU-O", "Not subject to VAT"),
}
# What the printed invoice says for each (the law asks for it on the document itself).
LEGAL_NOTES = {
    Category.REVERSE_CHARGE: "Reverse charge: the recipient is liable for the VAT "
    "(Article 196, Directive 2006/112/EC).",
    Category.INTRA_COMMUNITY: "Intra-community supply, exempt from VAT (Article 138, Directive 2006/112/EC).",
    Category.EXPORT: "Export outside the EU, exempt from VAT (Article 146, Directive 2006/112/EC).",
    Category.NOT_SUBJECT: "Not subject to VAT.",
}
# The categories for which the law needs the client's VAT ID on the invoice.
NEEDS_CLIENT_VAT_ID = {Category.REVERSE_CHARGE, Category.INTRA_COMMUNITY}
# ... and the seller's too.
NEEDS_SELLER_VAT_ID = {Category.INTRA_COMMUNITY}

VATEX = re.compile(r"^VATEX-[A-Z]{2}-[0-9A-Z-]{1,30}$")
MAX_REASON = 500


def category(value: str, field: str) -> Category:
    code = value.strip().upper()
    try:
        return Category(code)
    except ValueError:
        raise ValidationFailed.field(field, f"{value!r} is not a VAT category: use one of {ALLOWED}") from None


def rate_for(cat: Category, given: Decimal | None, standard: Decimal, field: str) -> Decimal:
    """The rate a line (or allowance, or charge) is taxed at: its own, else for category S
    the invoice's rate; every other category carries no VAT, so its rate is 0."""
    if cat is Category.STANDARD:
        return standard if given is None else given
    if given is not None and given != ZERO:
        raise ValidationFailed.field(
            field, f"category {cat.value} ({NAMES[cat]}) carries no VAT: leave tax_rate out or give 0"
        )
    return ZERO


def exemption_code(value: str, field: str) -> str:
    code = value.strip().upper()
    if not VATEX.match(code):
        raise ValidationFailed.field(
            field, f"{value!r} is not a VATEX exemption code, such as VATEX-EU-132-1A or VATEX-EU-309"
        )
    return code


def exemption_for(cat: Category, code: str | None, reason: str | None, field: str) -> tuple[str | None, str | None]:
    """The exemption (code, words) a line of this category states: an exempt line must give
    one or both; reverse charge, intra-community, export and not-subject imply theirs; S and
    Z state none."""
    if cat is Category.EXEMPT:
        if not code and not reason:
            raise ValidationFailed.field(
                field,
                "an exempt line (category E) needs the reason it is exempt: exemption_reason in words "
                "(e.g. 'Exempt under section 4 no. 21 UStG') or exemption_code (a VATEX code)",
            )
        return code or None, reason or None
    if cat in IMPLIED_EXEMPTION:
        implied_code, implied_reason = IMPLIED_EXEMPTION[cat]
        return code or implied_code, reason or implied_reason
    return None, None


@dataclass(frozen=True)
class Key:
    category: Category
    rate: Decimal


@dataclass
class Group:
    """One row of the VAT breakdown, in minor units."""

    key: Key
    exemption_code: str | None = None
    exemption_reason: str | None = None
    lines_minor: int = 0
    allowances_minor: int = 0
    charges_minor: int = 0
    tax_minor: int = 0
    exemption_fields: list[str] = field(default_factory=list)

    @property
    def taxable_minor(self) -> int:
        return self.lines_minor - self.allowances_minor + self.charges_minor


def percent_of(base_minor: int, percent: Decimal) -> int:
    """``percent`` of an amount in minor units, rounded half-up to a whole minor unit."""
    return int((Decimal(base_minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Breakdown:
    """The groups of one invoice, built line by line, then allowance and charge by allowance
    and charge, then taxed once per group."""

    def __init__(self) -> None:
        self.groups: dict[Key, Group] = {}

    def group(self, key: Key) -> Group:
        if key not in self.groups:
            self.groups[key] = Group(key)
        return self.groups[key]

    def add_line(self, key: Key, net_minor: int, exemption: tuple[str | None, str | None], field: str) -> None:
        group = self.group(key)
        if group.lines_minor == 0 and not group.exemption_fields:
            group.exemption_code, group.exemption_reason = exemption
        elif (group.exemption_code, group.exemption_reason) != exemption:
            # One breakdown row per category and rate, with one exemption reason each.
            raise ValidationFailed.field(
                field,
                f"lines at category {key.category.value} must share one exemption reason; "
                f"{group.exemption_fields[0]} gives {group.exemption_reason or group.exemption_code!r}",
            )
        group.exemption_fields.append(field)
        group.lines_minor += net_minor

    def line_groups(self) -> list[Key]:
        return [key for key, group in self.groups.items() if group.exemption_fields]

    def tax(self) -> list[Group]:
        for group in self.groups.values():
            if group.taxable_minor < 0:
                raise ValidationFailed.field(
                    "adjustments",
                    f"the allowances at {describe(group.key)} come to more than its lines and charges",
                )
            group.tax_minor = percent_of(group.taxable_minor, group.key.rate)
        return sorted(self.groups.values(), key=lambda g: (CODES.index(g.key.category.value), -g.key.rate))


def describe(key: Key) -> str:
    if key.category is Category.STANDARD:
        return f"category S {format(key.rate.normalize(), 'f')}%"
    return f"category {key.category.value}"


def notes_for(categories: Iterable[Category]) -> list[str]:
    """The legal notes an invoice with lines of these categories prints, in category order."""
    present = set(categories)
    return [LEGAL_NOTES[c] for c in Category if c in present and c in LEGAL_NOTES]
