"""What every face accepts: msgspec Structs for input, checked on decoding (``UNSET`` marks
a field left alone in a partial update), the text types they are built from, and the
decoding messages said for people (``friendly``). What the faces answer with is in
``app.domain.outputs``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

# No input text may hold U+0000: PostgreSQL cannot store it, and no person types it.
NO_NUL = Meta(pattern=r"^[^\x00]*$")
# Names, titles and address lines are one line: no control character (a line break in a
# name would end an email header early, a tab would misalign every document).
ONE_LINE = Meta(pattern=r"^[^\x00-\x1f\x7f]*$")
Text = Annotated[str, NO_NUL]
Title = Annotated[str, ONE_LINE, Meta(min_length=1, max_length=200)]
Name = Annotated[str, ONE_LINE, Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, ONE_LINE, Meta(max_length=200)]
LongText = Annotated[str, NO_NUL, Meta(max_length=5000)]
Email = Annotated[str, NO_NUL, Meta(max_length=320)]
Description = Annotated[str, NO_NUL, Meta(min_length=1, max_length=500)]
Reason = Annotated[str, NO_NUL, Meta(max_length=1000)]

MAX_ITEMS = 200
MAX_ADJUSTMENTS = 20
# VAT category (S, Z, E, AE, K, G, O) and exemption, checked by app.domain.vat.
TaxCategory = Annotated[str, ONE_LINE, Meta(max_length=2)]
ExemptionReason = Annotated[str, ONE_LINE, Meta(max_length=500)]
ExemptionCode = Annotated[str, ONE_LINE, Meta(max_length=40)]

# msgspec's decoding messages, said the way a person filling in a form would understand.
_FRIENDLY = {
    "Invalid RFC3339 encoded date": "must be a real date written YYYY-MM-DD",
    "Invalid RFC3339 encoded datetime": "must be a date and time in RFC 3339 form",
    "Invalid decimal string": "must be a number, such as 150 or 150.00",
    "Invalid UUID": "must be a UUID, as given in list results",
    f"Expected `str` matching regex {NO_NUL.pattern!r}": "must not contain the NUL character (U+0000)",
    f"Expected `str` matching regex {ONE_LINE.pattern!r}": "must be one line, without control characters "
    "such as line breaks or tabs",
}


def friendly(message: str) -> str:
    """A clearer wording of a msgspec decoding message, when there is one."""
    return _FRIENDLY.get(message.strip(), message)


class Input(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every input: unknown fields are refused, so a typo never passes silently."""


# --- inputs -------------------------------------------------------------------------------


class ItemInput(Input):
    description: Description
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal | None = None
    # Off this line: a percent of quantity x unit price, or an amount; not both.
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_category: TaxCategory | None = None  # default: the invoice's
    exemption_reason: ExemptionReason | None = None
    exemption_code: ExemptionCode | None = None


class AdjustmentInput(Input):
    """An invoice-level allowance (a discount) or charge (a fee): a percent of the net or an
    amount, with a reason, taxed at a VAT category and rate. A percent with neither category
    nor rate is taken from each VAT group of the lines, rounded once per group."""

    kind: Literal["allowance", "charge"]
    reason: ShortText | None = None
    reason_code: Annotated[str, ONE_LINE, Meta(max_length=3)] | None = None
    percent: Decimal | None = None
    amount: Decimal | None = None
    tax_category: TaxCategory | None = None
    tax_rate: Decimal | None = None


class InvoiceCreate(Input):
    title: Title
    client_uuid: uuid.UUID | None = None
    currency: Text | None = None
    number: Annotated[str, ONE_LINE] | None = None
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    notes: LongText = ""
    tax_rate: Decimal = Decimal(0)
    items: Annotated[list[ItemInput], Meta(max_length=MAX_ITEMS)] = msgspec.field(default_factory=list)
    # When the work was delivered: a day, or a period (both ends); neither: the issue date,
    # stated on the invoice when it is finalized.
    delivery_date: dt.date | None = None
    service_period_start: dt.date | None = None
    service_period_end: dt.date | None = None
    # Units of the workspace's VAT currency per unit of the invoice's, when they differ.
    vat_exchange_rate: Decimal | None = None
    tax_category: TaxCategory = "S"  # the lines' default VAT category
    exemption_reason: ExemptionReason | None = None
    exemption_code: ExemptionCode | None = None
    adjustments: Annotated[list[AdjustmentInput], Meta(max_length=MAX_ADJUSTMENTS)] = msgspec.field(
        default_factory=list
    )
    # Skonto: this percent off when paid within this many days (app/domain/invoices/early_payment.py).
    early_payment_discount: Decimal | None = None
    early_payment_days: int | None = None


