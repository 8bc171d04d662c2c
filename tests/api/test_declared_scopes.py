"""What each REST route declares in OpenAPI as its OAuth scope is what the domain enforces:
generated from the document, a token holding every scope but the declared one is refused
with ``insufficient_scope`` naming exactly that scope."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.domain.access import ALL_SCOPES
from app.domain.billing import Billing
from tests.api.conftest import Caller
from tests.api.test_tenant_isolation import _body, _call, _fill, make_victim

# Routes any valid token may call: they show only what is the caller's own.
UNSCOPED = {
    ("GET", "/api/v1/workspaces"),
    ("GET", "/api/v1/workspaces/{company_slug}"),
}
# Routes that take no token: a signed, short-lived link is the key (tests/mcp/test_download_links.py).
LINK_KEYED = {("GET", "/api/v1/downloads/{token}")}


def declared(openapi: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    scopes: dict[tuple[str, str], str | None] = {}
    for path, item in openapi["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in item.items():
            oauth = [s["oauth2"] for s in operation.get("security", []) if "oauth2" in s]
            scopes[(method.upper(), path)] = oauth[0][0] if oauth and oauth[0] else None
    return scopes


async def test_every_route_enforces_exactly_the_scope_it_declares(
    app: Litestar, client: AsyncTestClient[Litestar], caller: Caller, stranger: Caller, db: Any
) -> None:
    openapi = (await client.get("/api/openapi.json")).json()
    routes = declared(openapi)
    assert {route for route, scope in routes.items() if scope is None} == UNSCOPED | LINK_KEYED
    victim = await make_victim(caller)

    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(caller.email)
        without = {}
        for needed in {s for s in routes.values() if s}:
            _, without[needed] = await billing.accounts.create_token(
                user, "all but one", " ".join(ALL_SCOPES - {needed})
            )
        await session.commit()

    checked = set()
    for (method, path), declared_scope in sorted(routes.items(), key=lambda r: r[0]):
        if declared_scope is None:
            continue
        scope: str = declared_scope
        url = _fill(path, caller.slug, victim.draft["uuid"], victim.client["uuid"], note_uuid=victim.note_uuid,
                    received_uuid=victim.received["uuid"])  # fmt: skip
        body: dict[str, Any] | None = _body(method, path, victim, stranger)
        if (method, path) == ("POST", "/api/v1/workspaces"):
            body = {"name": "Another"}
        response = await _call(client, method, url, without[scope], body)
        assert response.status_code == 403, (method, path, response.text)
        problem = response.json()
        assert (problem["code"], problem["required_scope"]) == ("insufficient_scope", scope), (method, path)
        assert f'scope="{scope}"' in response.headers["www-authenticate"]
        checked.add((method, path))
    assert checked == {route for route, scope in routes.items() if scope}
