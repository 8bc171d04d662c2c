"""``billcraft mcp``: the same MCP server over stdio, acting for the owner of
``BILLCRAFT_TOKEN`` (checked through the same verifier as HTTP, on every call). Emails it
sends go to the arq queue, or in embedded mode are delivered by this process itself."""

from __future__ import annotations

import json
from typing import Any

from mcp import Client
from mcp.server.stdio import stdio_server

from app.config import Settings
from app.db.engine import database_config
from app.db.migrate import upgrade_async
from app.documents.pdf import InvoicePdfs
from app.domain.billing import Billing
from app.mcp.server import build_server, token_principal
from app.ratelimit import MailLimits
from workers.dispatch import background, route_outbox


async def serve_stdio(settings: Settings, token: str) -> None:
    await upgrade_async(settings)
    db = database_config(settings)
    pdfs = InvoicePdfs(settings.data_dir / "pdf-cache", settings.chromium_path)
    jobs = background(settings, db, pdfs)
    route_outbox(db, jobs, MailLimits(settings))
    try:
        async with db.get_session() as session:  # a clear error now rather than on every call
            await Billing(session).accounts.principal_for_token(token)
        server = build_server(settings, db.create_session_maker(), token_principal(token), pdfs)
        await jobs.start()
        try:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())
        finally:
            await jobs.stop()
            await pdfs.close()
    finally:
        await db.get_engine().dispose()


async def tool_catalogue(settings: Settings) -> list[dict[str, Any]]:
    """The tools as a client sees them, read from the live server through the SDK's client."""
    db = database_config(settings)
    server = build_server(settings, db.create_session_maker(), token_principal(""), InvoicePdfs(settings.data_dir))
    try:
        async with Client(server) as client:
            listed = await client.list_tools()
    finally:
        await db.get_engine().dispose()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]


def catalogue_json(tools: list[dict[str, Any]]) -> str:
    return json.dumps({"tools": tools}, indent=2, ensure_ascii=False) + "\n"
