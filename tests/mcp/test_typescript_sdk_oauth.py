"""A second client implementation completes OAuth against a served Billcraft: the official MCP
TypeScript SDK (pinned in ``tests/mcp/ts/package.json``), run by Node with no Python in the
loop, connects by URL alone: discovery (RFC 9728, RFC 8414), dynamic registration (RFC 7591),
PKCE S256, sign-in and consent in a headless "browser" that carries the forms' CSRF tokens,
the code back on a loopback redirect URI with ``state`` and ``iss`` (RFC 9207), the code
exchange, tool calls, then a refresh that rotates, a replayed refresh token refused with
``invalid_grant`` and the whole token family revoked with it.

It protects what the Python SDK's tolerance hid: that SDK accepted a registration answer
holding ``"client_secret": null``, which the TypeScript SDK (and clients built on it, such as
mcp-remote and MCP Inspector) rejects whole, so OAuth never completed for them. The script
(``tests/mcp/ts/oauth_flow.mjs``) prints what it observed as JSON; this test asserts on it.

Node 20 and npm must be on the machine: a missing one fails the test, since CI must run it.
The SDK is installed into ``tests/mcp/ts/node_modules`` (``npm ci``) when it is missing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.db.oauth_models import OAuthClient
from app.db.oauth_models import OAuthToken as TokenRow
from tests.mcp.conftest import NewAccount
from tests.mcp.typescript import pinned_sdk, run_script

FLOW_SECONDS = 180
PASSWORD = "correct horse battery"


async def test_the_typescript_sdk_client_completes_oauth_calls_tools_and_refreshes_with_rotation(
    node: str, served: str, new_account: NewAccount, db: Any
) -> None:
    account = await new_account()
    async with httpx.AsyncClient(
        base_url=f"{served}/api/v1/workspaces/{account.slug}",
        headers={"Authorization": f"Bearer {account.token}"},
        timeout=30,
    ) as api:
        client = (await api.post("/clients", json={"name": "Acme Corp", "email": "billing@acme.example"})).json()
        created = await api.post(
            "/invoices",
            json={"title": "Website redesign", "client_uuid": client["uuid"],
                  "items": [{"description": "UX Design", "quantity": 20, "unit_price": 120}]},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        invoice = created.json()

    seen: dict[str, Any] = await run_script(
        node, "oauth_flow.mjs", served, account.email, seconds=FLOW_SECONDS, env={"BILLCRAFT_PASSWORD": PASSWORD}
    )

    assert seen["ok"] is True
    assert seen["sdk_version"] == pinned_sdk()

    discovery = seen["discovery"]
    assert discovery["initial_status"] == 401, "the first request, without a token, is challenged"
    assert "/.well-known/oauth-protected-resource/api/mcp 200" in discovery["fetched"]
    assert "/.well-known/oauth-authorization-server 200" in discovery["fetched"]
    assert discovery["issuer"] == served
    assert discovery["resource"] == f"{served}/api/mcp"

    registration = seen["registration"]
    assert registration["status"] == 201
    assert registration["client_secret_present"] is False, "no client_secret field at all, not even a null one"
    assert registration["token_endpoint_auth_method"] == "none", "a client naming no method is public"
    assert registration["redirect_uris"][0].startswith("http://127.0.0.1:"), "loopback http on any port"

    authorization = seen["authorization"]
    assert authorization["code_challenge_method"] == "S256"
    assert authorization["code_challenge_is_s256_of_verifier"] is True
    assert authorization["resource"] == f"{served}/api/mcp"
    assert authorization["state_sent"] is True

    browser = seen["browser"]
    assert [p["page"] for p in browser["pages"]] == ["signin", "consent"]
    assert all(p["csrf_token"] for p in browser["pages"])
    assert browser["pages"][1]["names_client"] is True
    assert browser["callback_hits"] == 1
    assert browser["state_matches"] is True
    assert browser["iss"] == served, "RFC 9207: iss in the authorization response"

    token = seen["token"]
    assert token["grant_type"] == "authorization_code"
    assert token["status"] == 200
    assert {"code", "code_verifier", "redirect_uri", "client_id"} <= set(token["params"])
    assert "client_secret" not in token["params"]
    assert token["resource"] == f"{served}/api/mcp"
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token_issued"] is True

    tools = seen["tools"]
    assert tools["names_include"] == ["workspace", "client", "invoice"]
    assert tools["workspace_slugs"] == [account.slug]
    assert [i["uuid"] for i in tools["invoices"]] == [invoice["uuid"]]

    refresh = seen["refresh"]
    assert refresh["grant_type"] == "refresh_token"
    assert refresh["status"] == 200
    assert refresh["new_refresh_token"] is True, "refresh tokens rotate on use"
    assert refresh["new_access_token"] is True
    assert refresh["new_access_token_works"] is True

    replay = seen["replay"]
    assert replay == {"refused": True, "error": "invalid_grant", "invalid_grant_error": True, "status": 400}

    revoked = seen["family_revoked"]
    assert revoked["rotated_access_token"] == {"status": 401}, "a replay revokes the tokens rotated from it"
    assert revoked["rotated_refresh_token_error"] == "invalid_grant"
    assert revoked["sdk_asks_user_again"] is True

    async with db.create_session_maker()() as session:
        registered = (
            await session.execute(select(OAuthClient).where(OAuthClient.client_id == registration["client_id"]))
        ).scalar_one()
        rows = (
            (await session.execute(select(TokenRow).where(TokenRow.client_id == registration["client_id"])))
            .scalars()
            .all()
        )
    assert registered.client_metadata["token_endpoint_auth_method"] == "none"
    assert len(rows) == 2, "one token from the code, one from the refresh"
    assert len({r.family_id for r in rows}) == 1
    assert all(r.revoked_at is not None for r in rows), "the whole family is revoked"
