"""The Alembic migrations build exactly the schema the models describe, on the database
under test, so a model change without its migration fails here."""

from __future__ import annotations

from advanced_alchemy.base import metadata_registry
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import app.db.models  # noqa: F401
from app.config import Settings
from app.db.engine import database_config


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
