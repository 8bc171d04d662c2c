"""What the OAuth refusal tests do as a client would, over real HTTP against a served
Billcraft: register a public client, build authorization requests with PKCE, send a
(headless) browser through sign-in and consent, exchange and refresh at the token endpoint,
probe whether a token still opens /api/mcp and /api/v1, and serve client ID metadata
documents from a loopback port of our own."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
from sqlalchemy import func, select

from app.db.oauth_models import OAuthClient, OAuthCode, OAuthToken
from tests.mcp.conftest import Account
from tests.mcp.oauth_browser import Browser, code_and_state, forms

REDIRECT = "http://127.0.0.1:53682/callback"
PASSWORD = "correct horse battery"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}


@dataclass(frozen=True)
class Pkce:
    """RFC 7636 with S256: a fresh verifier and its challenge."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        return cls(verifier, s256(verifier))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def client_metadata(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "client_name": name,
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **overrides,
    }


async def register(http: httpx.AsyncClient, base: str, name: str = "Refusal Tester") -> str:
    """A public client registered dynamically (RFC 7591): its client_id."""
    response = await http.post(f"{base}/oauth/register", json=client_metadata(name))
    assert response.status_code == 201, response.text
    client_id = response.json()["client_id"]
    assert isinstance(client_id, str)
    return client_id


def authorize_url(
    base: str,
    client_id: str,
    pkce: Pkce | None,
    *,
    state: str = "",
    resource: str | None = None,
    scope: str | None = None,
    redirect_uri: str = REDIRECT,
    method: str = "S256",
) -> str:
    """/oauth/authorize for ``client_id``; the resource is the MCP endpoint unless told, and
    ``pkce=None`` leaves the challenge out."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state or secrets.token_urlsafe(12),
        "resource": resource or f"{base}/api/mcp",
    }
    if pkce is not None:
        params.update(code_challenge=pkce.challenge, code_challenge_method=method)
    if scope is not None:
        params["scope"] = scope
    return f"{base}/oauth/authorize?{urlencode(params)}"


async def through_browser(base: str, account: Account, url: str, decision: str = "approve") -> dict[str, str]:
    """Send a fresh browser to ``url``: it signs in as ``account``, answers the consent page
    with ``decision`` and lands on the client's redirect URI, whose query is returned."""
    browser = Browser(base, account.email, PASSWORD, decision=decision)
    async with browser.http:
        landed = await browser.visit(url)
    assert landed.startswith(REDIRECT + "?"), landed
    return code_and_state(landed)


async def exchange(
    http: httpx.AsyncClient,
    base: str,
    client_id: str,
    code: str,
    verifier: str,
    *,
    redirect_uri: str = REDIRECT,
    resource: str | None = None,
) -> httpx.Response:
    return await http.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
            "resource": resource or f"{base}/api/mcp",
        },
    )


async def refresh(http: httpx.AsyncClient, base: str, client_id: str, refresh_token: str) -> httpx.Response:
    return await http.post(
        f"{base}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
    )


@dataclass(frozen=True)
class Tokens:
    client_id: str
    access: str
    refresh: str
    scope: str


def tokens_of(client_id: str, response: httpx.Response) -> Tokens:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert body["access_token"].startswith("bco_")
    return Tokens(client_id, body["access_token"], body["refresh_token"], body.get("scope", ""))


async def connect(
    http: httpx.AsyncClient,
    base: str,
    account: Account,
    *,
    client_id: str | None = None,
    scope: str | None = None,
    resource: str | None = None,
) -> Tokens:
    """The whole grant as a well-behaved client does it: register (unless a client is
    given), authorize in the browser, exchange the code with its verifier."""
    client_id = client_id or await register(http, base)
    pkce = Pkce.new()
    query = await through_browser(base, account, authorize_url(base, client_id, pkce, scope=scope, resource=resource))
    response = await exchange(http, base, client_id, query["code"], pkce.verifier, resource=resource)
    return tokens_of(client_id, response)


def oauth_error(response: httpx.Response, error: str) -> dict[str, Any]:
    """A token-endpoint style refusal: 400 or 401, the precise ``error``, no token in it."""
    assert response.status_code in (400, 401), (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert "access_token" not in body
    assert "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"
    return body


async def mcp_status(http: httpx.AsyncClient, base: str, token: str) -> httpx.Response:
    """An MCP initialize at /api/mcp with ``token``: 200 when the token opens the endpoint."""
    return await http.post(
        f"{base}/api/mcp", json=INITIALIZE, headers={"Authorization": f"Bearer {token}", **MCP_ACCEPT}
    )


async def rest_status(http: httpx.AsyncClient, base: str, token: str) -> httpx.Response:
    """GET /api/v1/workspaces with ``token``: 200 when the token opens the REST API."""
    return await http.get(f"{base}/api/v1/workspaces", headers={"Authorization": f"Bearer {token}"})


def challenge_of(response: httpx.Response) -> str:
    assert response.status_code == 401, (response.status_code, response.text)
    header = response.headers["www-authenticate"]
    assert header.lower().startswith("bearer ")
    return header


async def count_issued(db: Any, client_id: str) -> tuple[int, int]:
    """How many authorization codes and token rows exist for ``client_id``."""
    async with db.create_session_maker()() as session:
        codes = (await session.execute(select(func.count()).where(OAuthCode.client_id == client_id))).scalar_one()
        tokens = (await session.execute(select(func.count()).where(OAuthToken.client_id == client_id))).scalar_one()
    return int(codes), int(tokens)


async def clients_named(db: Any, *, client_id: str | None = None, name: str | None = None) -> int:
    """How many clients the server remembers with this client_id or this name."""
    query = select(func.count()).select_from(OAuthClient)
    if client_id is not None:
        query = query.where(OAuthClient.client_id == client_id)
    if name is not None:
        query = query.where(OAuthClient.client_name == name)
    async with db.create_session_maker()() as session:
        return int((await session.execute(query)).scalar_one())


async def sign_in(http: httpx.AsyncClient, base: str, email: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in page (which starts a session and gives the form its CSRF token) and
    submit it; the answer is not followed."""
    page = await http.get(f"{base}/oauth/signin")
    assert page.status_code == 200, page.text
    form = forms(page.text)[0]
    fields = dict(form["fields"])  # type: ignore[call-overload]
    fields.update(email=email, password=password)
    return await http.post(urljoin(str(page.url), str(form["action"])), data=fields)


@contextmanager
def metadata_documents(documents: dict[str, Any]) -> Iterator[str]:
    """Serve ``documents`` (path -> JSON value, or a callable of the base URL giving one)
    as JSON on a free loopback port for the block's duration; yields the base URL. The
    server runs in a thread of its own and is shut down and joined at the end."""

    class Handler(BaseHTTPRequestHandler):
        timeout = 5

        def do_GET(self) -> None:
            document = documents.get(self.path)
            if document is None:
                self.send_error(404)
                return
            body = json.dumps(document(base) if callable(document) else document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