class InvoiceUpdate(Input):
    """Every create field, each optional; ``items`` replaces the whole list."""

    title: Title | UnsetType = UNSET
    client_uuid: uuid.UUID | UnsetType | None = UNSET
    currency: Text | UnsetType = UNSET
    number: Annotated[str, ONE_LINE] | UnsetType | None = UNSET
    issue_date: dt.date | UnsetType = UNSET
    due_date: dt.date | UnsetType = UNSET
    notes: LongText | UnsetType = UNSET
    tax_rate: Decimal | UnsetType = UNSET
    items: Annotated[list[ItemInput], Meta(max_length=MAX_ITEMS)] | UnsetType = UNSET
    delivery_date: dt.date | UnsetType | None = UNSET
    service_period_start: dt.date | UnsetType | None = UNSET
    service_period_end: dt.date | UnsetType | None = UNSET
    vat_exchange_rate: Decimal | UnsetType | None = UNSET
    tax_category: TaxCategory | UnsetType = UNSET
    exemption_reason: ExemptionReason | UnsetType | None = UNSET
    exemption_code: ExemptionCode | UnsetType | None = UNSET
    adjustments: Annotated[list[AdjustmentInput], Meta(max_length=MAX_ADJUSTMENTS)] | UnsetType = UNSET
    early_payment_discount: Decimal | UnsetType | None = UNSET  # null or 0: no early-payment discount
    early_payment_days: int | UnsetType | None = UNSET


class SendInput(Input):
    to: Annotated[list[Email], Meta(max_length=20)] | None = None
    message: LongText | None = None
    # False: record the invoice as sent (or reminded) without emailing anyone, e.g. when it
    # went out by post or from another system.
    notify: bool = True


class PaymentInput(Input):
    amount: Decimal | None = None
    payment_date: dt.date | None = None
    payment_method: Annotated[str, ONE_LINE, Meta(max_length=100)] = ""


class CreditLineInput(Input):
    line: Annotated[int, Meta(ge=1, le=MAX_ITEMS)]  # the invoice's line, numbered from 1
    quantity: Decimal | None = None  # default: all of the line not credited yet


class CreditInput(Input):
    """A credit note: the whole rest of the invoice (neither lines nor amount), chosen lines,
    or a net amount of an invoice with one VAT group."""

    reason: Annotated[str, NO_NUL, Meta(min_length=1, max_length=1000)]
    lines: Annotated[list[CreditLineInput], Meta(max_length=MAX_ITEMS)] | None = None
    amount: Decimal | None = None


class CancelInput(Input):
    reason: Reason | None = None


class DuplicateInput(Input):
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    title: Title | None = None


class FromPreviousInput(Input):
    client_uuid: uuid.UUID
    issue_date: dt.date | None = None
    due_date: dt.date | None = None


SEARCH_MAX, PAGE_MAX, PER_PAGE_MAX, PER_PAGE = 200, 100_000, 100, 20


class ListQuery(Input):
    """Search and paging, as every list takes them."""

    search: Annotated[str, NO_NUL, Meta(max_length=SEARCH_MAX)] | None = None
    page: Annotated[int, Meta(ge=1, le=PAGE_MAX)] = 1
    per_page: Annotated[int, Meta(ge=1, le=PER_PAGE_MAX)] = PER_PAGE


