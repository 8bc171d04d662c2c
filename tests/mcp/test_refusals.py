"""Every refusal is a tool error (``isError``), never a protocol error or a crash, and says
what was wrong and what is allowed: valid actions, the missing or unknown argument, the
argument of the wrong type, the current status and allowed actions, what was not found.
Also ``dry_run`` (nothing changes) and ``idempotency_key`` (one effect per key)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import pytest
from mcp import Client

from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import ALL_TOOLS, THREE_ITEMS, call, invoice, refused, refused_as_unknown_tool

ITEM = [{"description": "Work", "quantity": 1, "unit_price": 100}]


async def _refusal(client: Client, tool: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    return refused(await client.call_tool(tool, arguments))


async def _total(client: Client, slug: str) -> int:
    return int((await invoice(client, "list", slug))["total"])


async def test_a_wrong_or_missing_action_lists_the_valid_actions_of_every_action_tool(
    served: str, owner: Account
) -> None:
    """For each tool with an ``action`` enum in the live list, an unknown action and a missing
    one are tool errors on the ``action`` argument naming every valid action."""
    async with http_client(served, owner.token) as client:
        tools = [t for t in (await client.list_tools()).tools if "action" in t.input_schema["properties"]]
        assert {t.name for t in tools} == {"workspace", "client", "invoice", "credit_note", "received_invoice"}
        for tool in tools:
            valid = tool.input_schema["properties"]["action"]["enum"]
            for arguments in ({"action": "fly", "company_slug": owner.slug}, {"company_slug": owner.slug}):
                text, error = refused(await client.call_tool(tool.name, arguments))
                assert error["code"] == "validation_error"
                assert error["errors"][0]["field"] == "action"
                assert "valid actions: " + ", ".join(valid) in text
                if "action" not in arguments:
                    assert "action is required" in text


async def test_a_missing_required_argument_is_named(served: str, owner: Account) -> None:
    """'uuid is required for action get', 'title is required for action create', and the
    same for granular tools and the workspace slug."""
    async with http_client(served, owner.token) as client:
        text, error = await _refusal(client, "invoice", action="get", company_slug=owner.slug)
        assert "uuid is required for action get" in text
        assert error["errors"] == [{"field": "uuid", "message": "uuid is required for action get"}]
        text, _ = await _refusal(client, "invoice", action="create", company_slug=owner.slug)
        assert "title is required for action create" in text
        text, error = await _refusal(client, "client", action="update", company_slug=owner.slug)
        assert "uuid is required for action update" in text
        text, error = await _refusal(client, "get_invoice", company_slug=owner.slug)
        assert error["errors"] == [{"field": "uuid", "message": "uuid is required"}]
        assert "uuid is required" in text
        text, error = await _refusal(client, "list_invoices")
        assert error["errors"][0]["field"] == "company_slug"
        assert "company_slug is required" in text
        text, error = await _refusal(client, "update_business_settings", company_slug=owner.slug)
        assert "nothing to update" in text
        text, error = await _refusal(client, "create_invoice_from_previous", company_slug=owner.slug)
        assert error["errors"][0]["field"] == "client_uuid"
        assert "client_uuid is required" in text


async def test_an_unknown_or_inapplicable_argument_is_named_with_what_the_tool_takes(
    served: str, owner: Account
) -> None:
    """A typo is never ignored: an unknown argument is named with the arguments the tool takes,
    and an argument of another action is named with what this action takes."""
    async with http_client(served, owner.token) as client:
        made = await invoice(client, "create", owner.slug, title="Typos", items=ITEM)
        text, error = await _refusal(
            client, "invoice", action="get", company_slug=owner.slug, uuid=made["uuid"], tax_rat=10
        )
        assert error["errors"][0]["field"] == "tax_rat"
        assert "unknown argument 'tax_rat'" in text
        assert "tax_rate" in text
        text, error = await _refusal(client, "get_invoice", company_slug=owner.slug, uuid=made["uuid"], verbose=True)
        assert error["errors"][0]["field"] == "verbose"
        assert "get_invoice takes: company_slug, uuid" in text
        text, error = await _refusal(
            client, "invoice", action="send", company_slug=owner.slug, uuid=made["uuid"], payment_method="Cash"
        )
        assert error["errors"][0]["field"] == "payment_method"
        assert "does not apply to action send" in text
        assert "message" in text
        assert "to" in text
        got = await invoice(client, "get", owner.slug, uuid=made["uuid"])
        assert got["status"] == "draft", "the refused send did nothing"


# (tool, arguments without company_slug, the argument the error must name)
WRONG_TYPES: list[tuple[str, dict[str, Any], str]] = [
    (
        "create_invoice",
        {"title": "T", "items": [{"description": "QA", "quantity": "abc", "unit_price": 100}]},
        "items[0].quantity",
    ),
    ("create_invoice", {"title": "T", "items": "UX Design 20h at 120"}, "items"),
    ("create_invoice", {"title": "T", "items": ["UX Design"]}, "items[0]"),
    ("create_invoice", {"title": "T", "items": [{"description": "QA", "quantity": 1}]}, "items[0].unit_price"),
    ("create_invoice", {"title": "T", "due_date": "2026-02-30"}, "due_date"),
    ("create_invoice", {"title": "T", "due_date": "30/03/2026"}, "due_date"),
    ("create_invoice", {"title": "T", "tax_rate": "ten"}, "tax_rate"),
    ("create_invoice", {"title": "T", "tax_rate": 150}, "tax_rate"),
    ("create_invoice", {"title": "T", "currency": "EURO"}, "currency"),
    ("create_invoice", {"title": "T", "client_uuid": "acme"}, "client_uuid"),
    ("create_invoice", {"title": "", "items": ITEM}, "title"),
    ("create_invoice", {"title": "T", "dry_run": "yes"}, "dry_run"),
    ("create_invoice", {"title": "T", "idempotency_key": 42}, "idempotency_key"),
    ("list_invoices", {"status": "unpaid"}, "status"),
    ("list_invoices", {"page": 0}, "page"),
    ("list_invoices", {"date_from": "yesterday"}, "date_from"),
    ("list_clients", {"search": 5}, "search"),
    ("list_clients", {"per_page": 1000}, "per_page"),
    ("get_invoice", {"uuid": "xyz"}, "uuid"),
    ("save_client", {"name": "Acme", "country": "Germany"}, "country"),
    ("save_client", {"name": "Acme", "email": "not an email"}, "email"),
    ("update_business_settings", {"payment_terms_days": 400}, "payment_terms_days"),
    ("update_business_settings", {"timezone": "Mars/Olympus"}, "timezone"),
]


@pytest.mark.parametrize(("tool", "arguments", "field"), WRONG_TYPES, ids=[f"{t}-{f}" for t, _, f in WRONG_TYPES])
async def test_a_wrong_type_or_value_names_the_argument_and_changes_nothing(
    served: str, owner: Account, tool: str, arguments: dict[str, Any], field: str
) -> None:
    """quantity 'abc', items that are not a list, due_date 2026-02-30 and the like: a
    validation_error naming the argument (in text and in errors[0].field), nothing stored."""
    async with http_client(served, owner.token) as client:
        before = await _total(client, owner.slug)
        text, error = await _refusal(client, tool, company_slug=owner.slug, **arguments)
        assert error["code"] == "validation_error"
        assert error["errors"][0]["field"] == field, error
        assert field in text
        assert await _total(client, owner.slug) == before


async def test_the_date_and_number_messages_say_what_is_expected(served: str, owner: Account) -> None:
    """An impossible date says it must be a real date YYYY-MM-DD; a non-number quantity says
    it must be a number."""
    async with http_client(served, owner.token) as client:
        text, _ = await _refusal(client, "create_invoice", company_slug=owner.slug, title="T", due_date="2026-02-30")
        assert "YYYY-MM-DD" in text
        text, _ = await _refusal(
            client,
            "invoice",
            action="create",
            company_slug=owner.slug,
            title="T",
            items=[{"description": "QA", "quantity": "abc", "unit_price": 100}],
        )
        assert "items[0].quantity" in text
        assert "number" in text


async def test_refused_transitions_give_the_current_status_and_the_allowed_actions(served: str, owner: Account) -> None:
    """mark_paid on a draft, update after send, cancel of a paid invoice: invalid_transition
    with the current status and allowed actions in the text and in structuredContent.error,
    and the invoice untouched."""
    slug = owner.slug
    async with http_client(served, owner.token) as client:
        draft = await invoice(client, "create", slug, title="Lifecycle", items=THREE_ITEMS, tax_rate=10)
        text, error = await _refusal(client, "invoice", action="mark_paid", company_slug=slug, uuid=draft["uuid"])
        assert (error["code"], error["action"], error["current_status"]) == ("invalid_transition", "mark_paid", "draft")
        assert error["allowed_actions"] == draft["allowed_actions"]
        assert {"update", "send", "cancel"} <= set(error["allowed_actions"])
        assert "draft" in text
        assert "send it first" in text
        assert all(action in text for action in error["allowed_actions"])

        await invoice(client, "send", slug, uuid=draft["uuid"], notify=False)
        text, error = await _refusal(
            client, "invoice", action="update", company_slug=slug, uuid=draft["uuid"], notes="late edit"
        )
        assert (error["code"], error["current_status"]) == ("invalid_transition", "sent")
        assert "update" not in error["allowed_actions"]
        assert "mark_paid" in error["allowed_actions"]
        assert "sent" in text
        assert all(action in text for action in error["allowed_actions"])
        assert (await invoice(client, "get", slug, uuid=draft["uuid"]))["notes"] == ""

        await invoice(client, "mark_paid", slug, uuid=draft["uuid"])
        text, error = await _refusal(client, "invoice", action="cancel", company_slug=slug, uuid=draft["uuid"])
        assert (error["code"], error["current_status"], error["allowed_actions"]) == (
            "invalid_transition",
            "paid",
            ["duplicate", "credit"],
        )
        assert "cannot cancel an invoice that is paid" in text
        assert "duplicate" in text
        text, error = await _refusal(client, "cancel_invoice", company_slug=slug, uuid=draft["uuid"])
        assert error["current_status"] == "paid"
        assert (await invoice(client, "get", slug, uuid=draft["uuid"]))["status"] == "paid"


async def test_unknown_workspace_invoice_client_and_tool_are_refused_as_not_found(served: str, owner: Account) -> None:
    """An unknown slug, invoice uuid or client uuid says not found; an unknown tool name is
    the protocol's invalid-params error (-32602) listing the tools."""
    missing = str(uuidlib.uuid4())
    async with http_client(served, owner.token) as client:
        text, error = await _refusal(client, "invoice", action="list", company_slug="no-such-workspace")
        assert error["code"] == "workspace_not_found"
        assert "no workspace" in text
        text, error = await _refusal(client, "workspace", action="get", company_slug="no-such-workspace")
        assert error["code"] == "workspace_not_found"
        text, error = await _refusal(client, "workspace", action="list", company_slug="no-such-workspace")
        assert error["code"] == "workspace_not_found", "a slug given is checked, never ignored"
        text, error = await _refusal(client, "invoice", action="get", company_slug=owner.slug, uuid=missing)
        assert error["code"] == "invoice_not_found"
        assert "no invoice" in text
        text, error = await _refusal(client, "client", action="get", company_slug=owner.slug, uuid=missing)
        assert error["code"] == "client_not_found"
        assert "no client" in text
        text, error = await _refusal(client, "create_invoice", company_slug=owner.slug, title="T", client_uuid=missing)
        assert (error["code"], error["field"]) == ("client_not_found", "client_uuid")

        text = await refused_as_unknown_tool(client, "create_invoice_pdf", {"company_slug": owner.slug})
        assert all(name in text for name in ALL_TOOLS), "the error lists the tools there are"


