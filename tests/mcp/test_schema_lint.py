"""Every tool schema must load in every major MCP client (DESIGN section 4): these rules are
checked on the catalogue as the live server lists it, so a new tool cannot break them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.config import Settings
from app.mcp.stdio import tool_catalogue

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
GRANULAR = {
    "create_invoice", "update_invoice", "delete_invoice", "duplicate_invoice", "create_invoice_from_previous",
    "get_invoice", "get_invoice_pdf", "list_invoices", "suggest_invoice_number", "finalize_invoice",
    "send_invoice", "mark_invoice_paid", "cancel_invoice", "get_billing_analytics", "list_clients",
    "save_client", "get_business_settings", "update_business_settings",
}  # fmt: skip
ACTIONS = {
    "workspace": ["list", "get", "stats", "list_members", "add_member", "change_role", "remove_member"],
    "client": ["list", "get", "create", "update"],
    "invoice": ["list", "get", "create", "update", "send", "mark_paid", "cancel", "stats"],
}
COMBINATORS = {"oneOf", "anyOf", "allOf", "not", "enum"}
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


@pytest.fixture(scope="module")
async def tools(migrated: Settings) -> list[dict[str, Any]]:
    return await tool_catalogue(migrated)


def _walk(schema: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every sub-schema with the path that leads to it."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        found.append((path, schema))
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    found += _walk(sub, f"{path}.{name}")
            elif key == "items":
                found += _walk(value, f"{path}[]")
    return found


def test_the_server_lists_the_three_action_tools_and_the_eighteen_granular_ones(tools: list[dict[str, Any]]) -> None:
    names = [t["name"] for t in tools]
    assert len(names) == len(set(names)) == 21
    assert set(names) == set(ACTIONS) | GRANULAR


def test_every_schema_keeps_to_the_rules_every_client_loads(tools: list[dict[str, Any]]) -> None:
    for tool in tools:
        name, schema = tool["name"], tool["inputSchema"]
        assert NAME.match(name), name
        assert schema.get("type") == "object", name
        assert isinstance(schema.get("properties"), dict), f"{name}: properties must be present"
        assert not COMBINATORS & schema.keys(), f"{name}: top-level {COMBINATORS & schema.keys()}"
        assert set(schema.get("required", [])) <= schema["properties"].keys(), name
        for path, sub in _walk(schema):
            assert "$ref" not in sub, f"{name}{path}: $ref"
            assert "$defs" not in sub, f"{name}{path}: $defs"
            assert "definitions" not in sub, f"{name}{path}: definitions"
            if sub.get("type") == "array":
                assert isinstance(sub.get("items"), dict), f"{name}{path}: array without items"
            if "enum" in sub:
                allowed = {"action", "status", "delivery_status"}
                assert path.rsplit(".", 1)[-1] in allowed, f"{name}{path}: enum outside {sorted(allowed)}"
            if path:
                assert sub.get("type") in {"string", "number", "integer", "boolean", "array", "object"}, path
                assert isinstance(sub.get("type"), str), f"{name}{path}: one type, not a list"
            if path and "[]" not in path:
                assert sub.get("description"), f"{name}{path}: no description"


def test_every_tool_has_a_title_a_description_and_all_four_hints(tools: list[dict[str, Any]]) -> None:
    for tool in tools:
        assert tool.get("title"), tool["name"]
        assert len(tool.get("description", "")) > 20, tool["name"]
        annotations = tool.get("annotations", {})
        for hint in HINTS:
            assert isinstance(annotations.get(hint), bool), f"{tool['name']}: {hint}"


def test_annotations_say_honestly_what_each_tool_does(tools: list[dict[str, Any]]) -> None:
    hints = {t["name"]: t["annotations"] for t in tools}
    for name in ("get_invoice", "get_invoice_pdf", "list_invoices", "suggest_invoice_number", "list_clients",
                 "get_billing_analytics", "get_business_settings"):  # fmt: skip
        assert hints[name]["readOnlyHint"] is True, name
        assert hints[name]["destructiveHint"] is False, name
    # workspace: remove_member takes someone out of a workspace.
    for name in ("cancel_invoice", "delete_invoice", "invoice", "workspace"):
        assert hints[name]["destructiveHint"] is True, name
    for name in ("send_invoice", "invoice"):
        assert hints[name]["openWorldHint"] is True, name
    mutating = {"create_invoice", "update_invoice", "send_invoice", "mark_invoice_paid", "save_client", "client",
                "workspace"}  # fmt: skip
    for name in mutating:
        assert hints[name]["readOnlyHint"] is False, name
    assert hints["create_invoice"]["idempotentHint"] is False
    assert hints["mark_invoice_paid"]["idempotentHint"] is False


def test_action_tools_enumerate_their_actions_and_take_company_slug(tools: list[dict[str, Any]]) -> None:
    by_name = {t["name"]: t["inputSchema"] for t in tools}
    for name, actions in ACTIONS.items():
        schema = by_name[name]
        assert schema["properties"]["action"]["enum"] == actions
        assert "action" in schema["required"]
        assert "company_slug" in schema["properties"]
    assert by_name["invoice"]["properties"]["status"]["enum"] == ["draft", "sent", "paid", "overdue", "cancelled"]


def test_every_mutating_tool_takes_idempotency_key_and_dry_run(tools: list[dict[str, Any]]) -> None:
    for tool in tools:
        if tool["annotations"]["readOnlyHint"]:
            continue
        properties = tool["inputSchema"]["properties"]
        assert properties["idempotency_key"]["type"] == "string", tool["name"]
        assert properties["dry_run"]["type"] == "boolean", tool["name"]
