"""What every face answers with: msgspec Structs for output (the invoice JSON of REST and
MCP alike, lists, statistics) and the document an invoice is printed from. What they accept
is in ``app.domain.schemas``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Generic, Protocol, TypeVar

from msgspec import Struct

from app.domain.access import Role
from app.domain.lifecycle import Action, Status
from app.domain.vat_outputs import AdjustmentOut, VatAccountingOut, VatGroupOut

T = TypeVar("T")


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
    tax_rate: str | None  # the line's own rate; null: the invoice's
    amount: str  # quantity x unit price, less the discount
    tax_amount: str  # the line's own share; the invoice's tax is taxed per VAT group
    discount_percent: str | None
    discount: str  # what the line's discount comes to
    tax_category: str  # the VAT category the line is taxed at (its own or the invoice's)
    exemption_code: str | None  # the line's own exemption; null: the invoice's
    exemption_reason: str | None


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


class EarlyPaymentOut(Struct):
    """The early-payment discount (Skonto): ``percent`` off when paid by ``pay_by``."""

    percent: str
    days: int
    pay_by: dt.date
    discount: str  # what the discount comes to
    amount: str  # what settles the invoice in full by then
    taken: str | None  # the discount granted, once the invoice was settled in time


class CreditNoteRef(Struct):
    """A credit note as its invoice lists it."""

    uuid: uuid.UUID
    number: str
    issue_date: dt.date
    total: str


class InvoiceRef(Struct):
    """The invoice a credit note corrects: its number and date (EN 16931 BG-3)."""

    uuid: uuid.UUID
    number: str | None
    issue_date: dt.date


class CreditNoteLineOut(Struct):
    line: int | None  # the invoice's line it credits; null for a rest, an amount or an allowance
    description: str
    quantity: str
    unit_price: str | None
    amount: str  # net
    tax_category: str
    tax_rate: str | None  # null on a credit note made before rates were kept per line


class CreditNoteOut(Struct):
    """A credit note: issued when made, never changed; its amounts are positive and credit
    the invoice it names."""

    uuid: uuid.UUID
    number: str
    invoice: InvoiceRef
    client: ClientRef | None
    issue_date: dt.date
    reason: str
    currency: str
    lines: list[CreditNoteLineOut]
    vat_breakdown: list[VatGroupOut]
    net_total: str
    tax_amount: str
    total: str
    public_url: str
    created_at: dt.datetime


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
    delivery_date: dt.date | None  # null until finalized when no service period is given either
    service_period_start: dt.date | None
    service_period_end: dt.date | None
    tax_category: str  # the lines' default VAT category
    exemption_code: str | None
    exemption_reason: str | None
    items: list[ItemOut]
    adjustments: list[AdjustmentOut]
    subtotal: str  # the lines' nets
    allowance_total: str
    charge_total: str
    net_total: str  # subtotal - allowances + charges: the taxable amounts of the breakdown
    tax_amount: str
    vat_breakdown: list[VatGroupOut]
    legal_notes: list[str]  # what the law has the invoice say for its VAT categories
    vat_exchange_rate: str | None  # units of the workspace's VAT currency per unit of the invoice's
    vat_accounting: VatAccountingOut | None  # its VAT in that currency, stated at finalize
    total: str
    amount_paid: str
    credited: str  # the totals of its credit notes
    balance_due: str
    refund_due: str  # what was received beyond the total less credits: owed back to the client
    credit_notes: list[CreditNoteRef]
    early_payment: EarlyPaymentOut | None
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
    allowance_total: str
    charge_total: str
    tax_amount: str
    vat_breakdown: list[VatGroupOut]
    total: str


class CreditNoteDocument(Struct):
    """Everything printed on a credit note: the note, the business issuing it, its client."""

    credit_note: CreditNoteOut
    workspace: WorkspaceOut
    client: ClientOut | None
    language: str = "en"  # what it is written in (app.domain.languages)
    # When its invoice's supply took place (its e-invoice states it, EN 16931 BT-72, BG-14).
    delivery_date: dt.date | None = None
    service_period_start: dt.date | None = None
    service_period_end: dt.date | None = None


class InvoiceDocument(Struct):
    """Everything printed on an invoice: the invoice, the business issuing it, its client,
    and the language it is written in."""

    invoice: InvoiceOut
    workspace: WorkspaceOut
    client: ClientOut | None
    language: str = "en"  # app.domain.languages


class PdfMaker(Protocol):
    """Turns an invoice or credit note document into PDF bytes (provided by the worker
    package, wired at the composition root: the domain never imports it)."""

    async def __call__(self, document: InvoiceDocument | CreditNoteDocument) -> bytes: ...


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
    language: str  # its documents' language; "": the workspace's
    buyer_reference: str  # the reference its invoices carry (BT-10), e.g. a Leitweg-ID
    electronic_address: str  # its Peppol participant id, scheme:identifier
    created_at: dt.datetime
    updated_at: dt.datetime
    # The e-invoice its invoices carry ("": the PDF alone). Last, with a default: the parties
    # kept on an invoice issued before it existed read without it.
    einvoice_format: str = ""


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
    country: str  # where the business is established; in the EU the VAT directive's checks apply
    vat_currency: str  # "": no VAT statement in another currency
    iban: str
    bic: str
    email: str
    phone: str  # the seller's contact telephone on e-invoices
    electronic_address: str  # the seller's Peppol participant id, scheme:identifier
    payment_instructions: str
    number_pattern: str
    payment_terms_days: int
    # Which changes an assistant must have a person confirm, over which MCP transports.
    confirm_actions: list[str]
    confirm_channels: list[str]
    created_at: dt.datetime


class ApprovalOut(Struct):
    """A change an assistant asked for, waiting for its person (or what became of it)."""

    uuid: uuid.UUID
    company_slug: str
    action: str
    status: str  # pending, approved, declined, failed, expired
    summary: dict[str, Any]
    how: str  # elicitation, input_required or link
    url: str
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    outcome: dict[str, Any] | None
    created_at: dt.datetime


class MemberOut(Struct):
    user_uuid: uuid.UUID
    email: str
    name: str
    role: Role


class NextNumberOut(Struct):
    number: str
    source: str
