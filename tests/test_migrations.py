"""The Alembic migrations build exactly the schema the models describe, on the database
under test, so a model change without its migration fails here; the data they fill in is
what the domain would have written."""

from __future__ import annotations

import datetime as dt
import uuid

from advanced_alchemy.base import metadata_registry
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

import app.db.models
import app.db.oauth_models
import app.db.received_models  # noqa: F401
from app.config import Settings
from app.db.engine import database_config
from app.db.models import Invoice
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import PaymentInput, WorkspaceCreate
from tests.conftest import OwnDatabase, unique
from tests.domain.helpers import invoice_in, item


async def test_migrated_schema_matches_the_models(migrated: Settings) -> None:
    config = database_config(migrated)
    try:
        async with config.get_engine().connect() as connection:

            def diff(sync: Connection) -> list[object]:
                context = MigrationContext.configure(sync, opts={"compare_type": False})
                return list(compare_metadata(context, metadata_registry.get(None)))

            differences = await connection.run_sync(diff)
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await config.get_engine().dispose()
    assert differences == [], f"models and migrations disagree: {differences}"
    assert {"invoice", "invoice_item", "payment", "invoice_event", "idempotency_record", "invoice_counter"} <= tables


async def test_every_migration_goes_down_and_up_again(tmp_path: object) -> None:
    """On a fresh database the revisions apply, revert and apply again, and reverting 0002
    leaves the tables of 0001 with the columns and types they had."""
    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from app.db.migrate import _alembic_config

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db", poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "0001"))
            before = await connection.run_sync(
                lambda c: {t: inspect(c).get_columns(t) for t in inspect(c).get_table_names()}
            )
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "head"))
            await connection.run_sync(lambda c: command.downgrade(_alembic_config(c), "0001"))
            after = await connection.run_sync(
                lambda c: {t: inspect(c).get_columns(t) for t in inspect(c).get_table_names()}
            )
            await connection.run_sync(lambda c: command.downgrade(_alembic_config(c), "base"))
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "head"))
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"oauth_client", "oauth_code", "oauth_token", "invoice"} <= tables
    assert {t: [(c["name"], str(c["type"])) for c in cols] for t, cols in after.items()} == {
        t: [(c["name"], str(c["type"])) for c in cols] for t, cols in before.items()
    }, "0002 up and down left the tables of 0001 as they were"


async def test_revision_0006_gives_invoices_paid_before_it_the_days_the_domain_gives(own_database: OwnDatabase) -> None:
    """Invoices paid before ``invoice.days_to_payment`` existed get it from the migration,
    the same figure the domain keeps when an invoice becomes paid: to the last payment
    received, from the day it was sent in the workspace's calendar."""
    from alembic import command

    from app.db.migrate import _alembic_config

    async with own_database.config.get_session() as session:
        billing = Billing(session)
        user = await billing.accounts.create_user(f"{unique('mig')}@example.com", "correct horse battery")
        owner = Principal(user_id=user.id, name="Owner", channel=Channel.API)
        made = await billing.workspaces.create_workspace(
            owner, WorkspaceCreate(name=unique("Kiwi"), timezone="Pacific/Auckland")
        )
        access = await billing.access(owner, made.company_slug)
        invoice = await invoice_in(billing, access, "sent", items=[item("Work", 1, 100)])
        row = await billing.invoices.find(access, invoice.uuid)
        # 20:00 UTC is the next morning in Auckland: 4 UTC days before payment, 3 local ones.
        sent_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)
        row.sent_at = dt.datetime.combine(sent_day, dt.time(20), tzinfo=dt.UTC)
        await session.flush()
        await billing.invoices.mark_paid(access, invoice.uuid, PaymentInput(payment_date=sent_day + dt.timedelta(4)))
        await session.commit()
    kept = await _days_to_payment(own_database, invoice.uuid)
    assert kept == 3

    async with own_database.config.get_engine().begin() as connection:
        await connection.run_sync(lambda c: command.downgrade(_alembic_config(c), "0005"))
        await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "head"))
    assert await _days_to_payment(own_database, invoice.uuid) == kept


async def _days_to_payment(own: OwnDatabase, invoice_uuid: uuid.UUID) -> int | None:
    async with own.config.get_session() as session:
        value = await session.scalar(select(Invoice.days_to_payment).where(Invoice.id == invoice_uuid))
    return value
