"""The client kit in ``mcp/``: configurations a user can paste as they are, pointing at the
server's exact MCP route, and no Python package there to shadow the SDK."""

from __future__ import annotations

import json
from pathlib import Path

from app.mcp.http import MCP_PATH

KIT = Path(__file__).parents[2] / "mcp"


def _load(relative: str) -> dict:
    return json.loads((KIT / relative).read_text())


def test_http_configurations_point_at_the_exact_mcp_route_with_a_bearer_header() -> None:
    cursor = _load("cursor/mcp.json")["mcpServers"]["billcraft"]
    windsurf = _load("windsurf/mcp_config.json")["mcpServers"]["billcraft"]
    vscode = _load(".vscode/mcp.json")["servers"]["billcraft"]
    for url in (cursor["url"], windsurf["serverUrl"], vscode["url"]):
        assert url.endswith(MCP_PATH), url
    for server in (cursor, windsurf, vscode):
        assert server["headers"]["Authorization"].startswith("Bearer ${")
    assert vscode["type"] == "http"
    prompt = _load(".vscode/mcp.json")["inputs"][0]
    assert prompt["password"] is True
    assert vscode["headers"]["Authorization"] == "Bearer ${input:" + prompt["id"] + "}"


def test_claude_desktop_runs_billcraft_mcp_over_stdio_with_a_token() -> None:
    server = _load("claude-desktop/claude_desktop_config.json")["mcpServers"]["billcraft"]
    assert server["args"][-2:] == ["billcraft", "mcp"]
    assert "BILLCRAFT_TOKEN" in server["env"]


def test_the_kit_is_not_a_python_package() -> None:
    assert not (KIT / "__init__.py").exists()
    assert not list(KIT.rglob("*.py"))
