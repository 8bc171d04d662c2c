"""The tool catalogue: the action-style ``workspace``, ``client`` and ``invoice`` tools and
the 18 granular tools, with schemas written to load in every major MCP client (an object
at the top with ``properties``, no ``$ref``, no top-level combinators, ``items`` on every
array, enums only for ``action`` and ``status``) and honest annotations. Each tool's
``outputSchema`` comes from ``app.mcp.results`` (there, shared shapes sit under ``$defs``).

Longer than the house's ~400 lines on purpose: it is a declaration, one entry per tool and
per argument, read from top to bottom; split, what an assistant is shown would stand in
several places, and the logic is elsewhere (``operations``, ``calls``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from app.domain.access import Scope
from app.domain.deliveries import DeliveryStatus
from app.domain.lifecycle import Status
from app.mcp import operations as op
from app.mcp.calls import Call, ToolInputError
from app.mcp.operations import Operation
from app.mcp.results import output_schema

Schema = dict[str, Any]


def _s(description: str) -> Schema:
    return {"type": "string", "description": description}


def _n(description: str) -> Schema:
    return {"type": "number", "description": description}


def _i(description: str, minimum: int, maximum: int) -> Schema:
    return {"type": "integer", "description": description, "minimum": minimum, "maximum": maximum}


STATUSES = [s.value for s in Status]
DELIVERY_STATUSES = [s.value for s in DeliveryStatus]
P: dict[str, Schema] = {
    "company_slug": _s("Workspace identifier (company_slug, from the workspace tool)"),
    "uuid": _s("Invoice UUID (from a list result)"),
    "client_uuid": _s("Client UUID (from the client tool or list_clients)"),
    "title": _s("Invoice title or reference name, e.g. 'Website redesign'"),
    "currency": _s("ISO 4217 code such as USD, EUR, BRL, JPY (default: the workspace currency)"),
    "number": _s("Explicit invoice number; unique in the workspace (default: assigned at finalize)"),
    "issue_date": _s("Issue date, YYYY-MM-DD (default: today in the workspace's time zone)"),
    "due_date": _s("Payment deadline, YYYY-MM-DD (default: issue date + the workspace's payment terms)"),
    "notes": _s("Notes or payment instructions shown on the invoice"),
    "tax_rate": _n("Tax percentage applied to each line, e.g. 10 for 10%"),
    "items": {
        "type": "array",
        "description": "Line items; on update the list replaces all items. Totals are computed by the server.",
        "maxItems": 200,
        "items": {
            "type": "object",
            "properties": {
                "description": _s("What was delivered, e.g. 'Frontend Development - Phase 1'"),
                "quantity": _n("Quantity or hours, e.g. 40"),
                "unit_price": _n("Price per unit in the invoice currency, e.g. 150.00"),
                "tax_rate": _n("Tax percentage for this line only, overriding the invoice's"),
            },
            "required": ["description", "quantity", "unit_price"],
        },
    },
    "status": {"type": "string", "enum": STATUSES, "description": "Filter by status"},
    "delivery_status": {
        "type": "string",
        "enum": DELIVERY_STATUSES,
        "description": "Only invoices with an email in this state, e.g. bounced",
    },
    "date_from": _s("Issued on or after, YYYY-MM-DD"),
    "date_to": _s("Issued on or before, YYYY-MM-DD"),
    "search": _s("Text to look for in titles and numbers (clients: names and emails)"),
    "page": _i("Page number, from 1", 1, 100_000),
    "per_page": _i("Results per page", 1, 100),
    "to": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Recipient emails (default: the client's email)",
    },
    "message": _s("A personal message for the email"),
    "notify": {
        "type": "boolean",
        "description": "false: record it as sent without emailing anyone (it went out another way); default true",
    },
    "amount": _n("Amount received (default: the whole balance due); partial payments are allowed"),
    "payment_date": _s("Date the payment was received, YYYY-MM-DD (default: today)"),
    "payment_method": _s("How it was paid, e.g. 'Bank transfer', 'Credit card', 'Wire transfer'"),
    "reason": _s("Why it is cancelled; kept in the invoice history"),
    "idempotency_key": _s(
        "Any unique string for this request: a retry with the same key returns the first result instead of acting twice"
    ),
    "dry_run": {"type": "boolean", "description": "true: return what would happen, change nothing"},
    "embed": {"type": "boolean", "description": "true: also return the file itself, base64 (large); default a link"},
    # clients
    "name": _s("Client name"),
    "email": _s("Billing email address"),
    "phone": _s("Phone number"),
    "address_line1": _s("Street address"),
    "address_line2": _s("Address, second line"),
    "city": _s("City"),
    "postal_code": _s("Postal code"),
    "region": _s("State or region"),
    "country": _s("ISO 3166 two-letter country code, e.g. US"),
    "tax_number": _s("VAT or tax number"),
    "website": _s("Website"),
    # business settings
    "default_currency": _s("Default ISO 4217 currency for new invoices"),
    "timezone": _s("IANA time zone used for 'today', e.g. Europe/Paris"),
    "locale": _s("Locale for formatting, e.g. en_US"),
    "legal_name": _s("Legal business name shown on invoices"),
    "address": _s("Business address shown on invoices"),
    "tax_id": _s("Your tax id shown on invoices"),
    "payment_instructions": _s("Payment instructions printed on every invoice"),
    "number_pattern": _s("Invoice number pattern, e.g. INV-{YYYY}-{SEQ:4}"),
    "payment_terms_days": _i("Default days between issue and due date", 0, 365),
    # members
    "role": _s("Role in the workspace: owner, admin, member (default) or viewer; you can grant up to your own role"),
    "user_uuid": _s("The member's user_uuid (from list_members); your own to leave the workspace"),
}
CLIENT_PROPS = [*op.CLIENT_FIELDS]
SETTINGS_PROPS = [f for f in op.SETTINGS_FIELDS if f != "name"]
MUTATION = ["idempotency_key", "dry_run"]


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
                               "get_billing_analytics")},
    ("send_invoice", None): _S,
    ("mark_invoice_paid", None): _P,
    ("list_clients", None): _CR,
    ("save_client", None): _CW,
    ("get_business_settings", None): None,
    ("update_business_settings", None): _ADMIN,
}  # fmt: skip


def _scope_text(needs: dict[str, str | None] | list[str]) -> str:
    if isinstance(needs, dict):
        by_scope: dict[str, list[str]] = {}
        for action, scope in needs.items():
            if scope:
                by_scope.setdefault(scope, []).append(action)
        return "Scopes: " + "; ".join(f"{s} for {', '.join(a)}" for s, a in by_scope.items()) + "."
    return f"Needs the scope {needs[0]}." if needs else ""


def _ann(
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
        schema: Schema = {"type": "object", "properties": props}
        required = (["action"] if self.actions else []) + list(self.required)
        if required:
            schema["required"] = required
        return schema

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
            _meta={SCOPES_META: needs},
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


def _action_tools() -> list[ToolSpec]:
    invoice_props = ("company_slug", "uuid", *op.INVOICE_FIELDS)
    return [
        ToolSpec(
            name="workspace",
            title="Workspaces",
            description=(
                "Your workspaces (companies) and their members. list: every workspace you belong to, with its "
                "company_slug; get: one workspace with its business settings; stats: billing totals per currency "
                "across all your workspaces (or one, with company_slug). list_members: who is in the workspace, "
                "with their user_uuid and role; add_member: someone who has an account, by email, with a role; "
                "change_role (user_uuid, role); remove_member (user_uuid; your own to leave). Managing members "
                "needs the admin or owner role (anyone may leave); only an owner grants, changes or removes an "
                "owner, and the last owner stays. Member changes take idempotency_key and dry_run."
            ),
            properties=("company_slug", "email", "role", "user_uuid", *MUTATION),
            required=(),
            annotations=_ann("Workspaces", destructive=True, idempotent=True),
            overrides={"email": _s("Email of the person to add; they must already have a Billcraft account")},
            actions={
                "list": Action(op.workspace_list),
                "get": Action(op.workspace_get, required=("company_slug",)),
                "stats": Action(op.stats),
                "list_members": Action(op.member_list, required=("company_slug",)),
                "add_member": Action(op.member_add, required=("company_slug", "email"), takes=("role", *MUTATION)),
                "change_role": Action(
                    op.member_change_role, required=("company_slug", "user_uuid", "role"), takes=tuple(MUTATION)
                ),
                "remove_member": Action(
                    op.member_remove, required=("company_slug", "user_uuid"), takes=tuple(MUTATION)
                ),
            },
        ),
        ToolSpec(
            name="client",
            title="Clients",
            description=(
                "Clients of a workspace. list (search, page), get (uuid), create (name, email, address...), "
                "update (uuid and the fields to change)."
            ),
            properties=("company_slug", "uuid", "search", "page", "per_page", *CLIENT_PROPS, *MUTATION),
            required=("company_slug",),
            annotations=_ann("Clients"),
            overrides={"uuid": _s("Client UUID (from list)")},
            actions={
                "list": Action(op.client_list, takes=("search", "page", "per_page")),
                "get": Action(op.client_get, required=("uuid",)),
                "create": Action(op.client_create, required=("name",), takes=(*CLIENT_PROPS, *MUTATION)),
                "update": Action(op.client_update, required=("uuid",), takes=(*CLIENT_PROPS, *MUTATION)),
            },
        ),
        ToolSpec(
            name="invoice",
            title="Invoices",
            description=(
                "Invoices through their whole lifecycle (draft -> sent -> paid, overdue automatically past the "
                "due date, cancelled). list (status, client_uuid, delivery_status, date_from, date_to, page); "
                "get (uuid); "
                "create a draft (title, client_uuid, currency, due_date, items, notes, tax_rate); update a "
                "draft; send (finalizes a draft, emails the client; again on a sent or overdue invoice: a "
                "reminder); mark_paid (amount, payment_date, payment_method); cancel (reason); stats. "
                "Mutations take idempotency_key and dry_run and return the whole invoice."
            ),
            properties=(
                *invoice_props,
                "status",
                "delivery_status",
                "date_from",
                "date_to",
                "search",
                "page",
                "per_page",
                *op.SEND_FIELDS,
                *op.PAYMENT_FIELDS,
                "reason",
                *MUTATION,
            ),
            required=("company_slug",),
            annotations=_ann("Invoices", destructive=True, open_world=True),
            actions={
                "list": Action(op.invoice_list, takes=op.LIST_FIELDS),
                "get": Action(op.invoice_get, required=("uuid",)),
                "create": Action(op.invoice_create, required=("title",), takes=(*op.INVOICE_FIELDS, *MUTATION)),
                "update": Action(op.invoice_update, required=("uuid",), takes=(*op.INVOICE_FIELDS, *MUTATION)),
                "send": Action(op.invoice_send, required=("uuid",), takes=(*op.SEND_FIELDS, *MUTATION)),
                "mark_paid": Action(op.invoice_mark_paid, required=("uuid",), takes=(*op.PAYMENT_FIELDS, *MUTATION)),
                "cancel": Action(op.invoice_cancel, required=("uuid",), takes=("reason", *MUTATION)),
                "stats": Action(op.stats),
            },
        ),
    ]


def _granular_tools() -> list[ToolSpec]:
    slug = ("company_slug",)
    target = ("company_slug", "uuid")

    def tool(
        name: str,
        title: str,
        description: str,
        operation: Operation,
        properties: tuple[str, ...],
        required: tuple[str, ...],
        **hints: bool,
    ) -> ToolSpec:
        mutating = not hints.get("read_only", False)
        props = (*properties, *MUTATION) if mutating else properties
        return ToolSpec(name, title, description, props, required, _ann(title, **hints), operation)

    return [
        tool(
            "create_invoice",
            "Create invoice",
            "Create a new draft invoice with line items, tax rates and "
            "currency. Drafts are free and carry a DRAFT watermark; totals are computed by the server.",
            op.invoice_create,
            (*slug, *op.INVOICE_FIELDS),
            (*slug, "title"),
        ),
        tool(
            "update_invoice",
            "Update invoice",
            "Update any field of a draft invoice that is not finalized; items, when given, replace all items.",
            op.invoice_update,
            (*target, *op.INVOICE_FIELDS),
            target,
            idempotent=True,
        ),
        tool(
            "delete_invoice",
            "Delete draft invoice",
            "Permanently delete a draft that was never finalized (finalized invoices are cancelled instead).",
            op.invoice_delete,
            target,
            target,
            destructive=True,
            idempotent=True,
        ),
        tool(
            "duplicate_invoice",
            "Duplicate invoice",
            "Copy an invoice into a new draft with new dates and no number (it gets one when finalized).",
            op.invoice_duplicate,
            (*target, *op.COPY_FIELDS, "title"),
            target,
        ),
        tool(
            "create_invoice_from_previous",
            "Create invoice from previous",
            "Create a new draft pre-filled from the client's latest invoice, with new dates.",
            op.invoice_from_previous,
            (*slug, "client_uuid", *op.COPY_FIELDS),
            (*slug, "client_uuid"),
        ),
        tool(
            "get_invoice",
            "Get invoice",
            "Full details of one invoice: items, amounts, tax, dates, status, payments and history.",
            op.invoice_get,
            target,
            target,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "get_invoice_pdf",
            "Get invoice PDF",
            "The invoice as a PDF (drafts carry a DRAFT watermark): a download link that works for 10 minutes "
            "without a token, with the file's name and size; embed true adds the file itself (base64).",
            op.invoice_pdf,
            (*target, "embed"),
            target,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "list_invoices",
            "List invoices",
            "List invoices with optional filters for status, client, email delivery state and issue date range, "
            "page by page.",
            op.invoice_list,
            (*slug, *op.LIST_FIELDS),
            slug,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "suggest_invoice_number",
            "Suggest invoice number",
            "The next invoice number, from the workspace's pattern or continuing the numbers it already uses.",
            op.invoice_suggest_number,
            slug,
            slug,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "finalize_invoice",
            "Finalize invoice",
            "Lock a draft's content and assign its number; the "
            "DRAFT watermark goes away. Counts as one billable finalization.",
            op.invoice_finalize,
            target,
            target,
            idempotent=True,
        ),
        tool(
            "send_invoice",
            "Send invoice",
            "Send an invoice by email (a draft is finalized first); on a sent or overdue invoice, a reminder.",
            op.invoice_send,
            (*target, *op.SEND_FIELDS),
            target,
            open_world=True,
        ),
        tool(
            "mark_invoice_paid",
            "Record payment",
            "Record a payment on a sent or overdue invoice; it becomes paid when the balance reaches zero.",
            op.invoice_mark_paid,
            (*target, *op.PAYMENT_FIELDS),
            target,
        ),
        tool(
            "cancel_invoice",
            "Cancel invoice",
            "Cancel a draft, sent or overdue invoice, with an optional reason kept in its history.",
            op.invoice_cancel,
            (*target, "reason"),
            target,
            destructive=True,
            idempotent=True,
        ),
        tool(
            "get_billing_analytics",
            "Billing analytics",
            "Invoiced, paid, outstanding and overdue totals "
            "per currency, counts by status, average days to payment and 12 months of history; for one "
            "workspace, or all of yours without company_slug.",
            op.stats,
            slug,
            (),
            read_only=True,
            idempotent=True,
        ),
        tool(
            "list_clients",
            "List clients",
            "Clients of a workspace, optionally searching names and emails.",
            op.client_list,
            (*slug, "search", "page", "per_page"),
            slug,
            read_only=True,
            idempotent=True,
        ),
        ToolSpec(
            "save_client",
            "Save client",
            "Create a client, or update one when uuid is given (only the fields given change).",
            (*slug, "uuid", *CLIENT_PROPS, *MUTATION),
            slug,
            _ann("Save client"),
            op.client_save,
            overrides={"uuid": _s("Client UUID to update (omit to create)")},
        ),
        tool(
            "get_business_settings",
            "Get business settings",
            "The workspace's business details, default currency, time zone, number pattern and payment terms.",
            op.workspace_get,
            slug,
            slug,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "update_business_settings",
            "Update business settings",
            "Change the workspace's business details, default currency, time zone, number pattern or payment terms.",
            op.settings_update,
            (*slug, *SETTINGS_PROPS),
            slug,
            idempotent=True,
        ),
    ]


ACTION_TOOLS = {spec.name: spec for spec in _action_tools()}
GRANULAR_TOOLS = {spec.name: spec for spec in _granular_tools()}


def tools_for(mode: str) -> dict[str, ToolSpec]:
    """The tools exposed for ``BILLCRAFT_MCP_TOOLS``: ``actions``, ``granular`` or ``all``."""
    if mode == "actions":
        return dict(ACTION_TOOLS)
    if mode == "granular":
        return dict(GRANULAR_TOOLS)
    return {**ACTION_TOOLS, **GRANULAR_TOOLS}
