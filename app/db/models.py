"""The SQLAlchemy models of Billcraft (advanced-alchemy bases: UUIDv7 keys, audit timestamps).

Money is stored as integer minor units (cents, yen, fils) in ``*_minor`` columns so that
SQL aggregates are exact on every database; quantities, unit prices and tax rates keep
their exact decimal text. Every tenant-owned row carries ``workspace_id`` and every unique
key of such a row includes it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal kept as text: SQLite has no exact numeric type, and these values
    (quantities, unit prices, rates) are never summed in SQL."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class User(UUIDv7AuditBase):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)


class Workspace(UUIDv7AuditBase):
    __tablename__ = "workspace"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en_US")
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    # Where the business is established (ISO 3166); in the EU, what the VAT directive asks of
    # every invoice is checked at finalize (app.domain.legal).
    country: Mapped[str] = mapped_column(String(2), default="")
    # Where clients pay (printed, and the payment means of e-invoices), checked by stdnum.
    # The currency VAT is accounted in ("": none stated apart); an invoice in another currency
    # states its VAT in this one too, at the rate it was finalized with (EN 16931 BT-111).
    vat_currency: Mapped[str] = mapped_column(String(3), default="")
    iban: Mapped[str] = mapped_column(String(42), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    # The seller's contact telephone and Peppol participant id, for e-invoices (BT-42, BT-34).
    phone: Mapped[str] = mapped_column(String(64), default="")
    electronic_address: Mapped[str] = mapped_column(String(110), default="")
    payment_instructions: Mapped[str] = mapped_column(Text, default="")
    number_pattern: Mapped[str] = mapped_column(String(64), default="INV-{YYYY}-{SEQ:4}")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    # Which changes an assistant must have a person confirm, and over which MCP transports
    # (comma-separated; ``app.domain.approvals`` holds the choices and the defaults).
    confirm_actions: Mapped[str] = mapped_column(String(200), default="send,finalize,cancel,delete,bulk")
    confirm_channels: Mapped[str] = mapped_column(String(100), default="mcp_http,mcp_stdio")


class Membership(UUIDv7AuditBase):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))

    workspace: Mapped[Workspace] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class ApiToken(UUIDv7AuditBase):
    """A personal API token. Only its SHA-256 is stored: the token carries 256 random bits,
    so a fast hash is enough and lets every request find it by index."""

    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(500))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Client(UUIDv7AuditBase):
    __tablename__ = "client"
    __table_args__ = (Index("ix_client_workspace_name", "workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(32), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    tax_number: Mapped[str] = mapped_column(String(64), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="")  # "": the workspace's
    buyer_reference: Mapped[str] = mapped_column(String(100), default="")  # BT-10, e.g. a Leitweg-ID
    electronic_address: Mapped[str] = mapped_column(String(110), default="")  # Peppol participant id
    einvoice_format: Mapped[str] = mapped_column(String(16), default="")  # "": PDF only (app.domain.einvoicing)


class Invoice(UUIDv7AuditBase):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_invoice_workspace_status", "workspace_id", "status"),
        Index("ix_invoice_workspace_client", "workspace_id", "client_id"),
        Index("ix_invoice_workspace_issue_date", "workspace_id", "issue_date"),
        Index("ix_invoice_status_due_date", "status", "due_date"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("client.id"), default=None)
    number: Mapped[str | None] = mapped_column(String(64), default=None)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    tax_rate: Mapped[Decimal] = mapped_column(DecimalText(), default=Decimal(0))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    allowance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    charge_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    delivery_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    service_period_start: Mapped[dt.date | None] = mapped_column(Date, default=None)
    service_period_end: Mapped[dt.date | None] = mapped_column(Date, default=None)
    tax_category: Mapped[str] = mapped_column(String(2), default="S")
    exemption_code: Mapped[str | None] = mapped_column(String(40), default=None)
    exemption_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # The allowances and charges as entered, each with its parts per VAT group, and the VAT
    # breakdown the invoice was priced with (None: priced before groups, tax per line).
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    vat_breakdown: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # VAT in the workspace's VAT accounting currency: the rate given on the draft (accounting
    # units per invoice unit) and, from finalize, the amount it came to (BT-111).
    vat_exchange_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    vat_accounting_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    vat_accounting_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The seller's and the client's details as issued (app.domain.parties), kept at finalize.
    issued_parties: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credited_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # the totals of its credit notes
    # Early-payment discount (Skonto): this percent off when paid within this many days of
    # the issue date (app/domain/invoices/early_payment.py); what was granted, once settled.
    early_discount_percent: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    early_discount_days: Mapped[int | None] = mapped_column(Integer, default=None)
    discount_taken_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    finalized_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Set when the invoice becomes paid: whole days from the day it was sent (in its
    # workspace's time zone) to the day its last payment was received; kept so that the
    # average needs no join to the payments (app/domain/stats.py).
    days_to_payment: Mapped[int | None] = mapped_column(Integer, default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(Text, default=None)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)

    client: Mapped[Client | None] = relationship(lazy="joined")
    items: Mapped[list[InvoiceItem]] = relationship(
        lazy="selectin", order_by="InvoiceItem.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        lazy="selectin", order_by="Payment.created_at", cascade="all, delete-orphan"
    )
    history: Mapped[list[InvoiceEvent]] = relationship(
        lazy="selectin", order_by="[InvoiceEvent.created_at, InvoiceEvent.id]", cascade="all, delete-orphan"
    )
    deliveries: Mapped[list[EmailDelivery]] = relationship(
        lazy="selectin", order_by="EmailDelivery.id", cascade="all, delete-orphan"
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        lazy="selectin", order_by="CreditNote.id", back_populates="invoice"
    )


class CreditNote(UUIDv7AuditBase):
    """A correction of a finalized invoice, a document of its own: numbered from its own
    series, issued when it is made and never changed. Its lines and VAT breakdown are kept
    as issued (minor units), like the invoice's own."""

    __tablename__ = "credit_note"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_credit_note_invoice", "invoice_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    vat_breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes", lazy="joined")


