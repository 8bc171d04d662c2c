"""Fixtures for the MCP tests over real processes: one ``billcraft serve`` on a free loopback
port for the whole session (on the test database: on SQLite the served process shares the
file, on PostgreSQL the test database), ``billcraft mcp`` stdio processes started by the SDK
client, and accounts (a user, a bearer token and a workspace of their own) made through the
domain on the same database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from app.config import Settings
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import WorkspaceCreate
from tests.conftest import unique

BIN = Path(sys.executable).parent / "billcraft"
STARTUP_SECONDS = 60
STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Account:
    """A user with a bearer token (all scopes) and the slug of a workspace they own."""

    email: str
    name: str
    token: str
    slug: str


@dataclass(frozen=True)
class ProcessEnv:
    """What every Billcraft process of this session runs on: the test database and a data
    directory; each process adds its own settings (base URL, tool set, token)."""

    database_url: str
    data_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BILLCRAFT_")}
        env.update(
            BILLCRAFT_DATABASE_URL=self.database_url,
            BILLCRAFT_DATA_DIR=str(self.data_dir),
            BILLCRAFT_SECRET_KEY="test-secret",
            # The suite's accounts make many calls a minute; the limit has tests of its own.
            BILLCRAFT_RATE_LIMIT="100000/minute",
        )
        env.update({f"BILLCRAFT_{k.upper()}": v for k, v in extra.items()})
        return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, by its own handle: terminate, then kill after a timeout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


@contextmanager
def serve(env: ProcessEnv, log_path: Path, **settings: str) -> Iterator[str]:
    """``billcraft serve`` on a free loopback port until /health answers; yields its base URL.
    Its output goes to a file (a pipe nobody reads would block it once full)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env.env(base_url=base, **settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"billcraft serve did not come up:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base
    finally:
        stop(process)


@pytest.fixture(scope="session")
def process_env(migrated: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> ProcessEnv:
    """Depends on ``migrated`` so the schema exists before any process starts (each process
    then finds nothing to migrate instead of racing another over it)."""
    return ProcessEnv(database_url=database_url, data_dir=tmp_path_factory.mktemp("mcp-data"))


@pytest.fixture(scope="session")
def served(process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``billcraft serve`` (default tool set: all) for the whole session: its base URL."""
    with serve(process_env, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


NewAccount = Callable[..., Awaitable[Account]]


@pytest.fixture(scope="session")
def new_account(db: Any) -> NewAccount:
    """Make a user, a token and a workspace of theirs, committed to the test database that
    every served and stdio process reads."""

    async def make(currency: str = "USD", name: str = "Ada") -> Account:
        async with db.create_session_maker()() as session:
            billing = Billing(session)
            email = f"{unique('mcp')}@example.com"
            user = await billing.accounts.create_user(email, "correct horse battery", name)
            _, token = await billing.accounts.create_token(user, "mcp tests", None)
            principal = Principal(user_id=user.id, name=user.name, channel=Channel.API)
            workspace = await billing.workspaces.create_workspace(
                principal, WorkspaceCreate(name=unique("Agency"), default_currency=currency)
            )
            await session.commit()
        return Account(email=email, name=user.name, token=token, slug=workspace.company_slug)

    return make


@pytest.fixture
async def owner(new_account: NewAccount) -> Account:
    return await new_account()


@asynccontextmanager
async def http_client(base: str, token: str, mode: str = "auto") -> AsyncIterator[Client]:
    """An SDK client on Streamable HTTP at /api/mcp with the token as bearer."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http, Client(streamable_http_client(f"{base}/api/mcp", http_client=http), mode=mode) as client:
        yield client


@asynccontextmanager
async def stdio_mcp(
    env: ProcessEnv, token: str, log_path: Path, mode: str = "legacy", **settings: str
) -> AsyncIterator[Client]:
    """``billcraft mcp`` as a subprocess of the SDK's stdio transport, acting for ``token``.
    The transport stops the process by its handle when the block ends (closes its stdin,
    then terminates and finally kills it); its stderr goes to ``log_path``."""
    params = StdioServerParameters(command=str(BIN), args=["mcp"], env=env.env(token=token, **settings))
    with log_path.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
            yield client