async def test_dry_run_shows_the_result_and_changes_nothing(served: str, new_account: NewAccount) -> None:
    """dry_run on create, update, send, mark_paid, cancel, delete, save_client and
    update_business_settings answers what would happen; get afterwards shows nothing changed
    (not even the next invoice number)."""
    owner = await new_account()
    slug = owner.slug
    async with http_client(served, owner.token) as client:
        preview = await invoice(client, "create", slug, title="Preview", items=THREE_ITEMS, tax_rate=10, dry_run=True)
        assert preview["dry_run"] is True
        assert (preview["invoice"]["total"], preview["invoice"]["status"]) == ("14190.00", "draft")
        assert await _total(client, slug) == 0

        draft = await invoice(client, "create", slug, title="Real", items=ITEM)
        acme = await call(client, "save_client", company_slug=slug, name="Acme", email="ap@acme.example")
        settings = await call(client, "get_business_settings", company_slug=slug)
        number = await call(client, "suggest_invoice_number", company_slug=slug)

        async def unchanged(target: dict[str, Any]) -> None:
            assert await invoice(client, "get", slug, uuid=target["uuid"]) == target

        would = await invoice(client, "update", slug, uuid=draft["uuid"], notes="Net 30", dry_run=True)
        assert (would["dry_run"], would["invoice"]["notes"]) == (True, "Net 30")
        await unchanged(draft)
        would = await invoice(client, "send", slug, uuid=draft["uuid"], to=["ap@acme.example"], dry_run=True)
        assert (would["invoice"]["status"], would["recipients"]) == ("sent", ["ap@acme.example"])
        assert would["invoice"]["number"] == number["number"]
        await unchanged(draft)
        assert await call(client, "suggest_invoice_number", company_slug=slug) == number
        would = await invoice(client, "cancel", slug, uuid=draft["uuid"], reason="test", dry_run=True)
        assert would["invoice"]["status"] == "cancelled"
        await unchanged(draft)
        would = await call(client, "delete_invoice", company_slug=slug, uuid=draft["uuid"], dry_run=True)
        assert (would["dry_run"], would["deleted"]) == (True, True)
        await unchanged(draft)

        sent = await invoice(client, "send", slug, uuid=draft["uuid"], notify=False)
        would = await invoice(client, "mark_paid", slug, uuid=sent["uuid"], dry_run=True)
        assert (would["invoice"]["status"], would["invoice"]["balance_due"]) == ("paid", "0.00")
        await unchanged(sent)

        would = await call(client, "save_client", company_slug=slug, uuid=acme["uuid"], name="Renamed", dry_run=True)
        assert (would["dry_run"], would["client"]["name"]) == (True, "Renamed")
        would = await call(client, "save_client", company_slug=slug, name="Globex", dry_run=True)
        assert would["client"]["name"] == "Globex"
        clients = await call(client, "list_clients", company_slug=slug)
        assert [(c["uuid"], c["name"]) for c in clients["items"]] == [(acme["uuid"], "Acme")]
        would = await call(client, "update_business_settings", company_slug=slug, payment_terms_days=7, dry_run=True)
        assert would["workspace"]["payment_terms_days"] == 7
        assert await call(client, "get_business_settings", company_slug=slug) == settings


