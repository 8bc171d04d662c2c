"""Helpers shared by the MCP tests: reading results the way a client does, the invoice JSON
keys of DESIGN section 3, and the GitScrum billing workflow run on any transport."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

ACTION_TOOLS = {"workspace", "client", "invoice", "credit_note", "received_invoice"}
GRANULAR_TOOLS = {
    "create_invoice",
    "update_invoice",
    "delete_invoice",
    "duplicate_invoice",
    "create_invoice_from_previous",
    "get_invoice",
    "get_invoice_pdf",
    "get_invoice_einvoice",
    "validate_invoice_einvoice",
    "list_invoices",
    "suggest_invoice_number",
    "finalize_invoice",
    "send_invoice",
    "mark_invoice_paid",
    "cancel_invoice",
    "get_billing_analytics",
    "list_clients",
    "save_client",
    "get_business_settings",
    "update_business_settings",
}
ALL_TOOLS = ACTION_TOOLS | GRANULAR_TOOLS

# DESIGN section 3: the invoice JSON of REST and MCP alike.
INVOICE_KEYS = {
    "uuid",
    "number",
    "title",
    "status",
    "client",
    "currency",
    "issue_date",
    "due_date",
    "notes",
    "tax_rate",
    "items",
    "subtotal",
    "tax_amount",
    "total",
    "amount_paid",
    "balance_due",
    "finalized_at",
    "sent_at",
    "paid_at",
    "cancelled_at",
    "cancel_reason",
    "payments",
    "history",
    "deliveries",
    "public_url",
    "created_at",
    "updated_at",
}
ITEM_KEYS = {"description", "quantity", "unit_price", "tax_rate", "amount"}
PAYMENT_KEYS = {"uuid", "amount", "payment_date", "payment_method"}
DELIVERY_KEYS = {"to", "status", "sent_at", "opened_at", "bounced_at", "reason"}
LIST_KEYS = {"items", "total", "page", "per_page", "has_more"}

THREE_ITEMS = [
    {"description": "UX Design", "quantity": 20, "unit_price": 120},
    {"description": "Frontend Dev", "quantity": 60, "unit_price": 150},
    {"description": "QA Testing", "quantity": 15, "unit_price": 100},
]


def text_of(result: types.CallToolResult) -> str:
    assert len(result.content) == 1, result.content
    content = result.content[0]
    assert isinstance(content, types.TextContent), content
    return content.text


def ok(result: types.CallToolResult) -> Any:
    """The value of a successful call: it carries structuredContent and the same JSON as text."""
    text = text_of(result)
    assert not result.is_error, text
    assert result.structured_content is not None
    assert result.structured_content == json.loads(text), "structuredContent and text disagree"
    return result.structured_content


def refused(result: types.CallToolResult) -> tuple[str, dict[str, Any]]:
    """A refusal: a tool error (never a protocol error) with a text and a structured error."""
    assert result.is_error, f"expected a tool error, got {result.content}"
    text = text_of(result)
    assert result.structured_content is not None
    error = result.structured_content["error"]
    assert error["code"] in text, (text, error)
    assert error["detail"] in text, (text, error)
    return text, error


async def refused_as_unknown_tool(client: Client, name: str, arguments: dict[str, Any]) -> str:
    """A call to a tool the server does not have: the JSON-RPC invalid-params error the
    specification prescribes (-32602), not a tool result; its message."""
    with pytest.raises(MCPError) as raised:
        await client.call_tool(name, arguments)
    assert raised.value.code == INVALID_PARAMS, raised.value
    assert name in raised.value.message
    return raised.value.message


def assert_invoice_shape(invoice: dict[str, Any]) -> None:
    """The invoice JSON has every key of DESIGN section 3, in items, payments and deliveries too."""
    assert invoice.keys() >= INVOICE_KEYS, f"missing keys: {INVOICE_KEYS - invoice.keys()}"
    for item in invoice["items"]:
        assert item.keys() >= ITEM_KEYS, item
    for payment in invoice["payments"]:
        assert payment.keys() >= PAYMENT_KEYS, payment
    for delivery in invoice["deliveries"]:
        assert delivery.keys() >= DELIVERY_KEYS, delivery
    if invoice["client"] is not None:
        assert {"uuid", "name"} <= invoice["client"].keys()


def today() -> dt.date:
    """Today in UTC: the test workspaces' time zone, so 'today' on the server too."""
    return dt.datetime.now(dt.UTC).date()


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return ok(await client.call_tool(tool, arguments))


async def invoice(client: Client, action: str, slug: str, **arguments: Any) -> Any:
    return await call(client, "invoice", action=action, company_slug=slug, **arguments)


