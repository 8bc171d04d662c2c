"""Reading invoices: one with everything on it, what its PDF shows, and the filtered,
paginated list (one statement for the page and its count)."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select

from app.db.models import Client, EmailDelivery, Invoice
from app.domain import parties
from app.domain.access import Scope, WorkspaceAccess
from app.domain.deliveries import DeliveryStatus
from app.domain.errors import ValidationFailed
from app.domain.invoices.base import InvoiceBase
from app.domain.lifecycle import Status
from app.domain.outputs import InvoiceDocument, InvoiceOut, InvoiceSummary, Page
from app.domain.schemas import InvoiceFilter
from app.domain.search import contains
from app.domain.views import SUMMARY_COLUMNS, invoice_summary


class Reading(InvoiceBase):
    async def get_out(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> InvoiceOut:
        await self.enter(access, Scope.INVOICES_READ)
        return self.out(await self.find(access, invoice_uuid))

    async def document(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> InvoiceDocument:
        """What the PDF of an invoice shows."""
        await self.enter(access, Scope.INVOICES_READ)
        invoice = await self.find(access, invoice_uuid)
        return parties.invoice_document(invoice, access.workspace, access.role.value, self.base_url)

    async def list_page(self, access: WorkspaceAccess, query: InvoiceFilter) -> Page[InvoiceSummary]:
        await self.enter(access, Scope.INVOICES_READ)
        where: list[Any] = [Invoice.workspace_id == access.workspace_id]
        if query.status is not None:
            try:
                where.append(Invoice.status == Status(query.status).value)
            except ValueError:
                raise ValidationFailed.field(
                    "status", f"{query.status!r} is not a status; allowed: {', '.join(s.value for s in Status)}"
                ) from None
        if query.client_uuid is not None:
            where.append(Invoice.client_id == query.client_uuid)
        if query.delivery_status is not None:
            where.append(Invoice.id.in_(self._with_delivery(access, query.delivery_status)))
        if query.date_from is not None:
            where.append(Invoice.issue_date >= query.date_from)
        if query.date_to is not None:
            where.append(Invoice.issue_date <= query.date_to)
        if query.date_from and query.date_to and query.date_from > query.date_to:
            raise ValidationFailed.field("date_to", "must be on or after date_from")
        if query.search:
            where.append(or_(contains(Invoice.title, query.search), contains(Invoice.number, query.search)))
        if len(where) == 1:  # the whole list, as most calls ask: its statement is built once
            page, counting = _whole_list(self.session.bind.dialect.name)
            values: dict[str, Any] = {"workspace_id": access.workspace_id}
        else:
            page, counting = _filtered_list(where), select(func.count()).select_from(Invoice).where(*where)
            values = {}
        values |= {"limit": query.per_page, "offset": (query.page - 1) * query.per_page}
        rows = (await self.session.execute(page, values)).all()
        total = int(rows[0].total) if rows else (await self.session.execute(counting, values)).scalar_one()
        items = [invoice_summary(row) for row in rows]
        return Page(
            items=items,
            total=total,
            page=query.page,
            per_page=query.per_page,
            has_more=query.page * query.per_page < total,
        )

    @staticmethod
    def _with_delivery(access: WorkspaceAccess, status: str) -> Any:
        """Invoices with at least one email in this delivery status."""
        try:
            wanted = DeliveryStatus(status).value
        except ValueError:
            allowed = ", ".join(s.value for s in DeliveryStatus)
            raise ValidationFailed.field(
                "delivery_status", f"{status!r} is not a delivery status; allowed: {allowed}"
            ) from None
        return select(EmailDelivery.invoice_id).where(
            EmailDelivery.workspace_id == access.workspace_id, EmailDelivery.status == wanted
        )


def _filtered_list(where: list[Any]) -> Select[Any]:
    """One statement: the page's rows as plain columns, and the count beside them (an
    uncorrelated subquery, counted once); a page past the end asks for the count alone.
    count(*), not count(id): an index on the filter's columns answers it alone."""
    counted = select(func.count()).select_from(Invoice).where(*where).scalar_subquery().label("total")
    return (
        select(*SUMMARY_COLUMNS, counted)
        .outerjoin(Client, Client.id == Invoice.client_id)
        .where(*where)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.cache
def _whole_list(dialect: str) -> tuple[Select[Any], Select[Any]]:
    """The page and the count of a workspace's whole list, with the workspace a parameter."""
    mine = [Invoice.workspace_id == bindparam("workspace_id", type_=Invoice.__table__.c.workspace_id.type)]
    return _filtered_list(mine), select(func.count()).select_from(Invoice).where(*mine)
