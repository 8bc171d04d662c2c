"""Invoice numbers: the next one of the workspace's pattern (taken under a row lock, so
concurrent finalizations get consecutive numbers and a rolled-back one leaves no gap), a
number typed by hand (unique in the workspace), and the suggestion a form starts with."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from uuid_utils.compat import uuid7

from app.db.models import Invoice, InvoiceCounter
from app.domain import numbering
from app.domain.access import Scope, WorkspaceAccess
from app.domain.accounts import utcnow
from app.domain.errors import Conflict
from app.domain.invoices.base import InvoiceBase
from app.domain.outputs import NextNumberOut
from app.domain.workspaces import today_in


class Numbers(InvoiceBase):
    async def suggest_number(self, access: WorkspaceAccess) -> NextNumberOut:
        """The number the next finalization would take, or the continuation of the numbers
        this workspace actually uses when they follow another pattern."""
        await self.enter(access, Scope.INVOICES_READ)
        workspace = access.workspace
        latest = (
            await self.session.execute(
                select(Invoice.number)
                .where(Invoice.workspace_id == access.workspace_id, Invoice.number.is_not(None))
                .order_by(func.coalesce(Invoice.finalized_at, Invoice.created_at).desc(), Invoice.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if latest and not numbering.matches(workspace.number_pattern, latest):
            following = numbering.continue_number(latest)
            while following and await self._number_taken(access, following, None):
                following = numbering.continue_number(following)
            if following:
                return NextNumberOut(number=following, source="continues " + latest)
        day = today_in(workspace)
        scope = numbering.scope(workspace.number_pattern, day)
        last = (
            await self.session.execute(
                select(InvoiceCounter.last_value).where(
                    InvoiceCounter.workspace_id == access.workspace_id, InvoiceCounter.scope == scope
                )
            )
        ).scalar_one_or_none() or 0
        seq = last + 1
        while await self._number_taken(access, numbering.render(workspace.number_pattern, day, seq), None):
            seq += 1
        return NextNumberOut(number=numbering.render(workspace.number_pattern, day, seq), source="pattern")

    async def _next_number(
        self,
        access: WorkspaceAccess,
        day: dt.date,
        pattern: str | None = None,
        taken: Callable[[WorkspaceAccess, str], Awaitable[bool]] | None = None,
    ) -> str:
        """Take the next number of the pattern for ``day`` (the workspace's invoice pattern,
        or another series' with its own check of taken numbers): the counter row is locked
        until the transaction ends, so concurrent finalizations get consecutive numbers and
        a rolled-back one gives its number back (no gaps)."""
        series = "" if pattern is None else "series:"  # another series counts apart, whatever its pattern
        pattern = pattern or access.workspace.number_pattern
        scope = series + numbering.scope(pattern, day)
        is_taken = taken or (lambda a, n: self._number_taken(a, n, None))
        dialect_insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        await self.session.execute(
            dialect_insert(InvoiceCounter)
            .values(
                id=uuid7(),
                workspace_id=access.workspace_id,
                scope=scope,
                last_value=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "scope"])
        )
        counter = (
            await self.session.execute(
                select(InvoiceCounter)
                .where(InvoiceCounter.workspace_id == access.workspace_id, InvoiceCounter.scope == scope)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        seq = counter.last_value + 1
        # A number typed in by hand may already hold the next place: step over it.
        while await is_taken(access, numbering.render(pattern, day, seq)):
            seq += 1
        counter.last_value = seq
        return numbering.render(pattern, day, seq)

    async def _number_taken(self, access: WorkspaceAccess, number: str, except_id: uuid.UUID | None) -> bool:
        query = select(Invoice.id).where(Invoice.workspace_id == access.workspace_id, Invoice.number == number)
        if except_id is not None:
            query = query.where(Invoice.id != except_id)
        return (await self.session.execute(query.limit(1))).first() is not None

    async def _free_explicit_number(self, access: WorkspaceAccess, number: str, except_id: uuid.UUID | None) -> str:
        number = numbering.check_number(number)
        if await self._number_taken(access, number, except_id):
            raise Conflict(
                f"the number {number} is already used in this workspace", code="number_taken", field="number"
            )
        return number
