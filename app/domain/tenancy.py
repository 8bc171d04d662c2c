"""Which workspace a transaction serves, told to PostgreSQL for its row-level security
(migration 0004): defence in depth under the ``workspace_id`` filter every domain query has.

A domain operation inside a workspace calls ``bind(session, workspace_id)`` as it starts
(``DomainService.enter``); an operation that spans workspaces (the caller's workspace list,
cross-workspace stats, creating a workspace, the overdue sweep) calls ``bind(session, None)``.
The setting is transaction-local, so a pooled connection never carries it to the next
request. On SQLite this does nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

SETTING = "billcraft.workspace_id"
_KEY = "billcraft.tenancy"


def innermost(session: AsyncSession) -> object | None:
    sync = session.sync_session
    return sync.get_nested_transaction() or sync.get_transaction()


async def bind(session: AsyncSession, workspace_id: uuid.UUID | None) -> None:
    """Bind the current transaction to ``workspace_id`` (``None``: a system transaction that
    sees every workspace). Skipped when the same (sub)transaction is already bound to it: a
    rolled-back savepoint restores the setting it started with, so the cache is per savepoint."""
    if session.sync_session.get_bind().dialect.name != "postgresql":
        return
    value = "" if workspace_id is None else str(workspace_id)
    cached = session.info.get(_KEY)
    if cached is not None and cached[0] is innermost(session) and cached[1] == value:
        return
    await session.execute(select(func.set_config(SETTING, value, True)))
    _remember(session, value)


def _remember(session: AsyncSession, value: str) -> None:
    session.info[_KEY] = (innermost(session), value)


def binding_column(session: AsyncSession, workspace_id: Any) -> Any:
    """A column that binds the transaction to the workspace id of the row it is read with:
    a query that finds the caller's workspace binds it in the same round trip (call
    ``bound`` with the id once the row is read). A constant on SQLite."""
    return binding_for(session.sync_session.get_bind().dialect.name, workspace_id)


def binding_for(dialect: str, workspace_id: Any) -> Any:
    """``binding_column`` for a statement built once per dialect."""
    if dialect != "postgresql":
        return literal(None)
    return func.set_config(SETTING, cast(workspace_id, String), True)


def bound(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Record that a ``binding_column`` read bound the transaction to ``workspace_id``."""
    if session.sync_session.get_bind().dialect.name == "postgresql":
        _remember(session, str(workspace_id))
