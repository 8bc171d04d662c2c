"""Dynamic client registration (RFC 7591) as the MCP clients people use send it: the answer
holds only the fields that apply (no null secret for a public client), a client that names
no authentication method is registered as public, and only redirect URIs that cannot leak a
code are accepted (https, loopback http, a private-use scheme for a native app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import unique
from tests.mcp.conftest import Account, NewAccount
from tests.mcp.oauth_support import (
    Pkce,
    authorize_url,
    clients_named,
    exchange,
    through_browser,
    tokens_of,
)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture
async def account(new_account: NewAccount) -> Account:
    return await new_account()


async def _register(http: httpx.AsyncClient, base: str, **metadata: Any) -> httpx.Response:
    return await http.post(f"{base}/oauth/register", json=metadata)


def _nulls(value: Any, path: str = "$") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


async def test_a_public_client_is_answered_without_a_secret_field_and_without_nulls(
    served: str, http: httpx.AsyncClient
) -> None:
    """A public client's registration answer has no ``client_secret`` (not even null) and
    no null anywhere: strict clients (the TypeScript SDK) reject the whole answer otherwise."""
    response = await _register(
        http,
        served,
        client_name="Strict Client",
        redirect_uris=["http://127.0.0.1:40111/callback"],
        token_endpoint_auth_method="none",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert _nulls(body) == []
    assert "client_secret" not in body
    assert "client_secret_expires_at" not in body
    assert body["client_id"].startswith("bcc_")
    assert body["token_endpoint_auth_method"] == "none"
    assert body["redirect_uris"] == ["http://127.0.0.1:40111/callback"]


async def test_a_client_that_names_no_authentication_method_is_registered_as_public(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """Without ``token_endpoint_auth_method`` a client is registered as public (``none``),
    and it completes the whole grant as one."""
    name = unique("No Method")
    response = await _register(http, served, client_name=name, redirect_uris=["http://127.0.0.1:53682/callback"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_endpoint_auth_method"] == "none"
    assert await clients_named(db, name=name) == 1
    pkce = Pkce.new()
    query = await through_browser(served, account, authorize_url(served, body["client_id"], pkce))
    tokens_of(body["client_id"], await exchange(http, served, body["client_id"], query["code"], pkce.verifier))


@pytest.mark.parametrize(
    ("uris", "application_type"),
    [
        (["http://evil.example/cb"], None),
        ([""], None),
        (["   "], None),
        (["/relative/callback"], None),
        (["https://app.example/cb#fragment"], None),
        (["javascript:alert(1)"], "native"),
        (["data:text/html,hi"], "native"),
        (["file:///etc/passwd"], "native"),
        (["com.example.app:/callback"], None),
        (["cursor://anysphere.cursor-mcp/oauth/callback"], "web"),
        (["https://app.example/cb", "http://10.0.0.5/cb"], None),
        ([42], None),
        (["https:///no-host"], None),
        (["https://claude.ai@attacker.example/cb"], None),
    ],
    ids=[
        "http-elsewhere", "empty", "blank", "relative", "fragment", "javascript", "data", "file",
        "private-scheme-web-app", "private-scheme-declared-web", "one-bad-among-good", "not-a-string", "no-host",
        "userinfo",
    ],
)  # fmt: skip
async def test_a_redirect_uri_that_could_leak_the_code_is_refused_at_registration(
    served: str, http: httpx.AsyncClient, db: Any, uris: list[Any], application_type: str | None
) -> None:
    """Only https, loopback http, and (for a native app) private-use schemes may be
    registered; anything else is ``invalid_redirect_uri`` and no client is remembered."""
    name = unique("Leaky")
    metadata: dict[str, Any] = {"client_name": name, "redirect_uris": uris, "token_endpoint_auth_method": "none"}
    if application_type:
        metadata["application_type"] = application_type
    response = await _register(http, served, **metadata)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_redirect_uri", body
    assert body.get("error_description"), body
    assert "client_id" not in body
    assert await clients_named(db, name=name) == 0


@pytest.mark.parametrize(
    ("uris", "application_type"),
    [
        (["https://claude.ai/api/mcp/auth_callback"], None),
        (["http://localhost:3118/callback"], "native"),
        (["http://127.0.0.1:33418", "https://vscode.dev/redirect"], "native"),
        (["http://[::1]:8080/cb"], None),
        (["cursor://anysphere.cursor-mcp/oauth/callback"], "native"),
        (["com.example.app:/oauth2redirect"], "native"),
    ],
    ids=["https", "localhost", "vscode", "ipv6-loopback", "cursor-native", "reverse-dns-native"],
)
async def test_the_redirect_uris_of_real_clients_register(
    served: str, http: httpx.AsyncClient, uris: list[str], application_type: str | None
) -> None:
    """What Claude, Claude Code, VS Code and native apps register is accepted."""
    metadata: dict[str, Any] = {"client_name": unique("Real"), "redirect_uris": uris}
    if application_type:
        metadata["application_type"] = application_type
    response = await _register(http, served, **metadata)
    assert response.status_code == 201, response.text
    assert response.json()["redirect_uris"] == uris


async def test_a_loopback_redirect_uri_matches_on_any_port_and_nothing_else(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """RFC 8252 7.3: a native app's loopback listener gets its port when it starts, so a
    registered ``http://127.0.0.1/callback`` accepts any port at authorization; a different
    path or host is still refused with the server's own error page."""
    response = await _register(http, served, client_name="Port Hopper", redirect_uris=["http://127.0.0.1/callback"])
    assert response.status_code == 201, response.text
    client_id = response.json()["client_id"]
    pkce = Pkce.new()
    asked = "http://127.0.0.1:53682/callback"
    url = authorize_url(served, client_id, pkce, redirect_uri=asked)
    query = await through_browser(served, account, url)
    tokens_of(client_id, await exchange(http, served, client_id, query["code"], pkce.verifier, redirect_uri=asked))
    for other in ("http://127.0.0.1:53682/elsewhere", "http://localhost:53682/callback"):
        page = await http.get(authorize_url(served, client_id, Pkce.new(), redirect_uri=other))
        assert page.status_code == 400, page.text
        assert "location" not in page.headers
