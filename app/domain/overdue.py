"""The overdue sweep: sent invoices whose due date is past, in each workspace's own time
zone, become overdue. Set-based and idempotent: a second run, or a second worker running
it at the same moment, finds nothing left to move and records nothing twice."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from app.db.models import Invoice, InvoiceEvent, Workspace
from app.domain import tenancy
from app.domain.access import Channel
from app.domain.lifecycle import Status


async def sweep_overdue(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Move every sent invoice past due to overdue; returns how many moved."""
    now = now or dt.datetime.now(dt.UTC)
    await tenancy.bind(session, None)  # one statement across every workspace
    zones = (await session.execute(select(Workspace.timezone).distinct())).scalars().all()
    moved = 0
    for zone in zones:
        today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        rows = (
            await session.execute(
                update(Invoice)
                .where(
                    Invoice.status == Status.SENT.value,
                    Invoice.due_date < today,
                    Invoice.workspace_id.in_(select(Workspace.id).where(Workspace.timezone == zone)),
                )
                .values(status=Status.OVERDUE.value, updated_at=now)
                .returning(Invoice.id, Invoice.workspace_id, Invoice.due_date)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if rows:
            await session.execute(
                insert(InvoiceEvent),
                [
                    {
                        "id": uuid7(),
                        "workspace_id": workspace_id,
                        "invoice_id": invoice_id,
                        "action": "overdue",
                        "from_status": Status.SENT.value,
                        "to_status": Status.OVERDUE.value,
                        "actor_name": "Billcraft",
                        "channel": Channel.WORKER.value,
                        "note": f"due {due_date.isoformat()}, not paid by {today.isoformat()} ({zone})",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for invoice_id, workspace_id, due_date in rows
                ],
            )
            moved += len(rows)
    return moved
