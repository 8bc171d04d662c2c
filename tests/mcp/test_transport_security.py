"""The HTTP transports' front door: a request from a foreign Origin (DNS rebinding, a web
page calling a local server) or for a foreign Host is refused, and /api/mcp without a valid
bearer token answers 401 before any MCP handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.mcp.conftest import Account

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture
async def http(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served, timeout=10) as client:
        yield client


def _bearer(account: Account, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.token}", **ACCEPT, **headers}


async def test_a_post_from_a_foreign_origin_is_refused(http: httpx.AsyncClient, owner: Account) -> None:
    """Even with a valid token, a POST to /api/mcp carrying Origin https://evil.example is
    refused with a 4xx and no MCP answer; the same request from the server's own origin works."""
    refused = await http.post("/api/mcp", json=INITIALIZE, headers=_bearer(owner, Origin="https://evil.example"))
    assert 400 <= refused.status_code < 500
    assert refused.status_code == 403
    assert "jsonrpc" not in refused.text
    own = await http.post("/api/mcp", json=INITIALIZE, headers=_bearer(owner, Origin=str(http.base_url).rstrip("/")))
    assert own.status_code == 200, own.text
    assert own.json()["result"]["serverInfo"]["name"] == "billcraft"


async def test_a_foreign_host_header_is_refused(http: httpx.AsyncClient, owner: Account) -> None:
    """DNS rebinding: a request whose Host is not the server's is refused (421)."""
    response = await http.post("/api/mcp", json=INITIALIZE, headers=_bearer(owner, Host="evil.example"))
    assert response.status_code == 421
    assert "jsonrpc" not in response.text


async def test_the_sse_endpoint_refuses_a_foreign_origin(http: httpx.AsyncClient, owner: Account) -> None:
    """The legacy SSE stream checks the Origin as well."""
    response = await http.get("/api/mcp/sse", headers=_bearer(owner, Origin="https://evil.example"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/api/mcp", "POST", {}),
        ("/api/mcp", "POST", {"Authorization": "Bearer bc_not-a-real-token"}),
        ("/api/mcp", "POST", {"Authorization": "Basic dXNlcjpwYXNz"}),
        ("/api/mcp", "GET", {}),
        ("/api/mcp/sse", "GET", {}),
        ("/api/mcp/messages/", "POST", {}),
    ],
    ids=["no-token", "unknown-token", "not-bearer", "get-no-token", "sse-no-token", "messages-no-token"],
)
async def test_without_a_valid_bearer_token_mcp_answers_401(
    http: httpx.AsyncClient, path: str, method: str, headers: dict[str, Any]
) -> None:
    """No token, an unknown token or another scheme: 401 with a problem body and a
    WWW-Authenticate challenge, before any MCP handling."""
    response = await http.request(method, path, json=INITIALIZE, headers={**ACCEPT, **headers})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    assert response.json()["code"] in {"unauthenticated", "invalid_token"}
    assert "jsonrpc" not in response.text


async def test_a_message_over_4_mib_is_refused_before_anything_reads_it_whole(
    http: httpx.AsyncClient, owner: Account
) -> None:
    """The SDK's transport sets no limit on a message; the endpoint does: 413, a JSON-RPC
    error; an ordinary message still goes through."""
    huge = b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "' + b"x" * (4 * 1024 * 1024) + b'"}}'
    refused = await http.post("/api/mcp", content=huge, headers={**_bearer(owner), "Content-Type": "application/json"})
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == -32600
    fine = await http.post("/api/mcp", json=INITIALIZE, headers=_bearer(owner))
    assert fine.status_code == 200, fine.text
