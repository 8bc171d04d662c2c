"""Applying the Alembic migrations (``billcraft db upgrade`` and the start of ``serve``).

Alembic runs on a connection we open ourselves, so the same code works from the command
line and from inside a running event loop (tests, the server's start-up).
"""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db.engine import MIGRATIONS, prepare_database


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
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), revision))
    finally:
        await engine.dispose()


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
