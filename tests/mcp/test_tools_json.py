"""``mcp/tools.json`` is the catalogue as the live server lists it; regenerate it with
``billcraft mcp --print-tools > mcp/tools.json`` whenever a tool changes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app.config import Settings
from app.db.engine import database_config
from app.mcp.server import build_server, token_principal
from app.mcp.stdio import catalogue_json, tool_catalogue

TOOLS_JSON = Path(__file__).parents[2] / "mcp" / "tools.json"


async def test_committed_tools_json_matches_the_live_server(migrated: Settings) -> None:
    live = catalogue_json(await tool_catalogue(dataclasses.replace(migrated, mcp_tools="all")))
    committed = TOOLS_JSON.read_text()
    assert json.loads(committed) == json.loads(live), "run: billcraft mcp --print-tools > mcp/tools.json"
    assert committed == live


async def test_the_schema_a_call_is_checked_against_is_the_one_the_listing_shows(migrated: Settings) -> None:
    """The SDK checks a call's Mcp-Param-* headers against its tool's input schema, looked up
    by name instead of listing every tool on every call: the lookup answers what is listed,
    and nothing for a tool that is not there."""
    settings = dataclasses.replace(migrated, mcp_tools="all")
    db = database_config(settings)
    server = build_server(settings, db.create_session_maker(), token_principal(""), None)
    try:
        listed = await tool_catalogue(settings)
    finally:
        await db.get_engine().dispose()
    assert server.get_tool_input_schema is not None
    for tool in listed:
        assert server.get_tool_input_schema(tool["name"]) == tool["inputSchema"], tool["name"]
    assert server.get_tool_input_schema("no_such_tool") is None
