"""The base of the domain services: advanced-alchemy's service with its inner repository,
plus a typed handle on the unit of work's session, the check-and-bind every workspace
operation starts with, and the savepoint behind ``dry_run``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from advanced_alchemy.base import ModelProtocol
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import tenancy
from app.domain.access import Scope, WorkspaceAccess

M = TypeVar("M", bound=ModelProtocol)


class DomainService(SQLAlchemyAsyncRepositoryService[M, SQLAlchemyAsyncRepository[M]]):
    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    def __init__(self, session: AsyncSession, **kwargs: Any) -> None:
        super().__init__(session=session, **kwargs)

    async def enter(self, access: WorkspaceAccess, scope: Scope) -> None:
        """The start of every operation inside a workspace: the caller must be allowed
        ``scope`` there, and the transaction is bound to the workspace (row-level security)."""
        access.require(scope)
        await tenancy.bind(self.session, access.workspace_id)


@asynccontextmanager
async def rehearsal(session: AsyncSession, dry_run: bool) -> AsyncIterator[None]:
    """For a dry run, do the work inside a savepoint that is always rolled back: whatever is
    built inside is exactly what would happen, and the rest of the unit of work is untouched.
    Without ``dry_run`` it does nothing."""
    if not dry_run:
        yield
        return
    savepoint = await session.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            await savepoint.rollback()
