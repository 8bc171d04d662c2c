"""E-invoices received from suppliers (DESIGN section 8b): the file as it came, what it says
(read by ``app.einvoice.reading``) and what its checks found. Read-only once received; a
tenant table like every other (row-level security on PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import JSON, Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column


class ReceivedInvoice(UUIDv7AuditBase):
    __tablename__ = "received_invoice"
    __table_args__ = (Index("ix_received_invoice_workspace", "workspace_id", "created_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))  # application/xml or application/pdf
    content: Mapped[bytes] = mapped_column(LargeBinary)
    syntax: Mapped[str] = mapped_column(String(8))  # UBL or CII
    format: Mapped[str] = mapped_column(String(16))  # xrechnung, peppol, facturx or en16931
    number: Mapped[str | None] = mapped_column(String(200), default=None)
    seller_name: Mapped[str | None] = mapped_column(String(300), default=None)
    payable: Mapped[str | None] = mapped_column(String(40), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    valid: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # app.einvoice.reading.ReadInvoice
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # app.einvoice.render.EinvoiceReport
