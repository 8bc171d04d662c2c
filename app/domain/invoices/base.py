"""What every part of the invoice service stands on: finding an invoice inside the caller's
workspace (locked for a transition), its JSON shape, the history event every change
appends, the result of a change (or of its rehearsal), and the scope each action needs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Client, Invoice, InvoiceEvent
from app.domain import lifecycle
from app.domain.access import Scope, WorkspaceAccess
from app.domain.accounts import utcnow
from app.domain.clients import ClientService
from app.domain.errors import NotFound
from app.domain.lifecycle import Action, Status
from app.domain.outputs import DryRunOut, InvoiceOut
from app.domain.service import DomainService, rehearsal
from app.domain.views import invoice_out

Result = InvoiceOut | DryRunOut

# The scope each lifecycle action needs: the service requires it, and faces ask
# ``permitted_actions`` what to offer.
ACTION_SCOPE = {
    Action.UPDATE: Scope.INVOICES_WRITE,
    Action.FINALIZE: Scope.INVOICES_WRITE,
    Action.SEND: Scope.INVOICES_SEND,
    Action.MARK_PAID: Scope.PAYMENTS_WRITE,
    Action.CANCEL: Scope.INVOICES_WRITE,
    Action.DELETE: Scope.INVOICES_WRITE,
    Action.DUPLICATE: Scope.INVOICES_WRITE,
    Action.CREDIT: Scope.INVOICES_WRITE,
}


def permitted_actions(access: WorkspaceAccess, invoice: InvoiceOut) -> list[str]:
    """The actions the invoice allows now that this caller may also take."""
    return [a for a in invoice.allowed_actions if access.allows(ACTION_SCOPE[Action(a)])]


class InvoiceBase(DomainService):
    def __init__(self, session: AsyncSession, *, base_url: str = "") -> None:
        super().__init__(session)
        self.base_url = base_url

    async def find(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, *, lock: bool = False) -> Invoice:
        query = select(Invoice).where(Invoice.workspace_id == access.workspace_id, Invoice.id == invoice_uuid)
        if lock:
            # Serialises concurrent transitions of one invoice on PostgreSQL (a payment racing
            # a cancel): the second waits, then sees the first's result.
            query = query.with_for_update(of=Invoice)
        invoice = (await self.session.execute(query)).unique().scalar_one_or_none()
        if invoice is None:
            raise NotFound(f"no invoice {invoice_uuid} in this workspace", code="invoice_not_found")
        return invoice

    @asynccontextmanager
    async def acting_on(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, action: Action, dry_run: bool = False
    ) -> AsyncIterator[Invoice]:
        """The start of every lifecycle action on one invoice, in one place: the scope the
        action needs, the dry run's savepoint, the invoice under a row lock, and the
        lifecycle's leave to take the action from its current state."""
        await self.enter(access, ACTION_SCOPE[action])
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            lifecycle.require(action, invoice)
            yield invoice

    def out(self, invoice: Invoice) -> InvoiceOut:
        return invoice_out(invoice, self.base_url)

    async def _client(self, access: WorkspaceAccess, client_uuid: uuid.UUID | None) -> Client | None:
        if client_uuid is None:
            return None
        return await ClientService(session=self.session).find(access, client_uuid, field="client_uuid")

    def _record(
        self,
        access: WorkspaceAccess,
        invoice: Invoice,
        action: str,
        before: Status | None,
        after: Status | None,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """The history event of a change: who (user, channel, OAuth client), what, from and to."""
        principal = access.principal
        invoice.history.append(
            InvoiceEvent(
                workspace_id=invoice.workspace_id,
                action=action,
                from_status=before.value if before else None,
                to_status=after.value if after else None,
                actor_user_id=principal.user_id,
                actor_name=principal.name,
                channel=principal.channel.value,
                oauth_client_id=principal.oauth_client_id,
                note=note,
                data=data,
                created_at=utcnow(),
            )
        )

    async def _finish(self, invoice: Invoice, dry_run: bool, recipients: list[str] | None = None) -> Result:
        """Flush and describe the result (built before a dry run's savepoint is rolled back)."""
        await self.session.flush()
        result = self.out(invoice)
        if not dry_run:
            return result
        return DryRunOut(dry_run=True, invoice=result, recipients=recipients or [])
