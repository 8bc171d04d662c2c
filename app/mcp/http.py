"""MCP inside the web app: Streamable HTTP at ``/api/mcp`` (stateless, so any replica can
answer any request) and the legacy SSE transport at ``/api/mcp/sse``. Requests reach these
handlers already authenticated by the app's middleware; Host and Origin are checked
against ``BILLCRAFT_BASE_URL`` (and loopback) to stop DNS rebinding."""

from __future__ import annotations

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
from app.domain.outputs import PdfMaker
from app.mcp.server import build_server, http_principal

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
        @asgi(MCP_PATH, copy_scope=False)
        async def streamable_http(scope: Scope, receive: Receive, send: Send) -> None:
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
