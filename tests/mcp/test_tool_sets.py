"""BILLCRAFT_MCP_TOOLS picks the tools exposed: ``actions`` (workspace, client, invoice, credit_note,
received_invoice), ``granular`` (the 18 Billstride-style tools and the two e-invoice ones) or
``all`` (25, the default), over both the
served HTTP endpoint and stdio; a tool outside the set is refused as unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mcp.conftest import Account, http_client, stdio_mcp
from tests.mcp.support import ACTION_TOOLS, ALL_TOOLS, GRANULAR_TOOLS, call, refused_as_unknown_tool
from tests.processes import ProcessEnv, serve


async def test_default_tool_set_is_all_25_tools_each_with_a_title_and_annotations(served: str, owner: Account) -> None:
    """Without BILLCRAFT_MCP_TOOLS the served process lists all 25 tools, each with a title
    and annotations; the action tools' enums list their actions."""
    async with http_client(served, owner.token) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == ALL_TOOLS
    assert len(tools) == 25
    for tool in tools.values():
        assert tool.title, tool.name
        assert tool.annotations is not None, tool.name
    actions = {name: tools[name].input_schema["properties"]["action"]["enum"] for name in ACTION_TOOLS}
    assert actions == {
        "workspace": ["list", "get", "stats", "list_members", "add_member", "change_role", "remove_member"],
        "client": ["list", "get", "create", "update"],
        "invoice": ["list", "get", "create", "update", "send", "mark_paid", "cancel", "stats"],
        "credit_note": ["list", "get", "create", "pdf", "einvoice", "send", "refund"],
        "received_invoice": ["import", "list", "get"],
    }
    hints = {name: tool.annotations for name, tool in tools.items() if tool.annotations is not None}
    assert hints["get_invoice"].read_only_hint is True
    assert hints["delete_invoice"].destructive_hint is True
    assert hints["send_invoice"].open_world_hint is True


async def test_actions_tool_set_over_http_lists_only_the_action_tools(
    process_env: ProcessEnv, owner: Account, tmp_path: Path
) -> None:
    """A served process with BILLCRAFT_MCP_TOOLS=actions lists the five action tools; they
    work, and a granular tool is refused as unknown."""
    with serve(process_env, tmp_path / "serve-actions.log", mcp_tools="actions") as base:
        async with http_client(base, owner.token) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == ACTION_TOOLS
            made = await call(client, "invoice", action="create", company_slug=owner.slug, title="Actions only")
            assert made["status"] == "draft"
            await refused_as_unknown_tool(client, "get_invoice", {"company_slug": owner.slug, "uuid": made["uuid"]})


@pytest.mark.parametrize(("mode", "expected"), [("granular", GRANULAR_TOOLS), ("actions", ACTION_TOOLS)])
async def test_tool_set_over_stdio(
    process_env: ProcessEnv, owner: Account, tmp_path: Path, mode: str, expected: set[str]
) -> None:
    """``billcraft mcp`` with BILLCRAFT_MCP_TOOLS=granular lists the 20 granular tools, with
    =actions the 5 action tools; a tool of the other set is refused as unknown."""
    async with stdio_mcp(process_env, owner.token, tmp_path / "stdio.log", mcp_tools=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == expected
        assert len(names) == {"granular": 20, "actions": 5}[mode]
        hidden = "invoice" if mode == "granular" else "list_invoices"
        text = await refused_as_unknown_tool(client, hidden, {"company_slug": owner.slug})
        assert all(name in text for name in expected)
        settings = "get_business_settings" if mode == "granular" else "workspace"
        extra = {} if mode == "granular" else {"action": "get"}
        got = await call(client, settings, company_slug=owner.slug, **extra)
        assert got["company_slug"] == owner.slug
