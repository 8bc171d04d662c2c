"""``Billing``: one unit of work over the domain services, sharing one session. The faces
(REST, MCP, web, CLI, worker) build one per request or tool call and call into it."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import mutations
from app.domain.access import Principal, WorkspaceAccess
from app.domain.accounts import AccountService
from app.domain.approvals import ApprovalService
from app.domain.clients import ClientService
from app.domain.idempotency import Idempotency
from app.domain.invoices import InvoiceService
from app.domain.received import ReceivedService
from app.domain.stats import StatsService
from app.domain.workspaces import WorkspaceService


class Billing:
    def __init__(self, session: AsyncSession, *, base_url: str = "") -> None:
        self.session = session
        self.base_url = base_url

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(session=self.session)

    @cached_property
    def workspaces(self) -> WorkspaceService:
        return WorkspaceService(session=self.session)

    @cached_property
    def clients(self) -> ClientService:
        return ClientService(session=self.session)

    @cached_property
    def invoices(self) -> InvoiceService:
        return InvoiceService(session=self.session, base_url=self.base_url)

    @cached_property
    def received(self) -> ReceivedService:
        return ReceivedService(self.session)

    @cached_property
    def stats(self) -> StatsService:
        return StatsService(self.session)

    @cached_property
    def approvals(self) -> ApprovalService:
        return ApprovalService(self.session)

    @cached_property
    def idempotency(self) -> Idempotency:
        return Idempotency(self.session)

    async def access(self, principal: Principal, company_slug: str) -> WorkspaceAccess:
        return await self.workspaces.access(principal, company_slug)

    # Every change a face asks for goes through here: see ``app.domain.mutations``.
    mutate = mutations.mutate
