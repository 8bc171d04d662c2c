"""What a tool is: ``ToolSpec`` (its arguments, annotations, the scope each action needs,
its input schema from ``app.mcp.arguments`` and its output schema from ``app.mcp.results``)
and how a call is dispatched to its operation, refusing unknown arguments and actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from app.domain.access import Scope
from app.mcp import card
from app.mcp.arguments import MUTATION, P, Schema
from app.mcp.calls import Call, ToolInputError
from app.mcp.icons import icons_for
from app.mcp.operations import Operation
from app.mcp.results import output_schema

# The OAuth scope each tool (and each action) needs, as the domain enforces it; listed to
# clients in each tool's _meta and description. A test checks each against the domain.
SCOPES_META = "billcraft/scopes"
_R, _W, _S, _P = (
    Scope.INVOICES_READ.value,
    Scope.INVOICES_WRITE.value,
    Scope.INVOICES_SEND.value,
    Scope.PAYMENTS_WRITE.value,
)
_CR, _CW, _ADMIN = Scope.CLIENTS_READ.value, Scope.CLIENTS_WRITE.value, Scope.WORKSPACE_ADMIN.value
SCOPES: dict[tuple[str, str | None], str | None] = {
    ("workspace", "list"): None,
    ("workspace", "get"): None,
    ("workspace", "stats"): _R,
    **{("workspace", a): _ADMIN for a in ("list_members", "add_member", "change_role", "remove_member")},
    ("client", "list"): _CR,
    ("client", "get"): _CR,
    ("client", "create"): _CW,
    ("client", "update"): _CW,
    **{("invoice", a): _R for a in ("list", "get", "stats")},
    **{("invoice", a): _W for a in ("create", "update", "cancel")},
    ("invoice", "send"): _S,
    ("invoice", "mark_paid"): _P,
    **{(t, None): _W for t in ("create_invoice", "update_invoice", "delete_invoice", "duplicate_invoice",
                               "create_invoice_from_previous", "finalize_invoice", "cancel_invoice")},
    **{(t, None): _R for t in ("get_invoice", "get_invoice_pdf", "list_invoices", "suggest_invoice_number",
                               "get_billing_analytics", "get_invoice_einvoice", "validate_invoice_einvoice")},
    **{("credit_note", a): _R for a in ("list", "get", "pdf", "einvoice")},
    ("credit_note", "create"): _W,
    ("received_invoice", "import"): _W,
    **{("received_invoice", a): _R for a in ("list", "get")},
    ("credit_note", "refund"): _P,
    ("credit_note", "send"): _S,
    ("send_invoice", None): _S,
    ("mark_invoice_paid", None): _P,
    ("list_clients", None): _CR,
    ("save_client", None): _CW,
    ("get_business_settings", None): None,
    ("update_business_settings", None): _ADMIN,
}  # fmt: skip


def closed(properties: dict[str, Schema], required: list[str]) -> Schema:
    """An object as OpenAI's strict mode wants it, which every other host loads too: closed
    (``additionalProperties: false``), every property listed in ``required``, and those a
    caller may leave out nullable, so "not given" is ``null`` (the server reads a null as
    absent). Objects inside arrays are closed the same way."""
    props: dict[str, Schema] = {}
    for name, schema in properties.items():
        items = schema.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            schema = {**schema, "items": closed(items["properties"], items.get("required", []))}
        props[name] = schema if name in required else nullable(schema)
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null: a type list for plain types; for an enum, ``anyOf`` the enum or
    null, so enum values stay strings (Gemini takes only string enums)."""
    if "enum" in schema:
        choice = {k: v for k, v in schema.items() if k != "description"}
        return {"anyOf": [choice, {"type": "null"}], "description": schema["description"]}
    return {**schema, "type": [schema["type"], "null"]}


def _scope_text(needs: dict[str, str | None] | list[str]) -> str:
    if isinstance(needs, dict):
        by_scope: dict[str, list[str]] = {}
        for action, scope in needs.items():
            if scope:
                by_scope.setdefault(scope, []).append(action)
        return "Scopes: " + "; ".join(f"{s} for {', '.join(a)}" for s, a in by_scope.items()) + "."
    return f"Needs the scope {needs[0]}." if needs else ""


def hints(
    title: str,
    *,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = False,
) -> types.ToolAnnotations:
    return types.ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


@dataclass(frozen=True)
class Action:
    operation: Operation
    required: tuple[str, ...] = ()
    takes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    properties: tuple[str, ...]
    required: tuple[str, ...]
    annotations: types.ToolAnnotations
    operation: Operation | None = None
    actions: Mapping[str, Action] = field(default_factory=dict)
    overrides: Mapping[str, Schema] = field(default_factory=dict)

    def input_schema(self) -> Schema:
        props: dict[str, Schema] = {}
        if self.actions:
            props["action"] = {
                "type": "string",
                "enum": list(self.actions),
                "description": "What to do: " + ", ".join(self.actions),
            }
        for name in self.properties:
            props[name] = self.overrides.get(name, P[name])
        return closed(props, (["action"] if self.actions else []) + list(self.required))

    def tool(self) -> types.Tool:
        needs: dict[str, str | None] | list[str]
        if self.actions:
            needs = {a: SCOPES[(self.name, a)] for a in self.actions}
        else:
            scope = SCOPES[(self.name, None)]
            needs = [scope] if scope else []
        operations = [a.operation for a in self.actions.values()] if self.actions else [self.operation]
        return types.Tool(
            name=self.name,
            title=self.title,
            description=f"{self.description} {_scope_text(needs)}".strip(),
            input_schema=self.input_schema(),
            output_schema=output_schema([o for o in operations if o is not None]),
            annotations=self.annotations,
            icons=icons_for(self.name),
            _meta={SCOPES_META: needs, **card.tool_meta(self.name)},
        )

    async def run(self, call: Call) -> Any:
        allowed = set(self.properties) | ({"action"} if self.actions else set())
        unknown = sorted(set(call.args) - allowed)
        if unknown:
            raise ToolInputError.field(
                unknown[0], f"unknown argument {unknown[0]!r}; {self.name} takes: {', '.join(sorted(allowed))}"
            )
        if not self.actions:
            assert self.operation is not None
            return await self.operation(call)
        name = call.args.get("action")
        if name is None:
            raise ToolInputError.field("action", f"action is required; valid actions: {', '.join(self.actions)}")
        action = self.actions.get(name) if isinstance(name, str) else None
        if action is None:
            raise ToolInputError.field(
                "action", f"unknown action {name!r} for {self.name}; valid actions: {', '.join(self.actions)}"
            )
        call.action = name
        extra = sorted(set(call.args) - {"action", *action.required, *action.takes, *self._always()})
        if extra:
            raise ToolInputError.field(
                extra[0],
                f"{', '.join(extra)} does not apply to action {name}; it takes: "
                + ", ".join(sorted({*action.required, *action.takes})),
            )
        for needed in action.required:
            call.require(needed)
        return await action.operation(call)

    def _always(self) -> set[str]:
        return {"company_slug"}


def granular_tool(
    name: str,
    title: str,
    description: str,
    operation: Operation,
    properties: tuple[str, ...],
    required: tuple[str, ...],
    **flags: bool,
) -> ToolSpec:
    """A tool of one operation; a mutating one takes ``idempotency_key`` and ``dry_run``."""
    mutating = not flags.get("read_only", False)
    props = (*properties, *MUTATION) if mutating else properties
    return ToolSpec(name, title, description, props, required, hints(title, **flags), operation)
