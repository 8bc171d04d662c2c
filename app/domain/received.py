"""E-invoices received from suppliers (DESIGN section 8b): an XML or a Factur-X PDF read
into a read-only view (``app.einvoice.reading``) with the report of the official checks of
its format, kept in the workspace with the file as it came, listed and read back. Receiving
needs the invoice-writing scope, reading the reading one; another workspace's is not found."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from msgspec import Struct
from sqlalchemy import func, or_, select

from app.db.received_models import ReceivedInvoice
from app.domain.access import Scope, WorkspaceAccess
from app.domain.errors import NotFound, ValidationFailed
from app.domain.outputs import Page
from app.domain.schemas import ListQuery
from app.domain.search import contains
from app.domain.service import DomainService

ACCEPTED = {"application/xml", "text/xml", "application/pdf"}


class ReceivedSummary(Struct):
    uuid: uuid.UUID
    filename: str
    format: str
    syntax: str
    number: str | None
    seller_name: str | None
    currency: str | None
    payable: str | None
    valid: bool
    received_at: dt.datetime


class ReceivedOut(Struct):
    """A received e-invoice: what it says (``invoice``, as written) and what its checks
    found (``report``: its rule set's errors and warnings)."""

    uuid: uuid.UUID
    filename: str
    content_type: str
    format: str
    syntax: str
    valid: bool
    invoice: dict[str, Any]
    report: dict[str, Any]
    received_at: dt.datetime


def _summary(row: ReceivedInvoice) -> ReceivedSummary:
    return ReceivedSummary(
        uuid=row.id, filename=row.filename, format=row.format, syntax=row.syntax, number=row.number,
        seller_name=row.seller_name, currency=row.currency, payable=row.payable, valid=row.valid,
        received_at=row.created_at,
    )  # fmt: skip


def received_out(row: ReceivedInvoice) -> ReceivedOut:
    return ReceivedOut(
        uuid=row.id, filename=row.filename, content_type=row.content_type, format=row.format, syntax=row.syntax,
        valid=row.valid, invoice=row.details, report=row.report, received_at=row.created_at,
    )  # fmt: skip


class ReceivedService(DomainService):
    async def receive(self, access: WorkspaceAccess, data: bytes, filename: str) -> ReceivedOut:
        """Read, check and keep one supplier e-invoice; a file that is no e-invoice is refused
        with why, and nothing is kept."""
        from app.einvoice import checker
        from app.einvoice.reading import read
        from app.einvoice.render import FindingOut

        await self.enter(access, Scope.INVOICES_WRITE)
        if not data:
            raise ValidationFailed.field("file", "the file is empty: send the XML or the Factur-X PDF")
        invoice, xml = read(data)
        family = invoice.format if invoice.format in ("xrechnung", "peppol", "facturx") else "en16931"
        findings = await checker.official(xml, invoice.syntax, family)
        errors = [FindingOut(f.rule, f.message, "", f.flag, f.location) for f in findings if f.flag == "fatal"]
        warnings = [FindingOut(f.rule, f.message, "", f.flag, f.location) for f in findings if f.flag != "fatal"]
        row = ReceivedInvoice(
            workspace_id=access.workspace_id,
            filename=(filename.strip() or "e-invoice")[:200],
            content_type="application/pdf" if data.lstrip()[:5] == b"%PDF-" else "application/xml",
            content=data,
            syntax=invoice.syntax,
            format=invoice.format,
            number=(invoice.number or "")[:200] or None,
            seller_name=(invoice.seller.name or "")[:300] or None,
            payable=(invoice.payable or "")[:40] or None,
            currency=(invoice.currency or "")[:3] or None,
            valid=not errors,
            details=msgspec.to_builtins(invoice),
            report={
                "valid": not errors,
                "errors": msgspec.to_builtins(errors),
                "warnings": msgspec.to_builtins(warnings),
            },
        )
        self.session.add(row)
        await self.session.flush()
        return received_out(row)

    async def find(self, access: WorkspaceAccess, received_uuid: uuid.UUID) -> ReceivedInvoice:
        await self.enter(access, Scope.INVOICES_READ)
        row = (
            await self.session.execute(
                select(ReceivedInvoice).where(
                    ReceivedInvoice.workspace_id == access.workspace_id, ReceivedInvoice.id == received_uuid
                )
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(
                f"no received e-invoice {received_uuid} in this workspace", code="received_invoice_not_found"
            )
        return row

    async def get(self, access: WorkspaceAccess, received_uuid: uuid.UUID) -> ReceivedOut:
        return received_out(await self.find(access, received_uuid))

    async def list_page(self, access: WorkspaceAccess, query: ListQuery) -> Page[ReceivedSummary]:
        await self.enter(access, Scope.INVOICES_READ)
        where = [ReceivedInvoice.workspace_id == access.workspace_id]
        if query.search:
            where.append(or_(contains(ReceivedInvoice.number, query.search),
                             contains(ReceivedInvoice.seller_name, query.search)))  # fmt: skip
        total = (
            await self.session.execute(select(func.count()).select_from(ReceivedInvoice).where(*where))
        ).scalar_one()
        rows = (
            await self.session.execute(
                select(ReceivedInvoice)
                .where(*where)
                .order_by(ReceivedInvoice.id.desc())
                .offset((query.page - 1) * query.per_page)
                .limit(query.per_page)
            )
        ).scalars()
        return Page(
            items=[_summary(r) for r in rows], total=total, page=query.page, per_page=query.per_page,
            has_more=query.page * query.per_page < total,
        )  # fmt: skip
