"""Fixtures for the MCP tests over real processes: one ``billcraft serve`` on a free loopback
port for the whole session (on the test database: on SQLite the served process shares the
file, on PostgreSQL the test database), ``billcraft mcp`` stdio processes started by the SDK
client, and accounts (a user, a bearer token and a workspace of their own) made through the
domain on the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from app.config import Settings
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import WorkspaceCreate
from tests.conftest import unique
from tests.mcp.typescript import node_with_sdk
from tests.processes import BIN, ProcessEnv, serve
from tests.smtp import Mailbox, smtp_server

PASSWORD = "correct horse battery"  # every account's, made by new_account


@dataclass(frozen=True)
class Account:
    """A user with a bearer token (all scopes) and the slug of a workspace they own."""

    email: str
    name: str
    token: str
    slug: str


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


@pytest.fixture(scope="module")
def mailing(process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Mailbox]]:
    """A ``billcraft serve`` that delivers its emails itself to an SMTP server: its base URL,
    the SMTP URL (for stdio processes) and the mailbox."""
    with (
        smtp_server() as (smtp_url, mailbox),
        serve(process_env, tmp_path_factory.mktemp("mailing") / "serve.log", jobs="auto", smtp_url=smtp_url) as base,
    ):
        yield base, smtp_url, mailbox


@pytest.fixture(scope="session")
def node() -> str:
    """Node with the pinned TypeScript SDK (``tests/mcp/typescript.py``)."""
    return node_with_sdk()


NewAccount = Callable[..., Awaitable[Account]]


@pytest.fixture(scope="session")
def new_account(db: Any) -> NewAccount:
    """Make a user, a token and a workspace of theirs, committed to the test database that
    every served and stdio process reads."""

    async def make(currency: str = "USD", name: str = "Ada") -> Account:
        async with db.create_session_maker()() as session:
            billing = Billing(session)
            email = f"{unique('mcp')}@example.com"
            user = await billing.accounts.create_user(email, PASSWORD, name)
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


class Person:
    """The person behind an MCP client, answering the server's confirmation forms: agreeing
    (the suite's default: its stories are about what the change does) or declining. Every
    question asked is kept, to check what the person was shown."""

    def __init__(self, agrees: bool = True) -> None:
        self.agrees = agrees
        self.asked: list[types.ElicitRequestParams] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params)
        if self.agrees:
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")


@asynccontextmanager
async def http_client(
    base: str, token: str, mode: str = "auto", person: Person | None = None, elicits: bool = True
) -> AsyncIterator[Client]:
    """An SDK client on Streamable HTTP at /api/mcp with the token as bearer; it answers
    confirmations as ``person`` (one who agrees by default), or, with ``elicits=False``,
    declares no elicitation at all."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    callback = (person or Person()) if elicits else None
    transport = streamable_http_client(f"{base}/api/mcp", http_client=http)
    async with http, Client(transport, mode=mode, elicitation_callback=callback) as client:
        yield client


@asynccontextmanager
async def stdio_mcp(
    env: ProcessEnv, token: str, log_path: Path, mode: str = "legacy", person: Person | None = None, **settings: str
) -> AsyncIterator[Client]:
    """``billcraft mcp`` as a subprocess of the SDK's stdio transport, acting for ``token``.
    The transport stops the process by its handle when the block ends (closes its stdin,
    then terminates and finally kills it); its stderr goes to ``log_path``."""
    params = StdioServerParameters(command=str(BIN), args=["mcp"], env=env.env(token=token, **settings))
    with log_path.open("w") as errlog:
        async with Client(
            stdio_client(params, errlog=errlog), mode=mode, elicitation_callback=person or Person()
        ) as client:
            yield client
