"""The three faces offer the same capabilities: REST (``/api/v1``), the web app and the MCP
tools. Built from live data — the app's route table (REST and web routes alike), the web's
own list of invoice actions, the OpenAPI document, the web's templates, and the tool list as
the MCP server gives it — and a readable table that says what each route, tool and action
does, as a capability name such as ``invoice.send`` or ``workspace.members.add``.

When this test fails:

- "teach this test what it does": a route, tool or action is new. Add it to REST_ROUTES,
  WEB_ROUTES, MCP_TOOLS (or NOT_CAPABILITIES, for what the faces stand on rather than what
  a person does) with the capabilities it offers.
- "is on ... but not on ...": a capability is on one face and not the others. Build it on
  the others, or add it to INTENTIONAL with the faces it is on and why.
- "no longer exists": a mapped route or tool is gone; take it out of the table.
- PENDING_WEB: capabilities the web engineer is building now. When a page lands, this test
  fails until its entry is removed (so the list cannot outlive the work).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import ASGIRoute, HTTPRoute

import app.web
from app.config import Settings
from app.mcp.stdio import tool_catalogue
from app.server import create_app
from app.web import invoice_actions as web_invoices

WS = "/api/v1/workspaces/{company_slug}"
W = "/w/{company_slug}"

# --- what each route, tool and action does ----------------------------------------------------

REST_ROUTES: dict[str, tuple[str, ...]] = {
    "GET /api/v1/workspaces": ("workspace.list",),
    "POST /api/v1/workspaces": ("workspace.create",),
    f"GET {WS}": ("workspace.get",),
    f"PATCH {WS}": ("workspace.settings.update",),
    f"GET {WS}/members": ("workspace.members.list",),
    # Adds someone, or changes the role of someone already in (by email).
    f"POST {WS}/members": ("workspace.members.add", "workspace.members.change_role"),
    f"DELETE {WS}/members/{{user_uuid}}": ("workspace.members.remove",),
    f"GET {WS}/stats": ("stats.workspace",),
    "GET /api/v1/stats": ("stats.all_workspaces",),
    f"GET {WS}/clients": ("client.list",),
    f"POST {WS}/clients": ("client.create",),
    f"GET {WS}/clients/{{client_uuid}}": ("client.get",),
    f"PATCH {WS}/clients/{{client_uuid}}": ("client.update",),
    f"DELETE {WS}/clients/{{client_uuid}}": ("client.delete",),
    f"GET {WS}/invoices": ("invoice.list",),
    f"POST {WS}/invoices": ("invoice.create",),
    f"POST {WS}/invoices/from-previous": ("invoice.from_previous",),
    f"GET {WS}/invoices/next-number": ("invoice.next_number",),
    f"GET {WS}/invoices/{{invoice_uuid}}": ("invoice.get",),
    f"PATCH {WS}/invoices/{{invoice_uuid}}": ("invoice.update",),
    f"DELETE {WS}/invoices/{{invoice_uuid}}": ("invoice.delete",),
    f"POST {WS}/invoices/{{invoice_uuid}}/finalize": ("invoice.finalize",),
    f"POST {WS}/invoices/{{invoice_uuid}}/send": ("invoice.send",),
    f"POST {WS}/invoices/{{invoice_uuid}}/payments": ("invoice.mark_paid",),
    f"POST {WS}/invoices/{{invoice_uuid}}/cancel": ("invoice.cancel",),
    f"POST {WS}/invoices/{{invoice_uuid}}/duplicate": ("invoice.duplicate",),
    f"GET {WS}/invoices/{{invoice_uuid}}/pdf": ("invoice.pdf",),
    f"POST {WS}/invoices/{{invoice_uuid}}/credit-notes": ("credit_note.create",),
    f"POST {WS}/invoices/{{invoice_uuid}}/refunds": ("invoice.refund",),
    f"GET {WS}/credit-notes": ("credit_note.list",),
    f"GET {WS}/credit-notes/{{note_uuid}}": ("credit_note.get",),
    f"GET {WS}/credit-notes/{{note_uuid}}/pdf": ("credit_note.pdf",),
    f"POST {WS}/credit-notes/{{note_uuid}}/send": ("credit_note.send",),
    f"GET {WS}/invoices/{{invoice_uuid}}/einvoice": ("invoice.einvoice",),
    f"POST {WS}/invoices/{{invoice_uuid}}/validate": ("invoice.einvoice_check",),
    f"GET {WS}/credit-notes/{{note_uuid}}/einvoice": ("credit_note.einvoice",),
    f"POST {WS}/received-invoices": ("received.import",),
    f"GET {WS}/received-invoices": ("received.list",),
    f"GET {WS}/received-invoices/{{received_uuid}}": ("received.get",),
    f"GET {WS}/received-invoices/{{received_uuid}}/file": ("received.file",),
    # Where get_invoice_pdf's signed links lead: the PDF without a token while the link lives.
    "GET /api/v1/downloads/{token}": ("invoice.pdf",),
    "GET /api/v1/oauth/apps": ("oauth_apps.list",),
    "DELETE /api/v1/oauth/apps/{client_id}": ("oauth_apps.revoke",),
}

WEB_ROUTES: dict[str, tuple[str, ...]] = {
    # To the workspace used last; the switcher on every page lists them all.
    "GET /": ("workspace.list",),
    "GET /workspaces/new": ("workspace.create",),
    "POST /workspaces/new": ("workspace.create",),
    f"GET {W}": ("stats.workspace",),  # the dashboard
    # The overview across all of the person's workspaces, with each one's share.
    "GET /account/workspaces": ("stats.all_workspaces",),
    f"GET {W}/settings": ("workspace.get",),
    f"POST {W}/settings": ("workspace.settings.update",),
    f"POST {W}/settings/confirmations": ("workspace.confirmations.update",),
    "GET /approvals": ("approval.list",),
    "GET /approvals/{approval_id}": ("approval.get",),
    "POST /approvals/{approval_id}": ("approval.decide",),
    f"GET {W}/members": ("workspace.members.list",),
    f"POST {W}/members": ("workspace.members.add", "workspace.members.change_role"),
    f"POST {W}/members/remove": ("workspace.members.remove",),
    f"GET {W}/clients": ("client.list",),
    f"GET {W}/clients/new": ("client.create",),
    f"POST {W}/clients/new": ("client.create",),
    f"GET {W}/clients/{{client_uuid}}": ("client.get",),
    f"GET {W}/clients/{{client_uuid}}/edit": ("client.update",),
    f"POST {W}/clients/{{client_uuid}}/edit": ("client.update",),
    f"POST {W}/clients/{{client_uuid}}/delete": ("client.delete",),
    f"GET {W}/invoices": ("invoice.list",),
    # The editor says which number finalizing the draft now would give.
    f"GET {W}/invoices/new": ("invoice.create", "invoice.next_number"),
    f"POST {W}/invoices/new": ("invoice.create",),
    f"GET {W}/invoices/{{invoice_uuid}}/edit": ("invoice.update",),
    f"POST {W}/invoices/{{invoice_uuid}}/edit": ("invoice.update",),
    # The editor's running totals: the pricing REST and MCP give with dry_run.
    f"POST {W}/invoices/totals": ("invoice.create", "invoice.update"),
    f"GET {W}/invoices/{{invoice_uuid}}": ("invoice.get",),
    # The printed document as HTML, inside the invoice page.
    f"GET {W}/invoices/{{invoice_uuid}}/preview": ("invoice.pdf",),
    f"GET {W}/invoices/{{invoice_uuid}}/pdf": ("invoice.pdf",),
    # POST {W}/invoices/{invoice_uuid}/{action}, one line per action of app/web/invoice_actions.py ACTIONS.
    f"POST {W}/invoices/{{invoice_uuid}}/finalize": ("invoice.finalize",),
    f"POST {W}/invoices/{{invoice_uuid}}/send": ("invoice.send",),
    f"POST {W}/invoices/{{invoice_uuid}}/pay": ("invoice.mark_paid",),
    f"POST {W}/invoices/{{invoice_uuid}}/cancel": ("invoice.cancel",),
    f"POST {W}/invoices/{{invoice_uuid}}/credit": ("credit_note.create",),
    f"POST {W}/invoices/{{invoice_uuid}}/refund": ("invoice.refund",),
    f"GET {W}/credit-notes": ("credit_note.list",),
    f"GET {W}/credit-notes/{{note_uuid}}": ("credit_note.get",),
    f"GET {W}/credit-notes/{{note_uuid}}/pdf": ("credit_note.pdf",),
    f"POST {W}/credit-notes/{{note_uuid}}/send": ("credit_note.send",),
    f"GET {W}/invoices/{{invoice_uuid}}/einvoice": ("invoice.einvoice",),
    f"GET {W}/invoices/{{invoice_uuid}}/einvoice/check": ("invoice.einvoice_check",),
    f"GET {W}/credit-notes/{{note_uuid}}/einvoice": ("credit_note.einvoice",),
    f"POST {W}/received": ("received.import",),
    f"GET {W}/received": ("received.list",),
    f"GET {W}/received/{{received_uuid}}": ("received.get",),
    f"GET {W}/received/{{received_uuid}}/file": ("received.file",),
    # Deleting a draft asks first on a page of its own; its form posts the delete.
    f"GET {W}/invoices/{{invoice_uuid}}/delete": ("invoice.delete",),
    f"POST {W}/invoices/{{invoice_uuid}}/delete": ("invoice.delete",),
    f"POST {W}/invoices/{{invoice_uuid}}/duplicate": ("invoice.duplicate",),
    f"POST {W}/invoices/send-drafts": ("invoice.send_many",),
    f"POST {W}/invoices/from-previous": ("invoice.from_previous",),
    # The client's side, without an account.
    "GET /i/{public_token}": ("public.invoice_page",),
    "GET /i/{public_token}/pdf": ("public.invoice_pdf",),
    "GET /i/{public_token}/einvoice": ("public.invoice_einvoice",),
    "GET /c/{public_token}": ("public.credit_note_page",),
    "GET /c/{public_token}/pdf": ("public.credit_note_pdf",),
    "GET /i/{public_token}/seen/{pixel}": ("public.email_opened",),  # the email's tracking pixel
    "GET /signup": ("account.sign_up",),
    "POST /signup": ("account.sign_up",),
    "GET /signin": ("account.sign_in",),
    "POST /signin": ("account.sign_in",),
    "POST /signout": ("account.sign_in",),
    "GET /account": ("account.password",),
    "POST /account/password": ("account.password",),
    "GET /account/tokens": ("tokens.list",),
    "POST /account/tokens": ("tokens.create",),
    "POST /account/tokens/revoke": ("tokens.revoke",),
    "GET /account/apps": ("oauth_apps.list",),
    "POST /account/apps/revoke": ("oauth_apps.revoke",),
}

# A tool without actions is "name"; an action of an action-style tool is "tool:action".
MCP_TOOLS: dict[str, tuple[str, ...]] = {
    "workspace:list": ("workspace.list",),
    "workspace:get": ("workspace.get",),
    "workspace:stats": ("stats.workspace", "stats.all_workspaces"),  # with company_slug, or without
    "workspace:list_members": ("workspace.members.list",),
    "workspace:add_member": ("workspace.members.add",),
    "workspace:change_role": ("workspace.members.change_role",),
    "workspace:remove_member": ("workspace.members.remove",),
    "client:list": ("client.list",),
    "client:get": ("client.get",),
    "client:create": ("client.create",),
    "client:update": ("client.update",),
    "invoice:list": ("invoice.list",),
    "invoice:get": ("invoice.get",),
    "invoice:create": ("invoice.create",),
    "invoice:update": ("invoice.update",),
    "invoice:send": ("invoice.send",),
    "invoice:mark_paid": ("invoice.mark_paid",),
    "invoice:cancel": ("invoice.cancel",),
    "invoice:stats": ("stats.workspace",),
    "credit_note:create": ("credit_note.create",),
    "credit_note:list": ("credit_note.list",),
    "credit_note:get": ("credit_note.get",),
    "credit_note:pdf": ("credit_note.pdf",),
    "credit_note:refund": ("invoice.refund",),
    "credit_note:send": ("credit_note.send",),
    "credit_note:einvoice": ("credit_note.einvoice",),
    "received_invoice:import": ("received.import",),
    "received_invoice:list": ("received.list",),
    "received_invoice:get": ("received.get",),
    "get_invoice_einvoice": ("invoice.einvoice",),  # a signed download link; embedded on request
    "validate_invoice_einvoice": ("invoice.einvoice_check",),
    "create_invoice": ("invoice.create",),
    "update_invoice": ("invoice.update",),
    "delete_invoice": ("invoice.delete",),
    "duplicate_invoice": ("invoice.duplicate",),
    "create_invoice_from_previous": ("invoice.from_previous",),
    "get_invoice": ("invoice.get",),
    "get_invoice_pdf": ("invoice.pdf",),  # a signed download link; embedded on request
    "list_invoices": ("invoice.list",),
    "suggest_invoice_number": ("invoice.next_number",),
    "finalize_invoice": ("invoice.finalize",),
    "send_invoice": ("invoice.send",),
    "mark_invoice_paid": ("invoice.mark_paid",),
    "cancel_invoice": ("invoice.cancel",),
    "get_billing_analytics": ("stats.workspace", "stats.all_workspaces"),
    "list_clients": ("client.list",),
    "save_client": ("client.create", "client.update"),
    "get_business_settings": ("workspace.get",),
    "update_business_settings": ("workspace.settings.update",),
}

# Capabilities that are an argument rather than a route or a tool: the REST operation whose
# JSON body carries it, and the argument's name (the same in MCP tools and web forms).
FIELD_CAPABILITIES: dict[str, tuple[str, str]] = {
    # Choosing the invoice's number yourself rather than the pattern's next one: REST and MCP
    # take it on create and update (finalize keeps it); the web asks it on finalize.
    "invoice.number.explicit": (f"POST {WS}/invoices", "number"),
}

# What the faces stand on rather than what a person does with them: (method) path -> why.
NOT_CAPABILITIES: dict[str, str] = {
    "GET /health": "liveness probe",
    "GET /ready": "readiness probe",
    "GET /api": "the REST API's documentation",
    "GET /api/openapi.json": "the REST API's documentation",
    "GET /api/{path}": "the REST API's documentation",
    "ASGI /api/mcp": "the MCP transport (Streamable HTTP); what it offers is the tool list",
    "ASGI /api/mcp/sse": "the MCP transport (legacy SSE)",
    "ASGI /api/mcp/messages": "the MCP transport (legacy SSE)",
    "GET /.well-known/oauth-authorization-server": "OAuth 2.1 server, how MCP clients get a token",
    "GET /.well-known/oauth-authorization-server/api/mcp": "OAuth 2.1 server metadata",
    "GET /api/mcp/.well-known/oauth-authorization-server": "OAuth 2.1 server metadata",
    "GET /.well-known/oauth-protected-resource": "OAuth 2.1 protected-resource metadata",
    "GET /.well-known/oauth-protected-resource/api/mcp": "OAuth 2.1 protected-resource metadata",
    "GET /.well-known/oauth-protected-resource/api/v1": "OAuth 2.1 protected-resource metadata",
    "POST /oauth/register": "OAuth 2.1 dynamic client registration",
    "GET /oauth/authorize": "OAuth 2.1 consent page",
    "POST /oauth/authorize": "OAuth 2.1 consent page",
    "GET /oauth/signin": "OAuth 2.1 sign-in before consent",
    "POST /oauth/signin": "OAuth 2.1 sign-in before consent",
    "POST /oauth/token": "OAuth 2.1 token endpoint",
    "POST /oauth/revoke": "OAuth 2.1 token revocation",
    "POST /webhooks/bounces": "the mail provider reports bounces",
}
# Whole areas of plumbing, by path prefix (their asset paths carry versions).
NOT_CAPABILITY_PREFIXES: dict[str, str] = {
    "/api/docs": "the REST API's interactive documentation and its assets",
    "/static/": "the web app's stylesheet and script",
}

# --- what is not on every face, on purpose ------------------------------------------------------


@dataclass(frozen=True)
class Only:
    """A capability on these faces only (space-separated: rest, web, mcp), and why."""

    faces: str
    why: str


INTENTIONAL: dict[str, Only] = {
    "workspace.create": Only(
        "rest web",
        "DESIGN section 4's workspace tool lists, reads and manages members; a new workspace (a new "
        "tenant whose owner is the caller) is made by a person in the web app or by a script",
    ),
    "client.delete": Only(
        "rest web",
        "DESIGN section 4 fixes the MCP catalogue (client: list, get, create, update; save_client) "
        "and it has no delete: deleting a client (one without invoices) is left to people and scripts",
    ),
    "invoice.send_many": Only(
        "web",
        "known drift (docs/ARCHITECTURE.md section 4): bulk send exists only in the web's invoice "
        "list; REST and MCP callers send each invoice",
    ),
    "workspace.confirmations.update": Only(
        "web",
        "which changes an assistant must have its person confirm is set by a person in the browser: "
        "never through a token an assistant may hold (issue 20)",
    ),
    "approval.list": Only("web", "the person's approvals of what their assistants asked (issue 20)"),
    "approval.get": Only("web", "the summary the person checks before approving (issue 20)"),
    "approval.decide": Only(
        "web",
        "a person approves or declines in the browser; a token that could approve would let the "
        "assistant confirm itself (issue 20)",
    ),
    "public.invoice_page": Only(
        "web", "the client's page, reached without an account: REST and MCP give its address as public_url"
    ),
    "public.invoice_pdf": Only("web", "the client's PDF download from that page; members use invoice.pdf"),
    "public.invoice_einvoice": Only(
        "web", "the client's e-invoice from their page, in their format; members use invoice.einvoice"
    ),
    "public.credit_note_page": Only(
        "web", "the client's copy of a credit note, without an account: REST and MCP give it as public_url"
    ),
    "public.credit_note_pdf": Only("web", "the client's PDF of that credit note; members use credit_note.pdf"),
    "received.file": Only(
        "rest web",
        "the received file as it came, for a person or a bookkeeping script to archive; an assistant reads "
        "what it says (received_invoice get)",
    ),
    "public.email_opened": Only("web", "a pixel in the email, loaded by the recipient's mail program"),
    "account.sign_up": Only("web", "people sign up in the browser; the CLI's `users create` for scripts"),
    "account.sign_in": Only("web", "browser sessions; REST and MCP authenticate with bearer tokens"),
    "account.password": Only("web", "a person changes their own password, in the browser"),
    "tokens.list": Only("web", "token management is the web's (and the CLI's): a token never manages tokens"),
    "tokens.create": Only("web", "token management is the web's (and the CLI's `tokens create`)"),
    "tokens.revoke": Only("web", "token management is the web's (and the CLI's)"),
    "oauth_apps.list": Only(
        "rest web",
        "an MCP client acts through one of these apps: it does not list the person's other connected apps",
    ),
    "oauth_apps.revoke": Only("rest web", "an MCP client does not revoke connected apps, its own or others'"),
}

# Being built on the web right now by the web engineer. The web engineer removes each entry
# when its page lands; this test fails until they do (see test_pending_web_...).
PENDING_WEB: dict[str, str] = {}

FACES = ("rest", "web", "mcp")

# --- the live tables ----------------------------------------------------------------------------

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_ACTION_ROUTE = f"POST {W}/invoices/{{invoice_uuid}}/{{action}}"
_FIELD = re.compile(r"""\bname\s*=\s*["']([A-Za-z0-9_]+)["']""")


@dataclass(frozen=True)
class Live:
    routes: frozenset[str]
    tools: frozenset[str]
    openapi: dict[str, Any]
    tool_arguments: frozenset[str]
    web_fields: frozenset[str]


def route_keys(app: Litestar) -> set[str]:
    """ "METHOD /path" for every route (path parameters as {name}); "ASGI /path" for mounted
    apps. The web's invoice action route counts once per action it accepts."""
    keys: set[str] = set()
    for route in app.routes:
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        if isinstance(route, HTTPRoute):
            keys |= {f"{method} {path}" for method in route.methods - {"OPTIONS", "HEAD"}}
        elif isinstance(route, ASGIRoute):
            keys.add(f"ASGI {path}")
        else:
            keys.add(f"{type(route).__name__} {path}")
    if _ACTION_ROUTE in keys:
        keys.remove(_ACTION_ROUTE)
        keys |= {_ACTION_ROUTE.replace("{action}", action) for action in web_invoices.ACTIONS}
    return keys


def tool_keys(tools: Iterable[dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    for tool in tools:
        action = tool["inputSchema"]["properties"].get("action")
        keys |= {f"{tool['name']}:{a}" for a in action["enum"]} if action else {tool["name"]}
    return keys


def web_form_fields() -> set[str]:
    """The names of the form fields in the web app's templates."""
    folder = Path(app.web.__file__).parent / "templates"
    return {name for page in folder.rglob("*.html") for name in _FIELD.findall(page.read_text())}


@pytest.fixture(scope="module")
async def live(migrated: Settings) -> Live:
    settings = dataclasses.replace(migrated, mcp_tools="all")
    app = create_app(settings)
    tools = await tool_catalogue(settings)
    return Live(
        routes=frozenset(route_keys(app)),
        tools=frozenset(tool_keys(tools)),
        openapi=app.openapi_schema.to_schema(),
        tool_arguments=frozenset(name for tool in tools for name in tool["inputSchema"]["properties"]),
        web_fields=frozenset(web_form_fields()),
    )


def _plumbing(key: str) -> bool:
    path = key.split(" ", 1)[1]
    return key in NOT_CAPABILITIES or path.startswith(tuple(NOT_CAPABILITY_PREFIXES))


def _body_fields(openapi: dict[str, Any], operation: str) -> set[str]:
    """The properties of the JSON body of ``operation`` ("METHOD /path") in the OpenAPI document."""
    method, path = operation.split(" ", 1)
    body = openapi["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in body:
        body = openapi["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return set(body.get("properties", {}))


def capabilities(live: Live) -> dict[str, set[str]]:
    """capability -> the faces that offer it, from the live tables through the mapping."""
    found: dict[str, set[str]] = {}
    for face, table, keys in (("rest", REST_ROUTES, live.routes), ("web", WEB_ROUTES, live.routes),
                              ("mcp", MCP_TOOLS, live.tools)):  # fmt: skip
        for key in keys & table.keys():
            for capability in table[key]:
                found.setdefault(capability, set()).add(face)
    for capability, (operation, argument) in FIELD_CAPABILITIES.items():
        offered = {
            "rest": argument in _body_fields(live.openapi, operation),
            "mcp": argument in live.tool_arguments,
            "web": argument in live.web_fields,
        }
        found[capability] = {face for face, yes in offered.items() if yes}
    return found


# --- the tests ----------------------------------------------------------------------------------


def test_every_route_tool_and_action_says_what_it_does(live: Live) -> None:
    """Each live route is in REST_ROUTES, WEB_ROUTES or NOT_CAPABILITIES (once), each tool
    and action in MCP_TOOLS; and nothing in the tables is gone from the app."""
    mapped = REST_ROUTES.keys() | WEB_ROUTES.keys()
    assert not REST_ROUTES.keys() & WEB_ROUTES.keys(), "a route belongs to one face"
    assert not mapped & NOT_CAPABILITIES.keys(), "a route is a capability or plumbing, not both"
    unmapped = sorted(k for k in live.routes if k not in mapped and not _plumbing(k))
    assert not unmapped, (
        f"teach this test what these routes do (REST_ROUTES, WEB_ROUTES or NOT_CAPABILITIES): {unmapped}"
    )
    unmapped_tools = sorted(live.tools - MCP_TOOLS.keys())
    assert not unmapped_tools, f"teach this test what these MCP tools and actions do (MCP_TOOLS): {unmapped_tools}"
    gone = sorted((mapped | NOT_CAPABILITIES.keys()) - live.routes) + sorted(MCP_TOOLS.keys() - live.tools)
    assert not gone, f"these no longer exist: take them out of the tables: {gone}"


def test_every_capability_is_on_all_three_faces_or_listed_with_its_reason(live: Live) -> None:
    """A capability is on REST, the web and MCP alike, or INTENTIONAL names exactly the
    faces it is on and why, or it is PENDING_WEB (on REST and MCP, the web to come)."""
    found = capabilities(live)
    assert not INTENTIONAL.keys() & PENDING_WEB.keys()
    problems = []
    for capability, faces in sorted(found.items()):
        missing = [f for f in FACES if f not in faces]
        if capability in INTENTIONAL:
            declared = set(INTENTIONAL[capability].faces.split())
            if faces != declared:
                problems.append(f"{capability}: INTENTIONAL says it is on {sorted(declared)}, it is on {sorted(faces)}")
        elif capability in PENDING_WEB:
            continue  # test_pending_web_... checks these
        elif missing:
            problems.append(
                f"{capability} is on {sorted(faces)} but not on {missing}: build it there, or list it in "
                "INTENTIONAL with the reason"
            )
    stale = sorted(INTENTIONAL.keys() - found.keys())
    if stale:
        problems.append(f"INTENTIONAL names capabilities no face has: {stale}")
    assert not problems, "\n".join(problems)


def test_pending_web_capabilities_are_on_rest_and_mcp_and_not_yet_on_the_web(live: Live) -> None:
    """Each PENDING_WEB entry is a capability REST and MCP have and the web does not have
    yet: once the web offers it, this fails until the entry is removed."""
    found = capabilities(live)
    landed = sorted(c for c in PENDING_WEB if "web" in found.get(c, set()))
    assert not landed, f"the web offers these now: remove them from PENDING_WEB: {landed}"
    for capability in PENDING_WEB:
        assert found.get(capability) == {"rest", "mcp"}, (capability, found.get(capability))
