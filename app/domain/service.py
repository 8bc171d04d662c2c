"""The base of the domain services: the unit of work's session, the check-and-bind every
workspace operation starts with, the savepoint that makes a change all or nothing
(``atomic``) and the one behind ``dry_run`` (``rehearsal``).

A service exposes only its own methods, each taking a ``WorkspaceAccess`` (or a principal)
and filtering by its workspace. It does not inherit advanced-alchemy's generic service,
whose ~35 public methods (``get``, ``list``, ``update``...) take no workspace: on PostgreSQL
a transaction not yet bound to a workspace sees them all, so one such call from a face would
fail open. Where a service needs the library's repository, it holds one privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import tenancy
from app.domain.access import Scope, WorkspaceAccess


class DomainService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enter(self, access: WorkspaceAccess, scope: Scope) -> None:
        """The start of every operation inside a workspace: the caller must be allowed
        ``scope`` there, and the transaction is bound to the workspace (row-level security).
        This, not a route's declared ``security``, is where a scope is enforced."""
        access.require(scope)
        await tenancy.bind(self.session, access.workspace_id)


@asynccontextmanager
async def atomic(session: AsyncSession) -> AsyncIterator[None]:
    """All of a change or none of it: a savepoint, released when the change is done and
    rolled back when it is refused or fails. Whatever the caller then does with its unit of
    work (a page that answers a refusal with a redirect commits it) keeps nothing of a
    refused change, such as a draft finalized by a send that the email limit then refused."""
    savepoint = await session.begin_nested()
    try:
        yield
    except BaseException:
        if savepoint.is_active:
            await savepoint.rollback()
        raise
    if savepoint.is_active:
        await savepoint.commit()


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
