"""The shapes every face shares: msgspec Structs for input (``UNSET`` marks a field left
alone in a partial update) and for output (the invoice JSON of REST and MCP alike).

Longer than the house's ~400 lines on purpose: a list of shapes with no logic to split,
kept in one place so that every face finds the words it speaks in one file."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Generic, Protocol, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from app.domain.access import Role
from app.domain.lifecycle import Action, Status

T = TypeVar("T")

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


class ListQuery(Input):
    """Search and paging, as every list takes them."""

    search: Annotated[str, NO_NUL, Meta(max_length=200)] | None = None
    page: Annotated[int, Meta(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Meta(ge=1, le=100)] = 20


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
    email: Email | UnsetType = UNSET
    payment_instructions: LongText | UnsetType = UNSET
    number_pattern: Annotated[str, ONE_LINE, Meta(max_length=64)] | UnsetType = UNSET
    payment_terms_days: Annotated[int, Meta(ge=0, le=365)] | UnsetType = UNSET


class MemberInput(Input):
    email: Email
    role: Text = "member"


# --- outputs ------------------------------------------------------------------------------


class Page(Struct, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    has_more: bool

    @classmethod
    def whole(cls, items: list[T]) -> Page[T]:
        """A list that is never long enough to page (workspaces, members) in the list shape."""
        return cls(items=items, total=len(items), page=1, per_page=max(len(items), 1), has_more=False)


class ClientRef(Struct):
    uuid: uuid.UUID
    name: str


class ItemOut(Struct):
    description: str
    quantity: str
    unit_price: str
    tax_rate: str | None
    amount: str
    tax_amount: str


class PaymentOut(Struct):
    uuid: uuid.UUID
    amount: str
    payment_date: dt.date
    payment_method: str
    recorded_at: dt.datetime


class ActorOut(Struct):
    uuid: uuid.UUID | None
    name: str


class HistoryOut(Struct):
    action: str
    from_status: Status | None
    to_status: Status | None
    at: dt.datetime
    actor: ActorOut
    channel: str
    oauth_client: str | None
    note: str | None
    data: dict[str, Any] | None


class DeliveryOut(Struct):
    """One email of the invoice to one recipient: queued, sending, sent, opened, bounced or
    failed (for good, after its retries), with the time of each step."""

    uuid: uuid.UUID
    to: str
    kind: str
    status: str
    attempts: int
    queued_at: dt.datetime
    sent_at: dt.datetime | None
    opened_at: dt.datetime | None
    bounced_at: dt.datetime | None
    failed_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    reason: str | None


class InvoiceOut(Struct):
    uuid: uuid.UUID
    number: str | None
    title: str
    status: Status
    client: ClientRef | None
    currency: str
    issue_date: dt.date
    due_date: dt.date
    notes: str
    tax_rate: str
    items: list[ItemOut]
    subtotal: str
    tax_amount: str
    total: str
    amount_paid: str
    balance_due: str
    finalized_at: dt.datetime | None
    sent_at: dt.datetime | None
    paid_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str | None
    payments: list[PaymentOut]
    history: list[HistoryOut]
    deliveries: list[DeliveryOut]
    allowed_actions: list[Action]
    public_url: str | None  # null for a draft: its public page (/i/<token>) serves every other invoice
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoiceSummary(Struct):
    """One row of an invoice list: enough to choose, without items and history."""

    uuid: uuid.UUID
    number: str | None
    title: str
    status: Status
    client: ClientRef | None
    currency: str
    issue_date: dt.date
    due_date: dt.date
    total: str
    balance_due: str
    created_at: dt.datetime


class DryRunOut(Struct):
    """What a mutation would do: the resulting invoice, its recipients; nothing changed."""

    dry_run: bool
    invoice: InvoiceOut
    recipients: list[str]


class QuoteLine(Struct):
    amount: str
    tax_amount: str


class QuoteOut(Struct):
    """What a set of items comes to, priced by the same rules as a saved invoice."""

    currency: str
    lines: list[QuoteLine]
    subtotal: str
    tax_amount: str
    total: str


class InvoiceDocument(Struct):
    """Everything printed on an invoice: the invoice, the business issuing it, its client."""

    invoice: InvoiceOut
    workspace: WorkspaceOut
    client: ClientOut | None


class PdfMaker(Protocol):
    """Turns an invoice document into PDF bytes (provided by the worker package, wired at
    the composition root: the domain never imports it)."""

    async def __call__(self, document: InvoiceDocument) -> bytes: ...


class ClientOut(Struct):
    uuid: uuid.UUID
    name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    region: str
    country: str
    tax_number: str
    website: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientBalanceOut(Struct):
    """What one client owes in one currency: invoiced (sent, paid or overdue), paid, still
    open, and the part of it that is overdue."""

    currency: str
    invoiced: str
    paid: str
    outstanding: str
    overdue: str
    open_invoices: int


class WorkspaceOut(Struct):
    uuid: uuid.UUID
    name: str
    company_slug: str
    # The caller's Role; documents (PDF, email, public page) are read by no member and say
    # "client" or "owner" here, so it stays text.
    role: str
    default_currency: str
    timezone: str
    locale: str
    legal_name: str
    address: str
    tax_id: str
    email: str
    payment_instructions: str
    number_pattern: str
    payment_terms_days: int
    created_at: dt.datetime


class MemberOut(Struct):
    user_uuid: uuid.UUID
    email: str
    name: str
    role: Role


class NextNumberOut(Struct):
    number: str
    source: str


class MonthOut(Struct):
    month: str
    invoiced: str
    paid: str


class CurrencyStats(Struct):
    currency: str
    total_invoiced: str
    total_paid: str
    total_outstanding: str
    total_overdue: str
    invoice_count: int
    counts_by_status: dict[str, int]
    average_days_to_payment: float | None
    monthly: list[MonthOut]


class StatsOut(Struct):
    scope: str
    workspaces: list[str]
    counts_by_status: dict[str, int]
    billable_finalizations: int
    currencies: list[CurrencyStats]


class WorkspaceShare(Struct):
    """One workspace's part of a person's figures across their workspaces, in one currency;
    the shares are percents of that currency's total over all of them (None when it is 0)."""

    company_slug: str
    name: str
    currency: str
    total_invoiced: str
    total_paid: str
    total_outstanding: str
    total_overdue: str
    invoice_count: int
    share_of_invoiced: float | None
    share_of_outstanding: float | None
