"""REST fixtures: the real Litestar app on the test database, called in-process over
ASGI with httpx, and helpers that create users with tokens through the domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.config import Settings
from app.db.engine import database_config
from app.domain.access import Scope
from app.domain.billing import Billing
from app.server import create_app
from tests.conftest import unique


@pytest.fixture(scope="session")
def app(migrated: Settings) -> Litestar:
    return create_app(migrated)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c


@dataclass
class Caller:
    """A user with a bearer token, and the slug of a workspace they own."""

    email: str
    token: str
    slug: str
    client: AsyncTestClient[Litestar]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str = "") -> str:
        return f"/api/v1/workspaces/{self.slug}{path}"

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(self.url(path), headers=self.headers, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return await self.client.post(self.url(path), json=json, headers=headers, **kw)

    async def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return await self.client.patch(self.url(path), json=json, headers=headers, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.delete(self.url(path), headers=self.headers, **kw)


async def make_caller(
    client: AsyncTestClient[Litestar],
    settings: Settings,
    scopes: set[Scope] | None = None,
    currency: str = "USD",
) -> Caller:
    """A new user (through the domain), a token with ``scopes`` (all by default), and a
    workspace created through the REST API."""
    config = database_config(settings)
    try:
        async with config.create_session_maker()() as session:
            billing = Billing(session)
            email = f"{unique('rest')}@example.com"
            user = await billing.accounts.create_user(email, "correct horse battery")
            _, token = await billing.accounts.create_token(user, "test", None)
            limited = None
            if scopes is not None:
                _, limited = await billing.accounts.create_token(user, "limited", " ".join(s.value for s in scopes))
            await session.commit()
    finally:
        await config.get_engine().dispose()
    response = await client.post(
        "/api/v1/workspaces",
        json={"name": unique("Agency"), "default_currency": currency},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return Caller(email=email, token=limited or token, slug=response.json()["company_slug"], client=client)


@pytest.fixture
async def caller(client: AsyncTestClient[Litestar], migrated: Settings) -> Caller:
    return await make_caller(client, migrated)


@pytest.fixture
async def stranger(client: AsyncTestClient[Litestar], migrated: Settings) -> Caller:
    return await make_caller(client, migrated)
