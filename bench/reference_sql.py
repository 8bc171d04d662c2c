"""The hand-written SQL the in-process pairs are measured against: what a developer would
write for the same answer with nothing in between. Stats: every figure the stats report
(per currency: invoiced, paid, outstanding, overdue, the counts by status, the days to
payment, and twelve months invoiced and paid) in one statement. The overdue sweep: one
raw UPDATE plus one raw INSERT of the history rows. Nothing in Billcraft calls them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.models import Invoice, InvoiceEvent
from app.domain.stats import MONTHS, _first_day, _months, _next_month

_INV = Invoice.__table__.c
_NET = "total_minor - credited_minor"
_INVOICED = f"CASE WHEN finalized_at IS NOT NULL AND status <> 'cancelled' THEN {_NET} ELSE 0 END"


def _stats_sql() -> Any:
    months = range(MONTHS)
    invoiced_in = ", ".join(
        f"sum(CASE WHEN issue_date >= :m{i} AND issue_date < :m{i + 1} THEN {_INVOICED} ELSE 0 END)" for i in months
    )
    paid_in = ", ".join(
        f"sum(CASE WHEN payment_date >= :m{i} AND payment_date < :m{i + 1} THEN amount_minor ELSE 0 END)"
        for i in months
    )
    statuses = ", ".join(
        f"sum(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in ("draft", "sent", "paid", "overdue", "cancelled")
    )
    sql = f"""
    SELECT 'invoices' AS part, currency,
      sum({_INVOICED}),
      sum(CASE WHEN status <> 'cancelled' THEN paid_minor ELSE 0 END),
      sum(CASE WHEN status IN ('sent', 'overdue') THEN {_NET} - paid_minor ELSE 0 END),
      sum(CASE WHEN status = 'overdue' THEN {_NET} - paid_minor ELSE 0 END),
      count(*), {statuses},
      sum(CASE WHEN finalized_at IS NOT NULL THEN 1 ELSE 0 END),
      sum(days_to_payment), count(days_to_payment),
      {invoiced_in}
    FROM invoice WHERE workspace_id = :ws
    GROUP BY currency
    UNION ALL
    SELECT 'payments', currency, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {paid_in}
    FROM payment
    WHERE workspace_id = :ws AND payment_date >= :m0
      AND invoice_id NOT IN (SELECT id FROM invoice WHERE workspace_id = :ws AND status = 'cancelled')
    GROUP BY currency
    """
    day = _INV.issue_date.type
    return text(sql).bindparams(
        bindparam("ws", type_=_INV.workspace_id.type), *(bindparam(f"m{i}", type_=day) for i in range(MONTHS + 1))
    )


STATS_SQL = _stats_sql()

_EVENT_TIME = InvoiceEvent.__table__.c.created_at.type
# The history rows first (the UPDATE would hide which invoices moved), then the UPDATE.
SWEEP_HISTORY_SQL = {
    dialect: text(
        f"""
        INSERT INTO invoice_event (id, workspace_id, invoice_id, action, from_status, to_status,
                                   actor_name, channel, note, created_at, updated_at)
        SELECT {new_id}, workspace_id, id, 'overdue', 'sent', 'overdue', 'Billcraft', 'worker',
               'due ' || due_date || ', not paid by ' || :today, :now, :now
        FROM invoice WHERE status = 'sent' AND due_date < :today
        """
    ).bindparams(bindparam("now", type_=_EVENT_TIME), bindparam("today", type_=_INV.due_date.type))
    for dialect, new_id in (("postgresql", "gen_random_uuid()"), ("sqlite", "billcraft_uuid7()"))
}
SWEEP_SQL = text(
    "UPDATE invoice SET status = 'overdue', updated_at = :now WHERE status = 'sent' AND due_date < :today"
).bindparams(bindparam("now", type_=_INV.updated_at.type), bindparam("today", type_=_INV.due_date.type))


async def reference_stats(conn: AsyncConnection, workspace_id: Any, today: dt.date | None = None) -> list[Any]:
    months = _months(today or dt.date.today())
    bounds = [_first_day(m) for m in months] + [_next_month(_first_day(months[-1]))]
    values = {"ws": workspace_id} | {f"m{i}": day for i, day in enumerate(bounds)}
    return list((await conn.execute(STATS_SQL, values)).all())


async def reference_sweep(conn: AsyncConnection, now: dt.datetime) -> int:
    values = {"now": now, "today": now.date()}
    await conn.execute(SWEEP_HISTORY_SQL[conn.dialect.name], values)
    return (await conn.execute(SWEEP_SQL, values)).rowcount
