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
