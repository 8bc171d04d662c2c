"""The pairs measured in this process on the app's own engine: stats against one
hand-written aggregate, and the overdue sweep against one raw UPDATE plus one raw INSERT of
the history rows, each run from the same state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import bindparam, text

from app.db.engine import database_config
from app.db.models import Invoice
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.overdue import sweep_overdue
from bench.data import BenchDatabase, Workspace
from bench.figures import Bench, Figure
from bench.measure import median_time, timed
from bench.reference_sql import reference_stats, reference_sweep

_INV = Invoice.__table__.c
SAME_FIGURES = "one hand-written SQL statement giving the same figures"
# Between two sweeps: every invoice of the workspace sent and past due again, no overdue events.
RESET_SQL = text("UPDATE invoice SET status = 'sent', due_date = :past WHERE workspace_id = :ws").bindparams(
    bindparam("past", type_=_INV.due_date.type), bindparam("ws", type_=_INV.workspace_id.type)
)
FORGET_OVERDUE_SQL = text("DELETE FROM invoice_event WHERE workspace_id = :ws AND action = 'overdue'").bindparams(
    bindparam("ws", type_=_INV.workspace_id.type)
)


async def measure(bench: Bench, backend: str, db: BenchDatabase) -> None:
    """Stats and the sweep through the app's own engine, against raw SQL on it."""
    assert db.workspaces is not None
    config = database_config(db.settings())
    engine = config.get_engine()
    maker = config.create_session_maker()
    try:
        for ws in db.workspaces:
            await stats_pair(bench, backend, db, engine, maker, ws)
        for ws in db.workspaces:
            await sweep(bench, backend, engine, maker, ws)
    finally:
        await engine.dispose()


async def stats_pair(
    bench: Bench, backend: str, db: BenchDatabase, engine: Any, maker: Any, ws: Workspace, detail: str = ""
) -> None:
    """The workspace's stats as the app computes them, against the hand-written statement."""
    assert db.user_id is not None
    principal = Principal(user_id=db.user_id, name="Ada", channel=Channel.API)

    async def stats() -> None:
        async with maker() as session:
            billing = Billing(session)
            await billing.stats.for_workspace(await billing.workspaces.access(principal, ws.slug))

    async def reference() -> None:
        async with engine.connect() as conn:
            await reference_stats(conn, ws.id)

    await stats()
    await reference()
    ratio, ours, theirs = await bench.alternate(lambda: median_time(stats, 3), lambda: median_time(reference, 3))
    bench.add(
        Figure(
            "stats", SAME_FIGURES, backend, ws.size, ratio, "x", 1.5, False,
            f"{ours * 1000:.1f} vs {theirs * 1000:.1f} ms{detail}",
        )
    )  # fmt: skip


async def sweep(bench: Bench, backend: str, engine: Any, maker: Any, ws: Workspace) -> None:
    """The overdue sweep over every invoice of the workspace, all sent and past due,
    against one raw UPDATE plus one raw INSERT of the history rows; each run starts from the
    same state."""
    now = dt.datetime.now(dt.UTC)

    async def prepare() -> None:
        async with engine.begin() as conn:
            past = now.date() - dt.timedelta(days=10)
            await conn.execute(RESET_SQL, {"past": past, "ws": ws.id})
            await conn.execute(FORGET_OVERDUE_SQL, {"ws": ws.id})
        if backend == "postgresql":
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE invoice, invoice_event"))

    async def ours() -> None:
        async with maker() as session:
            moved = await sweep_overdue(session, now)
            await session.commit()
        if moved != ws.size:
            raise RuntimeError(f"the sweep moved {moved} invoices, not {ws.size}")

    async def theirs() -> None:
        async with engine.begin() as conn:
            moved = await reference_sweep(conn, now)
        if moved != ws.size:
            raise RuntimeError(f"the raw UPDATE moved {moved} invoices, not {ws.size}")

    async def from_the_same_state(run: Callable[[], Awaitable[None]]) -> float:
        await prepare()
        return await timed(run)

    ratio, a, b = await bench.alternate(lambda: from_the_same_state(ours), lambda: from_the_same_state(theirs))
    bench.add(
        Figure(
            "overdue sweep", "one raw UPDATE plus one raw INSERT of the history rows", backend, ws.size,
            ratio, "x", 1.3, False, f"{a * 1000:.0f} vs {b * 1000:.0f} ms",
        )
    )  # fmt: skip
