"""The overdue sweep: sent invoices whose due date is past, in each workspace's own time
zone, become overdue. Set-based and idempotent: a second run, or a second worker running
it at the same moment, finds nothing left to move and records nothing twice.

Each transition and its history row are written by the database in one statement per time
zone (no row travels to Python): on PostgreSQL an UPDATE ... RETURNING feeding an INSERT in
one statement; on SQLite, whose transactions hold the write lock from their start, the
INSERT ... SELECT and then the UPDATE of the same rows."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import BigInteger, String, Uuid, and_, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.db.models import Invoice, InvoiceEvent, Workspace
from app.domain import tenancy
from app.domain.access import Channel
from app.domain.lifecycle import Status


def _pg_uuid7(now: dt.datetime) -> ColumnElement[Any]:
    """A UUIDv7 made by PostgreSQL for each row: the event's time in milliseconds as the first
    48 bits, the version digit 7, then the rest of a random UUID's digits (its variant bits
    are already those of a v7)."""
    millis = bindparam("event_ms", int(now.timestamp() * 1000), type_=BigInteger)
    random_hex = func.replace(cast(func.gen_random_uuid(), String), "-", "")
    return cast(func.concat(func.lpad(func.to_hex(millis), 12, "0"), "7", func.substr(random_hex, 14)), Uuid)


_EVENT_COLUMNS = [
    "id", "workspace_id", "invoice_id", "action", "from_status", "to_status",
    "actor_name", "channel", "note", "created_at", "updated_at",
]  # fmt: skip


async def sweep_overdue(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Move every sent invoice past due to overdue; returns how many moved."""
    now = now or dt.datetime.now(dt.UTC)
    await tenancy.bind(session, None)  # one statement across every workspace
    zones = (await session.execute(select(Workspace.timezone).distinct())).scalars().all()
    postgres = session.bind.dialect.name == "postgresql"
    moved = 0
    for zone in zones:
        today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        due = and_(
            Invoice.status == Status.SENT.value,
            Invoice.due_date < today,
            Invoice.workspace_id.in_(select(Workspace.id).where(Workspace.timezone == zone)),
        )
        transition = update(Invoice).where(due).values(status=Status.OVERDUE.value, updated_at=now)
        if postgres:
            rows = transition.returning(Invoice.id, Invoice.workspace_id, Invoice.due_date).cte("moved")
            source = _events(rows.c, _pg_uuid7(now), today, zone, now)
            result = await session.execute(insert(InvoiceEvent).from_select(_EVENT_COLUMNS, source))
            moved += result.rowcount  # type: ignore[attr-defined]
        else:
            source = _events(Invoice.__table__.c, func.billcraft_uuid7(), today, zone, now).where(due)
            await session.execute(insert(InvoiceEvent).from_select(_EVENT_COLUMNS, source))
            result = await session.execute(transition.execution_options(synchronize_session=False))
            moved += result.rowcount  # type: ignore[attr-defined]
    return moved


def _events(rows: Any, event_id: ColumnElement[Any], today: dt.date, zone: str, now: dt.datetime) -> Any:
    """The history rows of the moved invoices, in the order of ``_EVENT_COLUMNS``."""
    at = InvoiceEvent.__table__.c.created_at.type
    note = literal("due ") + cast(rows.due_date, String) + literal(f", not paid by {today.isoformat()} ({zone})")
    return select(
        event_id,
        rows.workspace_id,
        rows.id,
        literal("overdue"),
        literal(Status.SENT.value),
        literal(Status.OVERDUE.value),
        literal("Billcraft"),
        literal(Channel.WORKER.value),
        note,
        literal(now, type_=at),
        literal(now, type_=at),
    )
