"""Tenant isolation over MCP, generated from the live tool list: a user of another workspace
calling every tool and every action, with the victim's company_slug or with their own slug
and the victim's invoice or client uuid, gets a not-found tool error that names nothing of
the victim's, and the victim's workspace is unchanged afterwards. (The one exception, as on
REST: a list filtered by the victim's client_uuid answers an empty page of one's own.)

The calls are built from each tool's input schema, so a new tool or action is covered
without editing this test. Arguments an action does not take are learnt from the server's
own refusal ("x does not apply to action y") and dropped; arguments it requires are filled
with valid values, so a not-found can only come from tenancy, never from a refused body."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp import Client

from tests.api.einvoice_support import KIT
from tests.conftest import unique
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import THREE_ITEMS, call, invoice, ok, refused, text_of, truly_required

NOT_FOUND = {
    "workspace_not_found", "invoice_not_found", "client_not_found", "credit_note_not_found",
    "received_invoice_not_found",
}  # fmt: skip

# A valid value for each argument a tool may require: a call that is refused as not found
# would have been accepted (and harmful) had the stranger been let in.
VALID: dict[str, Any] = {
    "title": "Planted invoice",
    "name": "Planted client",
    "items": [{"description": "Planted work", "quantity": 1, "unit_price": 1}],
    "to": ["stranger@evil.example"],
    "message": "from a stranger",
    "amount": 1,
    "payment_method": "Stranger transfer",
    "reason": "stranger",
    "notes": "planted",
    "email": "stranger@evil.example",
    "payment_terms_days": 1,
    "legal_name": "Hijacked",
    "role": "admin",
    "user_uuid": "9a1c2a5e-0000-4000-8000-000000000001",
    "invoice_uuid": "9a1c2a5e-0000-4000-8000-000000000002",
    "content": (KIT / "samples" / "valid" / "peppol-ubl-invoice.xml").read_text(),
}

# The pairs that target a victim's object by uuid: the own-slug calls must reach at least
# these, so a broken argument builder cannot make the test pass vacuously.
KNOWN_UUID_TARGETS = {
    ("client", "get"),
    ("client", "update"),
    ("invoice", "list"),
    ("invoice", "get"),
    ("invoice", "create"),
    ("invoice", "update"),
    ("invoice", "send"),
    ("invoice", "mark_paid"),
    ("invoice", "cancel"),
    ("create_invoice", None),
    ("update_invoice", None),
    ("delete_invoice", None),
    ("duplicate_invoice", None),
    ("create_invoice_from_previous", None),
    ("get_invoice", None),
    ("get_invoice_pdf", None),
    ("list_invoices", None),
    ("finalize_invoice", None),
    ("send_invoice", None),
    ("mark_invoice_paid", None),
    ("cancel_invoice", None),
    ("save_client", None),
    ("credit_note", "create"),
    ("credit_note", "list"),
    ("credit_note", "refund"),
    ("credit_note", "send"),
    ("credit_note", "einvoice"),
    ("get_invoice_einvoice", None),
    ("validate_invoice_einvoice", None),
    ("received_invoice", "get"),
}


@dataclass
class Victim:
    account: Account
    client: dict[str, Any]
    invoices: list[dict[str, Any]]  # a sent, part-paid and part-credited invoice, and a draft
    workspace: dict[str, Any]

    @property
    def secrets(self) -> list[str]:
        """Every string whose appearance in a stranger's answer would leak something."""
        values = [
            self.account.slug,
            self.account.email,
            self.client["name"],
            self.client["email"],
            self.client["uuid"],
            self.workspace["uuid"],
            self.workspace["name"],
        ]
        for inv in self.invoices:
            values += [inv["uuid"], inv["title"]]
            if inv["public_url"]:  # a draft has none
                values.append(inv["public_url"])
            values += [p["uuid"] for p in inv["payments"]]
            values += [v for n in inv["credit_notes"] for v in (n["uuid"], n["number"])]
            values += [e["actor"]["uuid"] for e in inv["history"] if e["actor"]["uuid"]]
            if inv["number"]:
                values.append(inv["number"])
        return values


async def make_victim(client: Client, account: Account) -> Victim:
    slug = account.slug
    hidden = await call(
        client, "client", action="create", company_slug=slug, name=unique("Hidden Client"), email="cfo@hidden.example"
    )
    sent = await invoice(
        client, "create", slug, title=unique("Secret Project"), client_uuid=hidden["uuid"], items=THREE_ITEMS
    )
    await invoice(client, "send", slug, uuid=sent["uuid"])
    await invoice(client, "mark_paid", slug, uuid=sent["uuid"], amount=10)
    await call(client, "credit_note", action="create", company_slug=slug, invoice_uuid=sent["uuid"],
               reason="Goodwill", amount=1)  # fmt: skip
    draft = await invoice(
        client, "create", slug, title=unique("Secret Draft"), client_uuid=hidden["uuid"], items=THREE_ITEMS
    )
    workspace = await call(client, "workspace", action="get", company_slug=slug)
    return Victim(account, hidden, [await invoice(client, "get", slug, uuid=sent["uuid"]), draft], workspace)


