"""MCP inside the web app: Streamable HTTP at ``/api/mcp`` (stateless, so any replica can
answer any request) and the legacy SSE transport at ``/api/mcp/sse``. Requests reach these
handlers already authenticated by the app's middleware; Host and Origin are checked
against ``BILLCRAFT_BASE_URL`` (and loopback) to stop DNS rebinding.

Scopes by step-up (MCP authorization, 2025-11-25): a tool call with an OAuth token that
lacks the scope its tool or action needs is answered HTTP 403 with a ``WWW-Authenticate``
``insufficient_scope`` challenge naming the scopes to ask for (those granted and the one
missing), so the client asks the person for more consent and calls again. A personal
token cannot be consented to again: its calls keep the ``insufficient_scope`` tool error."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar, asgi
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from app.config import Settings
from app.domain.access import Principal
from app.domain.outputs import PdfMaker
from app.mcp.server import build_server, http_principal
from app.mcp.specs import SCOPES

MCP_PATH = "/api/mcp"
SSE_PATH = "/api/mcp/sse"
MESSAGES_PATH = "/api/mcp/messages/"


def transport_security(base_url: str) -> TransportSecuritySettings:
    public = urlsplit(base_url)
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if public.hostname:
        hosts += [public.netloc, public.hostname]
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class McpTransports:
    """The MCP server and its two HTTP transports, built once per application."""

    def __init__(self, settings: Settings, db: SQLAlchemyAsyncConfig, pdfs: PdfMaker) -> None:
        self.server = build_server(settings, db.create_session_maker(), http_principal, pdfs)
        self.base_url = settings.base_url
        security = transport_security(settings.base_url)
        self.manager = StreamableHTTPSessionManager(
            app=self.server, stateless=True, json_response=True, security_settings=security
        )
        self.streamable = StreamableHTTPASGIApp(self.manager)
        self.sse = SseServerTransport(MESSAGES_PATH, security_settings=security)

    @asynccontextmanager
    async def lifespan(self, _: Litestar) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    def route_handlers(self) -> list[ASGIRouteHandler]:
        metadata = f"{self.base_url}/.well-known/oauth-protected-resource/api/mcp"

        @asgi(MCP_PATH, copy_scope=False)
        async def streamable_http(scope: Scope, receive: Receive, send: Send) -> None:
            if scope.get("method") == "POST":
                body = await _read_body(receive)
                if len(body) > MAX_BODY:
                    await _answer(send, 413, [], _error(None, -32600, "the message is over 4 MiB", {}))
                    return
                user = scope.get("user")
                if isinstance(user, Principal) and user.oauth_client_id and (call := _tool_call(body)):
                    missing = _missing_scope(user, call)
                    if missing is not None:
                        await _challenge(send, user, missing, metadata, call.get("id"))
                        return
                receive = _replay(body)
            await self.streamable(scope, receive, send)  # type: ignore[arg-type]

        @asgi(SSE_PATH, copy_scope=False)
        async def sse(scope: Scope, receive: Receive, send: Send) -> None:
            streams: Any
            async with self.sse.connect_sse(scope, receive, send) as streams:  # type: ignore[arg-type]
                await self.server.run(streams[0], streams[1], self.server.create_initialization_options())

        @asgi(MESSAGES_PATH.rstrip("/"), copy_scope=False)
        async def messages(scope: Scope, receive: Receive, send: Send) -> None:
            await self.sse.handle_post_message(scope, receive, send)  # type: ignore[arg-type]

        return [streamable_http, sse, messages]


MAX_BODY = 4 * 1024 * 1024  # one JSON-RPC message; the SDK's transport sets no limit of its own


async def _read_body(receive: Receive) -> bytes:
    """The whole body, or as soon as it is past ``MAX_BODY``, what was read of it."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    """The request's body again, for the SDK's transport, which reads it itself."""
    sent = False

    async def receive() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _tool_call(body: bytes) -> dict[str, Any] | None:
    """The body as a ``tools/call`` message naming its tool, or None (anything else: the
    call itself then says what is wrong)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return None
    params = message.get("params")
    return message if isinstance(params, dict) and isinstance(params.get("name"), str) else None


def _missing_scope(principal: Principal, call: dict[str, Any]) -> str | None:
    """The scope the tool (or its action) needs that the token lacks, if any."""
    params = call["params"]
    arguments = params.get("arguments")
    action = arguments.get("action") if isinstance(arguments, dict) else None
    if not isinstance(action, str):
        action = None
    needed = SCOPES.get((params["name"], action)) or SCOPES.get((params["name"], None))
    return needed if needed and needed not in principal.scopes else None


async def _challenge(send: Send, principal: Principal, missing: str, metadata: str, request_id: object) -> None:
    wanted = " ".join(sorted({*principal.scopes, missing}))
    detail = f"this token lacks the scope {missing}; ask the person to consent to it and call again"
    data = {"code": "insufficient_scope", "required_scope": missing}
    challenge = f'Bearer error="insufficient_scope", scope="{wanted}", resource_metadata="{metadata}"'
    await _answer(send, 403, [(b"www-authenticate", challenge.encode())], _error(request_id, -32001, detail, data))


def _error(request_id: object, code: int, message: str, data: dict[str, str]) -> bytes:
    error: dict[str, object] = {"code": code, "message": message}
    if data:
        error["data"] = data
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], payload: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]
    start: Any = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    body: Any = {"type": "http.response.body", "body": payload}
    await send(body)