async def gitscrum_workflow(client: Client, slug: str) -> None:
    """The GitScrum invoice docs' billing workflow through the ``invoice`` tool: create a
    three-item invoice with 10% tax and a due date, review it, add a note, send it, find it
    among the sent ones, record a wire transfer, see it in the stats; then the docs' second
    prompt (80 h frontend at 150, 20 h design at 120, 10% tax)."""
    acme = await call(client, "client", action="create", company_slug=slug, name="Acme Corp", email="ap@acme.example")
    due = (today() + dt.timedelta(days=30)).isoformat()

    created = await invoice(
        client,
        "create",
        slug,
        title="Acme Corp website project",
        client_uuid=acme["uuid"],
        items=THREE_ITEMS,
        tax_rate=10,
        due_date=due,
    )
    assert_invoice_shape(created)
    assert (created["subtotal"], created["tax_amount"], created["total"]) == ("12900.00", "1290.00", "14190.00")
    assert [i["amount"] for i in created["items"]] == ["2400.00", "9000.00", "1500.00"]
    assert [i["description"] for i in created["items"]] == ["UX Design", "Frontend Dev", "QA Testing"]
    assert (created["status"], created["number"], created["due_date"]) == ("draft", None, due)
    assert (created["currency"], created["balance_due"], created["amount_paid"]) == ("USD", "14190.00", "0.00")
    assert created["client"] == {"uuid": acme["uuid"], "name": "Acme Corp"}
    uuid = created["uuid"]

    fetched = await invoice(client, "get", slug, uuid=uuid)
    assert_invoice_shape(fetched)
    assert fetched == created

    note = "Payment via bank transfer to account ending 4521"
    updated = await invoice(client, "update", slug, uuid=uuid, notes=note)
    assert updated["notes"] == note
    assert updated["total"] == "14190.00", "a note changes no amount"
    assert (await invoice(client, "get", slug, uuid=uuid))["notes"] == note

    sent = await invoice(client, "send", slug, uuid=uuid)
    assert sent["status"] == "sent"
    assert sent["number"]
    assert sent["number"].startswith("INV-")
    assert sent["sent_at"]
    assert sent["finalized_at"]
    assert [d["to"] for d in sent["deliveries"]] in ([], ["ap@acme.example"])

    unpaid = await invoice(client, "list", slug, status="sent")
    assert unpaid.keys() >= LIST_KEYS
    assert uuid in [row["uuid"] for row in unpaid["items"]]
    assert all(row["status"] == "sent" for row in unpaid["items"])
    drafts = await invoice(client, "list", slug, status="draft")
    assert uuid not in [row["uuid"] for row in drafts["items"]]
    for_acme = await invoice(client, "list", slug, client_uuid=acme["uuid"])
    assert [row["uuid"] for row in for_acme["items"]] == [uuid]

    paid = await invoice(client, "mark_paid", slug, uuid=uuid, payment_method="Wire transfer")
    assert_invoice_shape(paid)
    assert (paid["status"], paid["balance_due"], paid["amount_paid"]) == ("paid", "0.00", "14190.00")
    assert [(p["amount"], p["payment_method"]) for p in paid["payments"]] == [("14190.00", "Wire transfer")]
    assert paid["payments"][0]["payment_date"] == today().isoformat()
    assert paid["paid_at"]
    history = [(h["action"], h["channel"]) for h in paid["history"]]
    assert history == [("create", "mcp"), ("update", "mcp"), ("finalize", "mcp"), ("send", "mcp"), ("payment", "mcp")]

    stats = await invoice(client, "stats", slug)
    usd = {c["currency"]: c for c in stats["currencies"]}["USD"]
    assert usd["total_paid"] == "14190.00"
    assert usd["total_outstanding"] == "0.00"
    assert stats["counts_by_status"]["paid"] == 1

    phase1 = await invoice(
        client,
        "create",
        slug,
        title="Phase 1 delivery",
        client_uuid=acme["uuid"],
        items=[
            {"description": "Frontend development", "quantity": 80, "unit_price": 150},
            {"description": "Design", "quantity": 20, "unit_price": 120},
        ],
        tax_rate=10,
        due_date=due,
    )
    assert (phase1["subtotal"], phase1["tax_amount"], phase1["total"]) == ("14400.00", "1440.00", "15840.00")
    assert phase1["status"] == "draft"


def plain(schema: dict[str, Any]) -> dict[str, Any]:
    """An argument's schema without its "or null" (strict mode's way to say optional)."""
    if "anyOf" in schema:
        choice = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return {**choice, "description": schema.get("description", "")}
    kind = schema.get("type")
    if isinstance(kind, list):
        return {**schema, "type": next(t for t in kind if t != "null")}
    return schema


def truly_required(schema: dict[str, Any]) -> list[str]:
    """The arguments a call must give: required and not nullable (strict mode lists every
    property as required and marks the optional ones nullable)."""
    properties = schema["properties"]
    return [name for name in schema.get("required", []) if plain(properties[name]) is properties[name]]


async def globex_draft(client: Client, slug: str, email: str) -> dict[str, Any]:
    """A draft of 1,200.00 (10 x 120) for a new client "Globex" whose email is ``email``."""
    customer = await call(client, "client", action="create", company_slug=slug, name="Globex", email=email)
    items = [{"description": "Design sprint", "quantity": "10", "unit_price": "120"}]
    return await invoice(client, "create", slug, title="Website", client_uuid=customer["uuid"], items=items)