async def snapshot(client: Client, victim: Victim) -> dict[str, Any]:
    """Everything the victim can read about their workspace, as they see it."""
    slug = victim.account.slug
    return {
        "workspace": await call(client, "get_business_settings", company_slug=slug),
        "clients": await call(client, "list_clients", company_slug=slug),
        "invoices": await call(client, "list_invoices", company_slug=slug, per_page=100),
        "each": [await call(client, "get_invoice", company_slug=slug, uuid=i["uuid"]) for i in victim.invoices],
        "number": await call(client, "suggest_invoice_number", company_slug=slug),
        "stats": await call(client, "get_billing_analytics", company_slug=slug),
        "members": await call(client, "workspace", action="list_members", company_slug=slug),
        "credit_notes": await call(client, "credit_note", action="list", company_slug=slug),
    }


def pairs(tools: list[types.Tool]) -> set[tuple[str, str | None]]:
    """Every (tool, action) of the live list; None for tools without an action."""
    found: set[tuple[str, str | None]] = set()
    for tool in tools:
        action = tool.input_schema["properties"].get("action")
        found |= {(tool.name, a) for a in action["enum"]} if action else {(tool.name, None)}
    return found


def initial_arguments(tool: types.Tool, action: str | None, slug: str, target: str, client_uuid: str) -> dict[str, Any]:
    """Arguments from the schema: the slug, ``target`` (a victim's invoice or client uuid) as
    ``uuid`` and the victim's client as ``client_uuid`` where the tool takes them, and the
    required fields filled with valid values."""
    properties = tool.input_schema["properties"]
    arguments: dict[str, Any] = {} if action is None else {"action": action}
    if "company_slug" in properties:
        arguments["company_slug"] = slug
    if "uuid" in properties:
        arguments["uuid"] = target
    if "client_uuid" in properties:
        arguments["client_uuid"] = client_uuid
    if "invoice_uuid" in properties:
        arguments["invoice_uuid"] = target
    for name in truly_required(tool.input_schema):
        if name not in arguments:
            assert name in VALID, f"{tool.name} requires {name}: teach this test a valid value for it"
            arguments[name] = VALID[name]
    return arguments


@dataclass
class Outcome:
    arguments: dict[str, Any]
    result: types.CallToolResult | None  # None: every victim uuid was dropped, nothing was sent


async def call_adapting(
    client: Client, tool: types.Tool, arguments: dict[str, Any], foreign: set[str], need_foreign: bool
) -> Outcome:
    """Call, learning from argument refusals: drop what the action does not take, fill what it
    requires. With ``need_foreign``, stop before sending a call that no longer carries any of
    the ``foreign`` values (it would act on the caller's own workspace, legitimately)."""
    arguments = dict(arguments)
    for _ in range(12):
        if need_foreign and not foreign & {v for v in arguments.values() if isinstance(v, str)}:
            return Outcome(arguments, None)
        result = await client.call_tool(tool.name, arguments)
        if not result.is_error:
            return Outcome(arguments, result)
        _, error = refused(result)
        first = (error.get("errors") or [{}])[0]
        field, message = first.get("field"), first.get("message", "")
        if error["code"] == "validation_error" and "does not apply to action" in message:
            arguments.pop(field)
        elif error["code"] == "validation_error" and message.endswith(
            ("is required", f"required for action {arguments.get('action')}")
        ):
            assert field in VALID, f"{tool.name} requires {field}: teach this test a valid value for it"
            arguments[field] = VALID[field]
        else:
            return Outcome(arguments, result)
    raise AssertionError(f"{tool.name} {arguments}: no stable set of arguments")


def assert_not_found_and_silent(outcome: Outcome, victim: Victim, what: str) -> None:
    """A not-found tool error that names nothing of the victim's. The one thing it may echo
    is a uuid the caller sent itself ('no invoice <uuid> in this workspace')."""
    assert outcome.result is not None
    text, error = refused(outcome.result)
    assert error["code"] in NOT_FOUND, f"{what} {outcome.arguments}: {text}"
    echoed = {outcome.arguments.get(error.get("field") or "uuid")} if error["code"] != "workspace_not_found" else set()
    assert_silent(outcome.result, victim, echoed, what)


