"""The benchmark's own data: a fresh database per backend (a new PostgreSQL database owned
by an ordinary role, so row-level security is on as in production; or a new SQLite file),
migrated, with an owner, a token, and one workspace per size holding that many invoices.

The owner, workspaces and one fully worked invoice per workspace (items, payment, history)
are made through the domain; the bulk rows are inserted directly in batches, in the mix a
working agency has: drafts, sent, paid (with their payment), overdue and cancelled
invoices in two currencies over the last two years."""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from uuid_utils.compat import uuid7

from app.config import Settings
from app.db.migrate import upgrade_async
from app.db.models import Invoice, InvoiceEvent, InvoiceItem, Payment
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, ItemInput, PaymentInput, SendInput, WorkspaceCreate

APP_ROLE = "billcraft_bench"
BATCH = 5_000
PASSWORD = "bench correct horse battery"
# (status, share of the invoices): what a working agency's book looks like.
MIX = [("draft", 0.10), ("sent", 0.25), ("paid", 0.45), ("overdue", 0.15), ("cancelled", 0.05)]


def admin_url() -> str:
    return os.environ.get("BILLCRAFT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Workspace:
    slug: str
    id: uuid.UUID
    size: int
    showcase_uuid: uuid.UUID  # the fully worked invoice that get and the PDF read


@dataclass
class BenchDatabase:
    backend: str
    url: str  # the app's URL (SQLAlchemy, async driver)
    data_dir: Path
    token: str = ""
    user_id: uuid.UUID | None = None
    workspaces: list[Workspace] | None = None
    _pg_name: str | None = None

    def env(self, redis_url: str | None = None) -> dict[str, str]:
        """The settings of a Billcraft process on this database, as its environment: no
        background jobs (nothing moves under the measurements), a limit nobody reaches, JSON
        logs as in production, and Redis (the shared limiter) when given."""
        env = {
            "BILLCRAFT_DATABASE_URL": self.url,
            "BILLCRAFT_DATA_DIR": str(self.data_dir),
            "BILLCRAFT_SECRET_KEY": "bench-secret",
            "BILLCRAFT_RATE_LIMIT": "10000000/minute",
            "BILLCRAFT_JOBS": "off",
            "BILLCRAFT_LOG_FORMAT": "json",
        }
        if redis_url:
            env |= {"BILLCRAFT_REDIS_URL": redis_url, "BILLCRAFT_REDIS_PREFIX": f"bench-{os.getpid()}"}
        return env

    def settings(self) -> Settings:
        saved = dict(os.environ)
        try:
            os.environ.update(self.env())
            return Settings.from_env()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    @classmethod
    async def create(cls, backend: str, work_dir: Path) -> BenchDatabase:
        data_dir = work_dir / backend
        data_dir.mkdir(parents=True, exist_ok=True)
        if backend == "sqlite":
            path = data_dir / "bench.db"
            path.unlink(missing_ok=True)
            return cls(backend, f"sqlite+aiosqlite:///{path}", data_dir)
        name = f"billcraft_bench_{os.getpid()}_{secrets.token_hex(3)}"
        admin = await asyncpg.connect(admin_url())
        try:
            await admin.execute(
                f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
            await admin.execute(f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')
        finally:
            await admin.close()
        host = admin_url().split("@", 1)[-1].rsplit("/", 1)[0]
        return cls(backend, f"postgresql+asyncpg://{APP_ROLE}@{host}/{name}", data_dir, _pg_name=name)

    async def drop(self) -> None:
        if self._pg_name is None:
            return
        admin = await asyncpg.connect(admin_url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
        finally:
            await admin.close()

    def engine(self) -> AsyncEngine:
        return create_async_engine(self.url, poolclass=NullPool)

    async def build(self, sizes: list[int], progress: Callable[[int], None]) -> None:
        """Migrate, then make the owner and one workspace of each size; ``progress`` is told
        of every invoice inserted."""
        settings = self.settings()
        await upgrade_async(settings)
        engine = self.engine()
        try:
            self.workspaces = []
            for size in sizes:
                self.workspaces.append(await self._workspace(engine, size, progress))
            if self.backend == "postgresql":
                async with engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("VACUUM ANALYZE"))
        finally:
            await engine.dispose()

    async def _workspace(self, engine: AsyncEngine, size: int, progress: Callable[[int], None]) -> Workspace:
        workspace_id, client_id, showcase_uuid = await self.showcase(engine, f"Bench {size}", f"bench-{size}")
        # A client's public uuid is its primary key.
        await _bulk_invoices(engine, workspace_id, client_id, size - 1, progress)
        progress(1)
        return Workspace(f"bench-{size}", workspace_id, size, showcase_uuid)

    async def showcase(self, engine: AsyncEngine, name: str, slug: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        """A workspace made through the domain (and the owner and token, the first time):
        its id, its client's and its fully worked invoice's."""
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            billing = Billing(session)
            if self.user_id is None:
                user = await billing.accounts.create_user(
                    f"owner-{secrets.token_hex(4)}@bench.example", PASSWORD, "Ada"
                )
                _, self.token = await billing.accounts.create_token(user, "bench", None)
                self.user_id = user.id
            principal = Principal(user_id=self.user_id, name="Ada", channel=Channel.API)
            created = await billing.workspaces.create_workspace(
                principal, WorkspaceCreate(name=name, company_slug=slug)
            )
            access = await billing.workspaces.access(principal, created.company_slug)
            client = await billing.clients.create_client(
                access, ClientInput(name="Acme Corp", email="ap@acme.example", country="GB", city="London")
            )
            showcase = await billing.invoices.create_invoice(
                access,
                InvoiceCreate(
                    title="Website redesign",
                    client_uuid=client.uuid,
                    tax_rate=Decimal("10"),
                    due_date=dt.date.today() + dt.timedelta(days=3650),
                    items=[
                        ItemInput(description="UX design", quantity=Decimal("20"), unit_price=Decimal("120")),
                        ItemInput(
                            description="Frontend development", quantity=Decimal("60"), unit_price=Decimal("150")
                        ),
                        ItemInput(description="QA testing", quantity=Decimal("15"), unit_price=Decimal("100")),
                    ],
                ),
            )
            assert isinstance(showcase, InvoiceOut)  # not a dry run
            await billing.invoices.send(access, showcase.uuid, SendInput(notify=False))
            await billing.invoices.mark_paid(access, showcase.uuid, PaymentInput(amount=Decimal("1000")))
            await session.commit()
            return access.workspace_id, client.uuid, showcase.uuid


async def _bulk_invoices(
    engine: AsyncEngine, workspace_id: uuid.UUID, client_id: uuid.UUID, count: int, progress: Callable[[int], None]
) -> None:
    rng = random.Random(f"{workspace_id}")
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    statuses = [s for s, _ in MIX]
    weights = [w for _, w in MIX]
    done = 0
    number = 0
    while done < count:
        n = min(BATCH, count - done)
        invoices, items, payments, events = [], [], [], []
        for _ in range(n):
            status = rng.choices(statuses, weights)[0]
            currency = "USD" if rng.random() < 0.8 else "EUR"
            issue = today - dt.timedelta(days=rng.randrange(0, 730))
            due = issue + dt.timedelta(days=30)
            if status == "sent":
                due = today + dt.timedelta(days=rng.randrange(1, 60))  # not yet due: the sweep leaves it
            elif status == "overdue":
                due = min(due, today - dt.timedelta(days=1))
            quantity = rng.randrange(1, 40)
            price_minor = rng.randrange(50, 500) * 100
            subtotal = quantity * price_minor
            tax = subtotal // 10
            total = subtotal + tax
            finalized = status != "draft"
            at = dt.datetime.combine(issue, dt.time(10), dt.UTC)
            invoice_id = uuid7()
            if finalized:
                number += 1
            invoices.append(
                {
                    "id": invoice_id,
                    "workspace_id": workspace_id,
                    "client_id": client_id,
                    "number": f"B-{number:07d}" if finalized else None,
                    "title": f"Retainer {rng.randrange(1, 10_000)}",
                    "status": status,
                    "currency": currency,
                    "issue_date": issue,
                    "due_date": due,
                    "notes": "",
                    "tax_rate": Decimal("10"),
                    "subtotal_minor": subtotal,
                    "tax_minor": tax,
                    "total_minor": total,
                    "paid_minor": total if status == "paid" else 0,
                    "finalized_at": at if finalized else None,
                    "sent_at": at if status in ("sent", "paid", "overdue") else None,
                    "paid_at": at + dt.timedelta(days=rng.randrange(1, 45)) if status == "paid" else None,
                    "days_to_payment": rng.randrange(0, 45) if status == "paid" else None,
                    "cancelled_at": at if status == "cancelled" else None,
                    "cancel_reason": "client cancelled" if status == "cancelled" else None,
                    "public_token": secrets.token_urlsafe(24),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            items.append(
                {
                    "id": uuid7(),
                    "workspace_id": workspace_id,
                    "invoice_id": invoice_id,
                    "position": 0,
                    "description": "Development hours",
                    "quantity": Decimal(str(quantity)),
                    "unit_price": Decimal(f"{price_minor / 100:.2f}"),
                    "tax_rate": None,
                    "amount_minor": subtotal,
                    "tax_minor": tax,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            events.append(
                {
                    "id": uuid7(),
                    "workspace_id": workspace_id,
                    "invoice_id": invoice_id,
                    "action": "create",
                    "to_status": "draft",
                    "actor_name": "Ada",
                    "channel": Channel.API.value,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if status == "paid":
                payments.append(
                    {
                        "id": uuid7(),
                        "workspace_id": workspace_id,
                        "invoice_id": invoice_id,
                        "amount_minor": total,
                        "currency": currency,
                        "payment_date": min(today, issue + dt.timedelta(days=rng.randrange(1, 45))),
                        "payment_method": "Wire transfer",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        async with engine.begin() as conn:
            await conn.execute(insert(Invoice), invoices)
            await conn.execute(insert(InvoiceItem), items)
            await conn.execute(insert(InvoiceEvent), events)
            if payments:
                await conn.execute(insert(Payment), payments)
        done += n
        progress(n)