class InvoiceItem(UUIDv7AuditBase):
    __tablename__ = "invoice_item"
    __table_args__ = (Index("ix_invoice_item_invoice", "invoice_id", "position"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    unit_price: Mapped[Decimal] = mapped_column(DecimalText())
    tax_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    # amount_minor is the line's net: quantity x unit price less its discount.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # The line's own tax, shown beside it; the invoice's tax is taxed per VAT group.
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    discount_percent: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_category: Mapped[str | None] = mapped_column(String(2), default=None)  # None: the invoice's
    exemption_code: Mapped[str | None] = mapped_column(String(40), default=None)
    exemption_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class Payment(UUIDv7AuditBase):
    __tablename__ = "payment"
    __table_args__ = (
        Index("ix_payment_invoice", "invoice_id"),
        Index("ix_payment_workspace_date", "workspace_id", "payment_date"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_date: Mapped[dt.date] = mapped_column(Date)
    payment_method: Mapped[str] = mapped_column(String(100), default="")


class InvoiceEvent(UUIDv7AuditBase):
    """One line of an invoice's history: what happened, by whom, through which face."""

    __tablename__ = "invoice_event"
    __table_args__ = (Index("ix_invoice_event_invoice", "invoice_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(320), default="")
    channel: Mapped[str] = mapped_column(String(16))
    oauth_client_id: Mapped[str | None] = mapped_column(String(200), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class EmailDelivery(UUIDv7AuditBase):
    """One email to one recipient. Written as the outbox row in the transaction that sends
    the invoice; the worker claims it (``sending`` with a lease), mails it, and then it
    tracks what became of it: sent, opened, bounced, or failed for good."""

    __tablename__ = "email_delivery"
    __table_args__ = (
        Index("ix_email_delivery_invoice", "invoice_id"),
        Index("ix_email_delivery_due", "status", "next_attempt_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    # The credit note an email of kind "credit_note" carries: one of its invoice's, which the
    # delivery belongs to and goes with (so no foreign key of its own).
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(GUID(length=16), default=None)
    kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    bounced_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


class InvoiceCounter(UUIDv7AuditBase):
    """The last sequence number handed out for one rendering of a workspace's pattern
    (``INV-2026-{SEQ}`` starts again at 1 in 2027). Locked row by row on PostgreSQL."""

    __tablename__ = "invoice_counter"
    __table_args__ = (UniqueConstraint("workspace_id", "scope"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(UUIDv7AuditBase):
    """The first answer to a request made with an idempotency key, replayed for 24 hours."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), default=None)
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


class Approval(UUIDv7AuditBase):
    """A change an assistant asked for that waits for its person: confirmed in the MCP client
    (elicitation) or on the approval page, declined, or expired. Single use: once decided it
    is never decided again, so a replayed confirmation finds nothing to confirm."""

    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_user_status", "user_id", "status"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    fingerprint: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(255), default=None)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    how: Mapped[str] = mapped_column(String(16))  # elicitation, input_required or link
    oauth_client_id: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