def assert_silent(result: types.CallToolResult, victim: Victim, echoed: set[Any], what: str) -> None:
    """Neither the text nor the structured content names anything of the victim's (but for
    ``echoed``: what the caller sent and the answer repeats)."""
    answer = (text_of(result) + repr(result.structured_content)).lower()
    for secret in victim.secrets:
        if secret in echoed:
            continue
        assert secret.lower() not in answer, f"{what} leaks {secret!r}: {text_of(result)}"


async def test_a_stranger_gets_not_found_from_every_tool_and_action_and_learns_nothing(
    served: str, new_account: NewAccount
) -> None:
    """Generated from list_tools: every (tool, action) called by a user of another workspace
    with the victim's slug and real uuids answers not found; every call that targets a
    victim's invoice or client by uuid from the stranger's own workspace answers not found,
    exactly as for a uuid that never existed; no answer names the victim's slug, titles,
    client, numbers or uuids; the victim's workspace is unchanged."""
    owner, intruder = await new_account(), await new_account(name="Mallory")
    async with http_client(served, owner.token) as victim_client, http_client(served, intruder.token) as stranger:
        victim = await make_victim(victim_client, owner)
        before = await snapshot(victim_client, victim)
        tools = (await stranger.list_tools()).tools
        every = pairs(tools)
        assert len(every) == 49, sorted(every, key=str)
        notes = [n["uuid"] for i in victim.invoices for n in i["credit_notes"]]
        foreign = {victim.client["uuid"], *(i["uuid"] for i in victim.invoices), *notes}

        with_victim_slug: set[tuple[str, str | None]] = set()
        by_uuid: set[tuple[str, str | None]] = set()
        empty_filter: set[tuple[str, str | None]] = set()
        # Each uuid-taking call is made with each of the victim's uuids: a client's uuid on an
        # invoice tool must be as unknown as an invoice's uuid on a client tool.
        targets = [*(i["uuid"] for i in victim.invoices), victim.client["uuid"], *notes]
        for tool in tools:
            for pair in sorted((p for p in every if p[0] == tool.name), key=str):
                for target in targets:
                    what = f"{pair} with the victim's slug"
                    arguments = initial_arguments(tool, pair[1], owner.slug, target, victim.client["uuid"])
                    outcome = await call_adapting(stranger, tool, arguments, foreign, need_foreign=False)
                    assert_not_found_and_silent(outcome, victim, what)
                    assert outcome.result is not None
                    assert refused(outcome.result)[1]["code"] == "workspace_not_found", what
                    with_victim_slug.add(pair)

                    what = f"{pair} with the stranger's slug and the victim's uuid {target}"
                    arguments = initial_arguments(tool, pair[1], intruder.slug, target, victim.client["uuid"])
                    outcome = await call_adapting(stranger, tool, arguments, foreign, need_foreign=True)
                    if outcome.result is None:
                        continue  # the action takes no uuid: nothing of the victim's to aim at
                    by_uuid.add(pair)
                    if not outcome.result.is_error:
                        # Only a list filtered by the victim's client may answer, and only with
                        # an empty page of the stranger's own (as REST's ?client_uuid= does).
                        page = ok(outcome.result)
                        assert (page["total"], page["items"]) == (0, []), what
                        assert set(outcome.arguments) - {"action", "company_slug"} == {"client_uuid"}, what
                        assert_silent(outcome.result, victim, set(), what)
                        empty_filter.add(pair)
                        continue
                    assert_not_found_and_silent(outcome, victim, what)
                    # A uuid that never existed gets the very same answer: no existence oracle.
                    fresh = {v: str(uuidlib.uuid4()) for v in foreign}
                    twin = {k: fresh.get(v, v) if isinstance(v, str) else v for k, v in outcome.arguments.items()}
                    expected = refused(outcome.result)[0]
                    for old, new in fresh.items():
                        expected = expected.replace(old, new)
                    assert refused(await stranger.call_tool(tool.name, twin))[0] == expected, what

        assert with_victim_slug == every, "every tool and action was called with the victim's slug"
        assert by_uuid >= KNOWN_UUID_TARGETS, f"not aimed at a victim's uuid: {KNOWN_UUID_TARGETS - by_uuid}"
        assert empty_filter == {("invoice", "list"), ("list_invoices", None)}, "only list filters answer"
        assert await snapshot(victim_client, victim) == before, "a stranger's call changed the victim's workspace"
        mine = await call(stranger, "list_invoices", company_slug=intruder.slug)
        assert mine["total"] == 0, "nothing was created in the stranger's workspace either"
