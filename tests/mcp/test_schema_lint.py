"""Every tool schema must load in every major MCP client (DESIGN section 4): these rules are
checked on the catalogue as the live server lists it, so a new tool cannot break them."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from app.config import Settings
from app.mcp.stdio import tool_catalogue
from tests.mcp.support import plain, truly_required

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
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


@pytest.fixture(scope="module")
async def tools(migrated: Settings) -> list[dict[str, Any]]:
    return await tool_catalogue(migrated)


def _walk(schema: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every sub-schema with the path that leads to it (``|n`` for the n-th of an anyOf)."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        found.append((path, schema))
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    found += _walk(sub, f"{path}.{name}")
            elif key == "items":
                found += _walk(value, f"{path}[]")
            elif key == "anyOf":
                for n, sub in enumerate(value):
                    found += _walk(sub, f"{path}|{n}")
    return found


JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}


def _types(sub: dict[str, Any]) -> list[str]:
    kind = sub.get("type")
    return kind if isinstance(kind, list) else [kind] if kind else []


# What each host refuses or mishandles, as one rule per check: (host, rule, check) where
# check(tool name, path, sub-schema, whole input schema) -> a problem or None. The catalogue
# is linted against all five, so a tool that one host would drop fails here first.
def _objects_closed(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    if "object" not in _types(sub):
        return None
    if sub.get("additionalProperties") is not False:
        return "an object without additionalProperties: false"
    if set(sub.get("required", [])) != set(sub.get("properties", {})):
        return "a property missing from required"
    return None


def _optional_is_nullable(_: str, path: str, sub: dict[str, Any], schema: Any) -> str | None:
    # Strict mode's "optional": listed as required, null allowed; a type list holds one other type.
    kinds = _types(sub)
    if len(kinds) > 2 or (len(kinds) == 2 and "null" not in kinds):
        return f"type {kinds}: one type, or one type and null"
    return None


def _strict_keywords(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    allowed = {"type", "description", "properties", "required", "additionalProperties", "items", "enum", "anyOf",
               "minimum", "maximum", "maxItems", "minItems", "pattern", "format"}  # fmt: skip
    extra = set(sub) - allowed
    return f"keywords strict mode does not take: {sorted(extra)}" if extra else None


def _root_object(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    if path:
        return None
    if sub.get("type") != "object" or not isinstance(sub.get("properties"), dict):
        return "the root must be type object with properties"
    if {"oneOf", "anyOf", "allOf", "not", "enum"} & sub.keys():
        return "no combinator or enum at the root"
    return None


def _no_references(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    found = {"$ref", "$defs", "definitions", "$schema"} & sub.keys()
    return f"{sorted(found)}" if found else None


def _arrays_have_items(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    if "array" in _types(sub) and not isinstance(sub.get("items"), dict):
        return "an array without items"
    return None


def _known_types(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    kinds = _types(sub)
    if not kinds and path and "anyOf" not in sub:
        return "no type"
    unknown = set(kinds) - JSON_TYPES
    return f"type {sorted(unknown)} is not a JSON Schema type" if unknown else None


def _string_enums(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    if "enum" in sub and not all(isinstance(v, str) for v in sub["enum"]):
        return "enum values must be strings"
    if "enum" in sub and path.split("|")[0].rsplit(".", 1)[-1] not in {"action", "status", "delivery_status"}:
        return "enums only for action and status (DESIGN section 4)"
    return None


def _described(_: str, path: str, sub: dict[str, Any], __: Any) -> str | None:
    # Hosts show these to the model: every argument says what it is.
    if path and "[]" not in path and "|" not in path and not sub.get("description"):
        return "an argument without a description"
    return None


def _name_rule(limit: int) -> Any:
    def check(name: str, path: str, _: dict[str, Any], __: Any) -> str | None:
        return None if path or re.match(rf"^[a-zA-Z0-9_-]{{1,{limit}}}$", name) else f"name over {limit} or odd"

    return check


HOSTS: dict[str, list[Any]] = {
    "OpenAI (strict mode)": [_root_object, _objects_closed, _optional_is_nullable, _strict_keywords, _no_references,
                             _arrays_have_items, _known_types, _name_rule(64)],
    "Claude": [_root_object, _no_references, _known_types, _name_rule(64), _described],
    # Cursor joins the server's name to the tool's ("billcraft_" + name) within 60 characters.
    "Cursor": [_root_object, _no_references, _arrays_have_items, _name_rule(60 - len("billcraft_"))],
    "VS Code Copilot": [_root_object, _arrays_have_items, _no_references, _known_types, _name_rule(64)],
    "Gemini": [_root_object, _no_references, _string_enums, _known_types, _arrays_have_items, _name_rule(64)],
}  # fmt: skip


@pytest.mark.parametrize("host", list(HOSTS))
def test_every_input_schema_keeps_to_each_hosts_rules(host: str, tools: list[dict[str, Any]]) -> None:
    problems = []
    for tool in tools:
        schema = tool["inputSchema"]
        for path, sub in _walk(schema):
            for rule in HOSTS[host]:
                problem = rule(tool["name"], path, sub, schema)
                if problem:
                    problems.append(f"{tool['name']}{path}: {problem} ({rule.__name__})")
    assert problems == [], f"{host} would refuse or misread:\n" + "\n".join(problems)


def test_a_nullable_argument_is_one_the_tools_take_without_it(tools: list[dict[str, Any]]) -> None:
    """Strict mode marks "optional" by null: the arguments that are not nullable are exactly
    those a call must give (the action, the workspace where the tool needs one, the target)."""
    by_name = {t["name"]: t["inputSchema"] for t in tools}
    assert truly_required(by_name["send_invoice"]) == ["company_slug", "uuid"]
    assert set(truly_required(by_name["invoice"])) == {"action", "company_slug"}
    assert truly_required(by_name["create_invoice"]) == ["company_slug", "title"]
    items = by_name["create_invoice"]["properties"]["items"]
    assert items["type"] == ["array", "null"]
    assert truly_required(items["items"]) == ["description", "quantity", "unit_price"]


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
    status = plain(by_name["invoice"]["properties"]["status"])
    assert status["enum"] == ["draft", "sent", "paid", "overdue", "cancelled"]


def test_every_mutating_tool_takes_idempotency_key_and_dry_run(tools: list[dict[str, Any]]) -> None:
    for tool in tools:
        if tool["annotations"]["readOnlyHint"]:
            continue
        properties = tool["inputSchema"]["properties"]
        assert plain(properties["idempotency_key"])["type"] == "string", tool["name"]
        assert plain(properties["dry_run"])["type"] == "boolean", tool["name"]


def test_every_tool_carries_an_inline_icon_that_fetches_nothing(tools: list[dict[str, Any]]) -> None:
    """Hosts show the icons; each is an SVG inside the listing (a data: URI), with no script
    and no address to fetch, so showing it reaches no one."""
    for tool in tools:
        (icon,) = tool["icons"]
        assert icon["mimeType"] == "image/svg+xml", tool["name"]
        head, _, data = icon["src"].partition(",")
        assert head == "data:image/svg+xml;base64", tool["name"]
        svg = base64.b64decode(data).decode()
        assert (svg[:4], svg[-6:]) == ("<svg", "</svg>"), tool["name"]
        assert ("script" in svg.lower(), "href" in svg.lower()) == (False, False), tool["name"]
        assert re.findall(r"https?://[^\"']+", svg) == ["http://www.w3.org/2000/svg"], tool["name"]
