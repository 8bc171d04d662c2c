"""``billcraft worker`` against the machine's Redis: at start it sweeps sent invoices past
due to overdue; two workers starting at once record each transition once. The workers run
on a database of the test's own, so the sweep meets only this test's invoices."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import time
import uuid
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.db.models import Invoice, InvoiceEvent
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import InvoiceCreate, ItemInput, SendInput, WorkspaceCreate
from tests.conftest import OwnDatabase, unique
from tests.processes import BIN, ProcessEnv
from tests.workers.conftest import REDIS_URL, worker


async def _late_invoices(db: Any, count: int) -> list[uuid.UUID]:
    """Sent invoices of a new workspace, due a week ago."""
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.create_user(f"{unique('late')}@example.com", "correct horse battery")
        owner = Principal(user_id=user.id, name="Owner", channel=Channel.API)
        ws = await billing.workspaces.create_workspace(
            owner, WorkspaceCreate(name=unique("Late"), timezone="Asia/Tokyo")
        )
        access = await billing.access(owner, ws.company_slug)
        issued = dt.date.today() - dt.timedelta(days=40)
        ids = []
        for i in range(count):
            created = await billing.invoices.create_invoice(
                access,
                InvoiceCreate(
                    title=f"Late {i}",
                    issue_date=issued,
                    due_date=issued + dt.timedelta(days=30),
                    items=[ItemInput(description="Work", quantity=Decimal(1), unit_price=Decimal(100))],
                ),
            )
            await billing.invoices.send(access, created.uuid, SendInput(notify=False))  # type: ignore[union-attr]
            ids.append(created.uuid)  # type: ignore[union-attr]
        await session.commit()
    return ids


async def _statuses(db: Any, ids: list[uuid.UUID]) -> tuple[set[str], int]:
    async with db.create_session_maker()() as session:
        statuses = set((await session.execute(select(Invoice.status).where(Invoice.id.in_(ids)))).scalars())
        events = (
            await session.execute(
                select(func.count(InvoiceEvent.id)).where(
                    InvoiceEvent.invoice_id.in_(ids), InvoiceEvent.action == "overdue"
                )
            )
        ).scalar_one()
    return statuses, int(events)


async def test_two_workers_starting_at_once_turn_late_invoices_overdue_once(
    own_database: OwnDatabase, tmp_path: Path, redis_prefix: str
) -> None:
    db = own_database.config
    ids = await _late_invoices(db, 5)
    assert (await _statuses(db, ids)) == ({"sent"}, 0)
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    with ExitStack() as stack:
        for n in (1, 2):
            stack.enter_context(
                worker(env, tmp_path / f"worker{n}.log", redis_url=REDIS_URL, redis_prefix=redis_prefix)
            )
        logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
        deadline = time.monotonic() + 60

        # Both workers are up and their start-up sweeps (which either worker may run, each
        # enqueues its own) have finished, before we count the transitions recorded.
        def settled() -> bool:
            texts = [log.read_text(errors="replace") for log in logs]
            started = all("Starting worker" in text for text in texts)
            begun = sum(text.count("→ cron:overdue_sweep") for text in texts)
            ended = sum(text.count("← cron:overdue_sweep") for text in texts)
            return started and begun >= 1 and begun == ended

        while not settled():
            assert time.monotonic() < deadline, "\n".join(log.read_text(errors="replace") for log in logs)
            await asyncio.sleep(0.3)
        await asyncio.sleep(2)  # a second start-up sweep enqueued late has had its chance
        assert settled()
    assert await _statuses(db, ids) == ({"overdue"}, 5), "each transition is recorded once"


def test_the_worker_refuses_to_start_without_redis(tmp_path: Path, database_url: str) -> None:
    env = ProcessEnv(database_url=database_url, data_dir=tmp_path / "data")
    done = subprocess.run([str(BIN), "worker"], env=env.env(), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "BILLCRAFT_REDIS_URL" in done.stderr
