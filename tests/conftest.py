"""Test fixtures: a fresh database per run (SQLite, or PostgreSQL when
``BILLCRAFT_TEST_DATABASE=postgresql``), migrated with the real migrations, and helpers
that make users, workspaces and principals. Tests never share rows: each makes its own
users and workspaces, so no cleanup between tests is needed."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from playwright.async_api import Browser
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, normalize_database_url
from app.db.engine import database_config
from app.db.migrate import upgrade_async
from app.domain.access import Channel, Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.schemas import WorkspaceCreate
from tests.browsers import chromium

TARGET = os.environ.get("BILLCRAFT_TEST_DATABASE", "sqlite")
REDIS_URL = os.environ.get("BILLCRAFT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("BILLCRAFT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Billcraft runs as an ordinary role that owns its tables, as in production: a superuser
# would pass through the row-level security policies that the suite must exercise. The
# admin URL (a superuser) only creates and drops databases and looks behind the app's back.
APP_ROLE = "billcraft_app"


# For a module whose behaviour does not depend on the database (a browser's layout, the
# printed glyphs, how a proxy's header is read, the import graph): the SQLite half of
# ./run test runs it, the PostgreSQL half skips it, which keeps the pair within its time.
ONE_DATABASE = pytest.mark.skipif(
    TARGET == "postgresql", reason="independent of the database: the SQLite half of ./run test runs it"
)


def pytest_report_header() -> str:
    return f"billcraft database: {TARGET}"


def _pg_admin_url() -> str:
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TARGET == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'billcraft.db'}"
        return
    if TARGET != "postgresql":
        raise RuntimeError(f"BILLCRAFT_TEST_DATABASE must be sqlite or postgresql, not {TARGET!r}")
    name = f"billcraft_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_app_database(name))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(_pg_admin_url())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_app_database(name: str) -> None:
    """A new database owned by the app's role (made once per machine; two runs side by side
    may both try, hence the tolerated duplicate)."""
    await pg_admin(
        f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )
    await pg_admin(f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')


def _pg_url(name: str) -> str:
    """The app's URL for database ``name``: the admin URL's host, as the app's role."""
    parts = urlsplit(_pg_admin_url())
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{APP_ROLE}@{host}", f"/{name}", "", ""))


def pg_admin_url(name: str) -> str:
    """The admin URL for database ``name``: for tests that must see past row-level security."""
    return f"{_pg_admin_url().rsplit('/', 1)[0]}/{name}"


@dataclass
class OwnDatabase:
    """A database of one test's own, migrated: for tests whose processes relay or sweep
    every row they find, so that they meet only the rows their test made."""

    url: str
    settings: Settings
    config: SQLAlchemyAsyncConfig


@pytest.fixture
async def own_database(settings: Settings, tmp_path: Path) -> AsyncIterator[OwnDatabase]:
    name = f"billcraft_own_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    if TARGET == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
    else:
        await create_app_database(name)
        url = _pg_url(name)
    own = replace(settings, database_url=normalize_database_url(url), data_dir=tmp_path / "data")
    await upgrade_async(own)
    config = database_config(own)
    try:
        yield OwnDatabase(url=url, settings=own, config=config)
    finally:
        await config.get_engine().dispose()
        if TARGET != "sqlite":
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    os.environ["BILLCRAFT_DATA_DIR"] = str(data_dir)
    os.environ["BILLCRAFT_DATABASE_URL"] = database_url
    os.environ["BILLCRAFT_SECRET_KEY"] = "test-secret"
    os.environ.pop("BILLCRAFT_REDIS_URL", None)
    # Tests make many calls a minute with one user; the limit has tests of its own.
    os.environ["BILLCRAFT_RATE_LIMIT"] = "100000/minute"
    # Likewise for the OAuth endpoints per address and the emails per workspace and
    # recipient (the suite mails the same addresses from every test): each has its own tests.
    os.environ["BILLCRAFT_OAUTH_RATE_LIMIT"] = "100000/minute"
    os.environ["BILLCRAFT_MAIL_LIMIT_WORKSPACE"] = "100000/hour"
    os.environ["BILLCRAFT_MAIL_LIMIT_RECIPIENT"] = "100000/day"
    # No background jobs on the shared test database: the tests of email delivery run their
    # own processes, on databases of their own.
    os.environ["BILLCRAFT_JOBS"] = "off"
    return Settings.from_env()


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> Settings:
    await upgrade_async(settings)
    return settings


@pytest.fixture(scope="session")
async def db(migrated: Settings) -> AsyncIterator[object]:
    config = database_config(migrated)
    yield config
    await config.get_engine().dispose()


@pytest.fixture
async def session(db: object) -> AsyncIterator[AsyncSession]:
    maker = db.create_session_maker()  # type: ignore[attr-defined]
    async with maker() as s:
        yield s


@pytest.fixture
def billing(session: AsyncSession, settings: Settings) -> Billing:
    return Billing(session, base_url=settings.base_url)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def make_principal(billing: Billing, name: str = "user", channel: Channel = Channel.API) -> Principal:
    user = await billing.accounts.create_user(f"{unique(name)}@example.com", "correct horse battery", name)
    return Principal(user_id=user.id, name=user.name, channel=channel)


async def make_workspace(
    billing: Billing, principal: Principal, currency: str = "USD", timezone: str = "UTC"
) -> WorkspaceAccess:
    ws = await billing.workspaces.create_workspace(
        principal, WorkspaceCreate(name=unique("Agency"), default_currency=currency, timezone=timezone)
    )
    return await billing.access(principal, ws.company_slug)


@pytest.fixture
async def owner(billing: Billing) -> Principal:
    return await make_principal(billing, "owner")


@pytest.fixture
async def access(billing: Billing, owner: Principal) -> WorkspaceAccess:
    return await make_workspace(billing, owner)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own on the machine's Redis, removed afterwards
    (with arq's keys for queues under it). Redis must be up: no skipping."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    prefix = f"billcraft-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for pattern in (f"{prefix}*", f"arq:*{prefix}*"):
            for key in client.scan_iter(pattern):
                client.delete(key)
        client.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Chromium for one test (``tests/browsers.py``)."""
    async for launched in chromium():
        yield launched
