"""Copies: a draft duplicated from an invoice, or started from a client's latest one,
with new dates (the same terms as the source unless given)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from app.db.models import Invoice
from app.domain.access import Scope, WorkspaceAccess
from app.domain.clients import ClientService
from app.domain.errors import NotFound
from app.domain.invoices.adjustments import adjustment_inputs
from app.domain.invoices.base import ACTION_SCOPE, Result
from app.domain.invoices.bounds import check_date
from app.domain.invoices.editing import Editing
from app.domain.invoices.pricing import item_input
from app.domain.lifecycle import Action, Status
from app.domain.schemas import DuplicateInput, FromPreviousInput
from app.domain.service import rehearsal
from app.domain.workspaces import today_in


class Copies(Editing):
    async def duplicate(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: DuplicateInput, *, dry_run: bool = False
    ) -> Result:
        await self.enter(access, ACTION_SCOPE[Action.DUPLICATE])
        async with rehearsal(self.session, dry_run):
            source = await self.find(access, invoice_uuid)
            copy = await self._copy(access, source, data.title, data.issue_date, data.due_date)
            self._record(access, copy, "create", None, Status.DRAFT, data={"duplicated_from": str(source.id)})
            return await self._finish(copy, dry_run)

    async def from_previous(self, access: WorkspaceAccess, data: FromPreviousInput, *, dry_run: bool = False) -> Result:
        """A new draft pre-filled from the client's latest invoice, with new dates."""
        await self.enter(access, Scope.INVOICES_WRITE)
        async with rehearsal(self.session, dry_run):
            client = await ClientService(session=self.session).find(access, data.client_uuid, field="client_uuid")
            latest = (
                (
                    await self.session.execute(
                        select(Invoice)
                        .where(Invoice.workspace_id == access.workspace_id, Invoice.client_id == client.id)
                        .order_by(
                            (Invoice.status == Status.CANCELLED.value).asc(),
                            Invoice.issue_date.desc(),
                            Invoice.id.desc(),
                        )
                        .limit(1)
                    )
                )
                .unique()
                .scalar_one_or_none()
            )
            if latest is None:
                raise NotFound(f"{client.name} has no invoice to start from", code="no_previous_invoice")
            copy = await self._copy(access, latest, None, data.issue_date, data.due_date)
            self._record(access, copy, "create", None, Status.DRAFT, data={"created_from": str(latest.id)})
            return await self._finish(copy, dry_run)

    async def _copy(
        self,
        access: WorkspaceAccess,
        source: Invoice,
        title: str | None,
        issue_date: dt.date | None,
        due_date: dt.date | None,
    ) -> Invoice:
        # The range first: a date near 9999-12-31 plus the source's terms would overflow.
        issue = check_date(issue_date, "issue_date") if issue_date else today_in(access.workspace)
        due = check_date(due_date, "due_date") if due_date else issue + (source.due_date - source.issue_date)
        copy = await self._new_invoice(
            access,
            title=title or source.title,
            client_uuid=source.client_id,
            currency=source.currency,
            issue_date=issue,
            due_date=due,
            notes=source.notes,
            tax_rate=source.tax_rate,
            items=[item_input(line, source.currency) for line in source.items],
            adjustments=adjustment_inputs(source),
            vat_defaults=(source.tax_category, source.exemption_code, source.exemption_reason),
            delivery=(source.delivery_date, source.service_period_start, source.service_period_end),
            early_discount=(source.early_discount_percent, source.early_discount_days),
        )
        self.session.add(copy)
        return copy