class InvoiceFilter(ListQuery):
    status: Text | None = None
    client_uuid: uuid.UUID | None = None
    delivery_status: Text | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class ClientInput(Input):
    name: Name
    email: Email = ""
    phone: Annotated[str, ONE_LINE, Meta(max_length=64)] = ""
    address_line1: ShortText = ""
    address_line2: ShortText = ""
    city: Annotated[str, ONE_LINE, Meta(max_length=100)] = ""
    postal_code: Annotated[str, ONE_LINE, Meta(max_length=32)] = ""
    region: Annotated[str, ONE_LINE, Meta(max_length=100)] = ""
    country: Annotated[str, ONE_LINE, Meta(max_length=2)] = ""
    tax_number: Annotated[str, ONE_LINE, Meta(max_length=64)] = ""
    website: Annotated[str, ONE_LINE, Meta(max_length=300)] = ""
    notes: LongText = ""
    language: Annotated[str, ONE_LINE, Meta(max_length=8)] = ""  # its documents' language; "": the workspace's
    buyer_reference: Annotated[str, ONE_LINE, Meta(max_length=100)] = ""  # BT-10, e.g. a Leitweg-ID
    electronic_address: Annotated[str, ONE_LINE, Meta(max_length=110)] = ""  # Peppol participant id
    einvoice_format: Annotated[str, ONE_LINE, Meta(max_length=16)] = ""  # "": PDF only


class ClientUpdate(Input):
    name: Name | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    phone: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    address_line1: ShortText | UnsetType = UNSET
    address_line2: ShortText | UnsetType = UNSET
    city: Annotated[str, ONE_LINE, Meta(max_length=100)] | UnsetType = UNSET
    postal_code: Annotated[str, ONE_LINE, Meta(max_length=32)] | UnsetType = UNSET
    region: Annotated[str, ONE_LINE, Meta(max_length=100)] | UnsetType = UNSET
    country: Annotated[str, ONE_LINE, Meta(max_length=2)] | UnsetType = UNSET
    tax_number: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    website: Annotated[str, ONE_LINE, Meta(max_length=300)] | UnsetType = UNSET
    notes: LongText | UnsetType = UNSET
    language: Annotated[str, ONE_LINE, Meta(max_length=8)] | UnsetType = UNSET
    buyer_reference: Annotated[str, ONE_LINE, Meta(max_length=100)] | UnsetType = UNSET
    electronic_address: Annotated[str, ONE_LINE, Meta(max_length=110)] | UnsetType = UNSET
    einvoice_format: Annotated[str, ONE_LINE, Meta(max_length=16)] | UnsetType = UNSET


class WorkspaceCreate(Input):
    name: Name
    company_slug: Annotated[str, ONE_LINE, Meta(max_length=64)] | None = None
    default_currency: Text = "USD"
    timezone: Annotated[str, ONE_LINE, Meta(max_length=64)] = "UTC"


class WorkspaceSettingsUpdate(Input):
    name: Name | UnsetType = UNSET
    default_currency: Text | UnsetType = UNSET
    timezone: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    locale: Annotated[str, ONE_LINE, Meta(max_length=16)] | UnsetType = UNSET
    legal_name: ShortText | UnsetType = UNSET
    address: LongText | UnsetType = UNSET
    tax_id: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    country: Annotated[str, ONE_LINE, Meta(max_length=2)] | UnsetType = UNSET
    vat_currency: Text | UnsetType = UNSET  # "": no VAT statement in another currency
    iban: Annotated[str, ONE_LINE, Meta(max_length=42)] | UnsetType = UNSET
    bic: Annotated[str, ONE_LINE, Meta(max_length=11)] | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    phone: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    electronic_address: Annotated[str, ONE_LINE, Meta(max_length=110)] | UnsetType = UNSET
    payment_instructions: LongText | UnsetType = UNSET
    number_pattern: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    payment_terms_days: Annotated[int, Meta(ge=0, le=365)] | UnsetType = UNSET


class MemberInput(Input):
    email: Email
    role: Text = "member"


class ConfirmationSettings(Input):
    """Which changes an assistant must have a person confirm (``app.domain.approvals``):
    every choice listed, an empty list for none."""

    confirm_actions: Annotated[list[Text], Meta(max_length=6)]
    confirm_channels: Annotated[list[Text], Meta(max_length=2)]
