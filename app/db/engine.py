"""The database configuration (engine and sessions) built from the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, EngineConfig, SQLAlchemyAsyncConfig
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from uuid_utils.compat import uuid7

from app.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def prepare_database(settings: Settings) -> None:
    """Create what an embedded database needs before the first connection (its folder)."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)


def database_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    prepare_database(settings)
    engine_config: dict[str, Any] = {}
    if settings.is_sqlite:
        engine_config = {"connect_args": {"timeout": 30}}
    else:
        # No ping before each checkout (a round trip per request, bench/): a connection that
        # died with the server fails one request, after which the pool is replaced; an idle
        # one is recycled well before a proxy or firewall could drop it.
        engine_config = {"pool_size": 10, "max_overflow": 20, "pool_recycle": 1800}
    config = SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        session_config=AsyncSessionConfig(expire_on_commit=False, autoflush=False),
        before_send_handler="autocommit_include_redirects",  # OAuth answers with redirects
        create_all=False,
        engine_config=EngineConfig(**engine_config),
    )
    if settings.is_sqlite:
        sync_engine = config.get_engine().sync_engine
        event.listen(sync_engine, "connect", _sqlite_connect)
        event.listen(sync_engine, "begin", _sqlite_begin)
    return config


def _sqlite_connect(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    # Take over transaction control from the driver (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # The overdue sweep writes its history rows in SQL: their ids come from here.
    dbapi_connection.run_async(lambda conn: conn.create_function("billcraft_uuid7", 0, _uuid7_bytes))


def _uuid7_bytes() -> bytes:
    return uuid7().bytes


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction takes SQLite's write lock up front. A deferred transaction that
    reads and then writes (the number counter, idempotency keys) can otherwise fail with
    "database is locked" instead of waiting its turn."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")