async def test_idempotency_key_gives_one_effect_and_refuses_reuse_with_other_arguments(
    served: str, new_account: NewAccount
) -> None:
    """The same key twice: one invoice, the same uuid and answer; the same key with other
    arguments: idempotency_key_reused and nothing created; a retried send or payment acts
    once; a refused call does not use up its key."""
    owner = await new_account()
    slug = owner.slug
    async with http_client(served, owner.token) as client:
        first = await invoice(client, "create", slug, title="Once", items=ITEM, idempotency_key="create-once")
        second = await invoice(client, "create", slug, title="Once", items=ITEM, idempotency_key="create-once")
        assert second["uuid"] == first["uuid"]
        assert second == first
        assert await _total(client, slug) == 1
        text, error = await _refusal(
            client, "invoice", action="create", company_slug=slug, title="Other", idempotency_key="create-once"
        )
        assert (error["code"], error["field"]) == ("idempotency_key_reused", "idempotency_key")
        assert "idempotency key" in text
        assert await _total(client, slug) == 1
        granular = await call(
            client, "create_invoice", company_slug=slug, title="Once", items=ITEM, idempotency_key="create-once-2"
        )
        assert granular["uuid"] != first["uuid"], "another key is another request"

        uuid = first["uuid"]
        _, early = await _refusal(
            client, "invoice", action="mark_paid", company_slug=slug, uuid=uuid, amount=40, idempotency_key="pay-40"
        )
        assert early["code"] == "invalid_transition"
        for _ in range(2):
            sent = await invoice(client, "send", slug, uuid=uuid, idempotency_key="send-once", notify=False)
        assert [h["action"] for h in sent["history"]] == ["create", "finalize", "send"], "no second send or reminder"
        for _ in range(2):
            paid = await invoice(client, "mark_paid", slug, uuid=uuid, amount=40, idempotency_key="pay-40")
        assert (paid["amount_paid"], paid["balance_due"]) == ("40.00", "60.00")
        got = await invoice(client, "get", slug, uuid=uuid)
        assert [p["amount"] for p in got["payments"]] == ["40.00"], "the retried payment was recorded once"
