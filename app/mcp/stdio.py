"""``billcraft mcp``: the same MCP server over stdio, acting for the owner of
``BILLCRAFT_TOKEN`` (checked through the same verifier as HTTP, on every call). Emails it
sends go to the arq queue, or in embedded mode are delivered by this process itself: the
runner, the database and the PDF printer are wired by ``app.cli``, not here."""

from __future__ import annotations

import json
from typing import Any, Protocol

from advanced_alchemy.config import SQLAlchemyAsyncConfig
from mcp import Client
from mcp.server.stdio import stdio_server

from app.config import Settings
from app.db.engine import database_config
from app.domain.billing import Billing
from app.domain.outputs import PdfMaker
from app.mcp.server import build_server, token_principal


class Jobs(Protocol):
    """The background runner the composition root hands over (``workers.dispatch``)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def serve_stdio(settings: Settings, token: str, db: SQLAlchemyAsyncConfig, pdfs: PdfMaker, jobs: Jobs) -> None:
    """Serve until the client closes stdin, with the database, printer and job runner that
    ``billcraft mcp`` (``app.cli``, the composition root) wired."""
    async with db.get_session() as session:  # a clear error now rather than on every call
        await Billing(session).accounts.principal_for_token(token)
    server = build_server(settings, db.create_session_maker(), token_principal(token), pdfs)
    await jobs.start()
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await jobs.stop()


async def tool_catalogue(settings: Settings) -> list[dict[str, Any]]:
    """The tools as a client sees them, read from the live server through the SDK's client."""
    db = database_config(settings)
    server = build_server(settings, db.create_session_maker(), token_principal(""), None)
    try:
        async with Client(server) as client:
            listed = await client.list_tools()
    finally:
        await db.get_engine().dispose()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]


def catalogue_json(tools: list[dict[str, Any]]) -> str:
    return json.dumps({"tools": tools}, indent=2, ensure_ascii=False) + "\n"
