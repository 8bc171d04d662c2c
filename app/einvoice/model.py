"""The EN 16931 semantic model of one invoice or credit note: the business terms (BT-n) and
groups (BG-n) every syntax writes from. Amounts are Decimals in the document's currency, as
the domain computed them; nothing here computes money again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from msgspec import Struct

INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"


class Address(Struct):
    street: str | None = None  # BT-35 / BT-50
    additional: str | None = None  # BT-36 / BT-51
    city: str | None = None  # BT-37 / BT-52
    postal_code: str | None = None  # BT-38 / BT-53
    region: str | None = None  # BT-39 / BT-54
    country: str | None = None  # BT-40 / BT-55


class Party(Struct):
    name: str  # BT-27 / BT-44
    address: Address
    trading_name: str | None = None  # BT-28 / BT-45
    identifier: str | None = None  # BT-29 / BT-46
    vat_id: str | None = None  # BT-31 / BT-48
    tax_number: str | None = None  # BT-32 (the seller's national tax number)
    endpoint: tuple[str, str] | None = None  # BT-34 / BT-49: (scheme, identifier)
    contact_name: str | None = None  # BT-41 / BT-56
    contact_phone: str | None = None  # BT-42 / BT-57
    contact_email: str | None = None  # BT-43 / BT-58


class AllowanceCharge(Struct):
    """A document-level allowance or charge (BG-20, BG-21) or a line allowance (BG-27)."""

    charge: bool
    amount: Decimal
    reason: str | None = None
    reason_code: str | None = None
    percent: Decimal | None = None
    base: Decimal | None = None
    vat_category: str | None = None  # null on a line's
    vat_rate: Decimal | None = None


class Line(Struct):
    id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129
    price: Decimal  # BT-146, the net price of one unit
    net_amount: Decimal  # BT-131
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152
    unit_code: str = "C62"  # BT-130: "one", Billcraft's lines carry no unit
    allowances: list[AllowanceCharge] = []


class VatGroup(Struct):
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str | None = None  # BT-120
    exemption_code: str | None = None  # BT-121


class Payment(Struct):
    means_code: str  # BT-81: 58 SEPA credit transfer, 30 credit transfer, 1 not defined
    reference: str | None = None  # BT-83
    iban: str | None = None  # BT-84
    bic: str | None = None  # BT-86
    account_name: str | None = None  # BT-85
    text: str | None = None  # BT-82


class Document(Struct):
    type_code: str  # BT-3
    number: str  # BT-1
    issue_date: dt.date  # BT-2
    currency: str  # BT-5
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: list[Line]  # BG-25
    vat_groups: list[VatGroup]  # BG-23
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    payable: Decimal  # BT-115
    minor_digits: int = 2  # the currency's decimals, for writing amounts
    due_date: dt.date | None = None  # BT-9
    buyer_reference: str | None = None  # BT-10
    notes: list[str] = []  # BT-22
    preceding: tuple[str, dt.date] | None = None  # BG-3: the invoice a credit note corrects
    delivery_date: dt.date | None = None  # BT-72
    period: tuple[dt.date, dt.date] | None = None  # BG-14
    deliver_to: Address | None = None  # BG-15, for an intra-community supply (BT-80 and, in XRechnung, BT-77/78)
    tax_currency: str | None = None  # BT-6
    tax_total_accounting: Decimal | None = None  # BT-111
    payment: Payment | None = None  # BG-16
    payment_terms: str | None = None  # BT-20
    allowances: list[AllowanceCharge] = []  # BG-20 and BG-21

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE
