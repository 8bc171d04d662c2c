"""An MCP client that supports OAuth connects by URL alone: the SDK's own OAuth client
provider discovers the server, registers, sends the user through sign-in and consent (a
headless browser here), exchanges the code with PKCE, calls a tool, and refreshes."""

from __future__ import annotations

import time
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl
from sqlalchemy import select, update

from app.db.oauth_models import OAuthToken as TokenRow
from app.domain.accounts import utcnow
from tests.mcp.conftest import NewAccount
from tests.mcp.oauth_browser import Browser, code_and_state

REDIRECT = "http://127.0.0.1:53682/callback"


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def provider(base: str, browser: Browser, storage: MemoryStorage) -> OAuthClientProvider:
    async def redirect(url: str) -> None:
        await browser.visit(url)

    async def callback() -> AuthorizationCodeResult:
        assert browser.landed is not None, "the browser never came back to the client"
        query = code_and_state(browser.landed)
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    return OAuthClientProvider(
        server_url=f"{base}/api/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="Test Assistant",
            redirect_uris=[AnyUrl(REDIRECT)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect,
        callback_handler=callback,
    )


async def _call(base: str, auth: OAuthClientProvider) -> Any:
    http = httpx2.AsyncClient(auth=auth, timeout=30)
    async with http, Client(streamable_http_client(f"{base}/api/mcp", http_client=http)) as client:
        result = await client.call_tool("workspace", {"action": "list"})
        assert not result.is_error, result.content
        return result.structured_content


async def test_an_oauth_client_connects_by_url_signs_in_once_calls_a_tool_and_refreshes(
    served: str, new_account: NewAccount, db: Any
) -> None:
    account = await new_account()
    browser = Browser(served, account.email, "correct horse battery")
    storage = MemoryStorage()
    auth = provider(served, browser, storage)
    listed = await _call(served, auth)
    assert [w["company_slug"] for w in listed["items"]] == [account.slug]
    assert len(browser.pages) == 2, "one sign-in page and one consent page"
    assert "Test Assistant" in browser.pages[1]
    assert code_and_state(browser.landed or "")["iss"] == served, "RFC 9207: iss in the authorization response"
    assert storage.tokens is not None
    assert storage.tokens.refresh_token is not None
    first_refresh = storage.tokens.refresh_token

    # An hour later the access token has run out, for the server and for the client (whose
    # clock we move on): the client refreshes by itself, with no browser.
    async with db.create_session_maker()() as session:
        await session.execute(update(TokenRow).values(access_expires_at=utcnow()))
        await session.commit()
    auth.context.token_expiry_time = time.time() - 1
    pages_before = len(browser.pages)
    again = await _call(served, auth)
    assert again == listed
    assert len(browser.pages) == pages_before, "no second sign-in"
    assert storage.tokens.refresh_token != first_refresh, "refresh tokens rotate on use"

    assert storage.client is not None
    client_id = str(storage.client.client_id)
    async with db.create_session_maker()() as session:
        rows = (await session.execute(select(TokenRow).where(TokenRow.client_id == client_id))).scalars().all()
    assert len(rows) == 2
    assert all(r.resource == f"{served}/api/mcp" for r in rows), "RFC 8707: the token is bound to the MCP resource"
    assert all(len(r.access_hash) == 64 for r in rows), "tokens are stored hashed"


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/api/mcp/.well-known/oauth-authorization-server"]
)
async def test_discovery_documents_describe_the_server(served: str, path: str) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        metadata = (await http.get(f"{served}{path}")).json()
        resource = (await http.get(f"{served}/.well-known/oauth-protected-resource/api/mcp")).json()
        challenge = await http.post(f"{served}/api/mcp", json={})
    assert metadata["issuer"] == served
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["token_endpoint_auth_methods_supported"] == ["none"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert resource["resource"] == f"{served}/api/mcp"
    assert resource["authorization_servers"] == [served]
    assert challenge.status_code == 401
    assert (
        f'resource_metadata="{served}/.well-known/oauth-protected-resource/api/mcp"'
        in challenge.headers["www-authenticate"]
    )
