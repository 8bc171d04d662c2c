"""Applying the Alembic migrations (``billcraft db upgrade`` and the start of ``serve``).

Alembic runs on a connection we open ourselves, so the same code works from the command
line and from inside a running event loop (tests, the server's start-up). Every replica
runs it at start: on PostgreSQL an advisory lock makes them take turns, so two web and two
worker processes starting at once on a new database migrate it once.
"""

from __future__ import annotations

import asyncio

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db.engine import MIGRATIONS, prepare_database

MIGRATION_LOCK = 0x62696C6C  # "bill": the advisory lock key of schema migrations


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade_async(settings: Settings, revision: str = "head") -> None:
    prepare_database(settings)
    engine = create_async_engine(settings.database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held to the end of this transaction (PostgreSQL's DDL is transactional): the
                # next process waits, then finds the schema at head and has nothing to do.
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), revision))
            if await row_security_bypassed(connection):
                structlog.get_logger("billcraft.db").warning(
                    "database role bypasses row-level security",
                    advice="run Billcraft as an ordinary role that owns its tables, not a superuser "
                    "or a BYPASSRLS role, so PostgreSQL keeps each workspace's rows apart (README: row-level security)",
                )
    finally:
        await engine.dispose()


async def row_security_bypassed(connection: AsyncConnection) -> bool:
    """Whether the connected PostgreSQL role passes through row-level security (a superuser
    or a BYPASSRLS role). False on SQLite, which has none to bypass."""
    if connection.dialect.name != "postgresql":
        return False
    query = text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    return bool((await connection.execute(query)).scalar_one())


def upgrade(settings: Settings, revision: str = "head") -> None:
    asyncio.run(upgrade_async(settings, revision))


def make_revision(settings: Settings, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""

    async def run() -> None:
        engine = create_async_engine(settings.database_url, poolclass=NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.revision(_alembic_config(c), message=message, autogenerate=True)
            )
        await engine.dispose()

    asyncio.run(run())
