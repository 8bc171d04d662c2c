"""``mcp/tools.json`` is the catalogue as the live server lists it; regenerate it with
``billcraft mcp --print-tools > mcp/tools.json`` whenever a tool changes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app.config import Settings
from app.mcp.stdio import catalogue_json, tool_catalogue

TOOLS_JSON = Path(__file__).parents[2] / "mcp" / "tools.json"


async def test_committed_tools_json_matches_the_live_server(migrated: Settings) -> None:
    live = catalogue_json(await tool_catalogue(dataclasses.replace(migrated, mcp_tools="all")))
    committed = TOOLS_JSON.read_text()
    assert json.loads(committed) == json.loads(live), "run: billcraft mcp --print-tools > mcp/tools.json"
    assert committed == live
