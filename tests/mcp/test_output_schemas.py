"""Typed results: every tool declares an ``outputSchema``, and what each tool and action
answers validates against it, checked here with ``jsonschema`` on real calls of every one
of them (the dry runs too, whose shapes differ) over Streamable HTTP, besides the SDK
client's own check of every result in every other MCP test."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from mcp import Client

from tests.api.einvoice_support import KIT
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import ALL_TOOLS

ITEMS = [{"description": "Design", "quantity": 2, "unit_price": "120.00"}]


class Checked:
    """Calls tools and validates each answer against the tool's declared output schema."""

    def __init__(self, client: Client, schemas: dict[str, dict[str, Any]]) -> None:
        self.client, self.schemas = client, schemas
        self.covered: set[tuple[str, str | None]] = set()

    async def __call__(self, tool: str, **arguments: Any) -> Any:
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error, (tool, arguments, result.content)
        assert result.structured_content is not None
        errors = sorted(Draft202012Validator(self.schemas[tool]).iter_errors(result.structured_content), key=str)
        assert not errors, (tool, arguments.get("action"), [e.message for e in errors[:3]])
        self.covered.add((tool, arguments.get("action")))
        return result.structured_content


async def test_every_tool_and_action_answers_as_its_output_schema_says(
    served: str, owner: Account, new_account: NewAccount
) -> None:
    other = await new_account()
    async with http_client(served, owner.token) as client:
        tools = (await client.list_tools()).tools
        assert {t.name for t in tools} == ALL_TOOLS
        schemas = {t.name: t.output_schema for t in tools}
        assert all(schema and schema["type"] == "object" for schema in schemas.values()), "every tool declares one"
        for schema in schemas.values():
            Draft202012Validator.check_schema(schema)
        call = Checked(client, {name: schema for name, schema in schemas.items() if schema})
        slug = owner.slug
        ws = {"company_slug": slug}

        await call("workspace", action="list")
        await call("workspace", action="get", **ws)
        await call("workspace", action="stats")
        await call("workspace", action="list_members", **ws)
        await call("workspace", action="add_member", email=other.email, dry_run=True, **ws)
        added = await call("workspace", action="add_member", email=other.email, **ws)
        await call("workspace", action="change_role", user_uuid=added["user_uuid"], role="viewer", dry_run=True, **ws)
        await call("workspace", action="change_role", user_uuid=added["user_uuid"], role="viewer", **ws)
        await call("workspace", action="remove_member", user_uuid=added["user_uuid"], dry_run=True, **ws)
        await call("workspace", action="remove_member", user_uuid=added["user_uuid"], **ws)
        await call("get_business_settings", **ws)
        await call("update_business_settings", payment_terms_days=21, dry_run=True, **ws)
        await call("update_business_settings", payment_terms_days=21, **ws)

        await call("client", action="create", name="Acme", email="billing@acme.example", dry_run=True, **ws)
        acme = await call("client", action="create", name="Acme", email="billing@acme.example", **ws)
        await call("client", action="list", **ws)
        await call("client", action="get", uuid=acme["uuid"], **ws)
        await call("client", action="update", uuid=acme["uuid"], notes="VIP", dry_run=True, **ws)
        await call("client", action="update", uuid=acme["uuid"], notes="VIP", **ws)
        await call("list_clients", **ws)
        await call("save_client", uuid=acme["uuid"], phone="+49 30 1234", **ws)

        draft = await call("invoice", action="create", title="Sprint", client_uuid=acme["uuid"], items=ITEMS, **ws)
        await call("invoice", action="create", title="Rehearsed", items=ITEMS, dry_run=True, **ws)
        await call("invoice", action="list", **ws)
        await call("invoice", action="get", uuid=draft["uuid"], **ws)
        await call("invoice", action="update", uuid=draft["uuid"], notes="Thanks", **ws)
        await call("invoice", action="stats", **ws)
        await call("invoice", action="send", uuid=draft["uuid"], notify=False, dry_run=True, **ws)
        await call("invoice", action="send", uuid=draft["uuid"], notify=False, **ws)
        await call("invoice", action="mark_paid", uuid=draft["uuid"], amount="10.00", **ws)
        await call("invoice", action="cancel", uuid=draft["uuid"], dry_run=True, **ws)
        await call("invoice", action="cancel", uuid=draft["uuid"], **ws)

        second = await call("create_invoice", title="Second", items=ITEMS, **ws)
        await call("update_invoice", uuid=second["uuid"], title="Second, renamed", **ws)
        await call("get_invoice", uuid=second["uuid"], **ws)
        await call("list_invoices", **ws)
        await call("suggest_invoice_number", **ws)
        await call("get_invoice_pdf", uuid=second["uuid"], **ws)
        await call("duplicate_invoice", uuid=second["uuid"], **ws)
        await call("create_invoice_from_previous", client_uuid=acme["uuid"], **ws)
        await call("delete_invoice", uuid=second["uuid"], dry_run=True, **ws)
        await call("delete_invoice", uuid=second["uuid"], **ws)
        third = await call("create_invoice", title="Third", items=ITEMS, **ws)
        await call("finalize_invoice", uuid=third["uuid"], **ws)
        await call("send_invoice", uuid=third["uuid"], notify=False, **ws)
        await call("mark_invoice_paid", uuid=third["uuid"], **ws)
        goodwill = {"invoice_uuid": third["uuid"], "reason": "Goodwill", "amount": "10", **ws}
        await call("credit_note", action="create", dry_run=True, **goodwill)
        credited = await call("credit_note", action="create", **goodwill)
        note = credited["credit_notes"][0]["uuid"]
        await call("credit_note", action="list", **ws)
        await call("credit_note", action="get", uuid=note, **ws)
        await call("credit_note", action="pdf", uuid=note, **ws)
        await call("credit_note", action="send", uuid=note, to=["ap@acme.example"], dry_run=True, **ws)
        await call("credit_note", action="send", uuid=note, to=["ap@acme.example"], **ws)
        await call("credit_note", action="refund", invoice_uuid=third["uuid"], dry_run=True, **ws)
        await call("credit_note", action="refund", invoice_uuid=third["uuid"], **ws)
        fourth = await call("create_invoice", title="Fourth", items=ITEMS, **ws)
        await call("cancel_invoice", uuid=fourth["uuid"], reason="Not needed", **ws)
        await call("get_billing_analytics", **ws)

        # E-invoices: a seller and a client with what EN 16931 asks, an invoice checked, issued
        # and downloaded as Factur-X, its credit note too; a supplier's file received.
        seller = {"country": "DE", "legal_name": "Agency GmbH", "address": "Friedrichstraße 1\n10117 Berlin",
                  "tax_id": "DE136695976"}  # fmt: skip
        await call("update_business_settings", **seller, **ws)
        await call("save_client", uuid=acme["uuid"], address_line1="Hauptstraße 2", city="Berlin",
                   postal_code="10115", country="DE", **ws)  # fmt: skip
        fifth = await call("create_invoice", title="Fifth", client_uuid=acme["uuid"], items=ITEMS, tax_rate=19, **ws)
        await call("validate_invoice_einvoice", uuid=fifth["uuid"], format="xrechnung-ubl", **ws)
        await call("send_invoice", uuid=fifth["uuid"], notify=False, **ws)
        await call("get_invoice_einvoice", uuid=fifth["uuid"], format="facturx", **ws)
        credited = await call("credit_note", action="create", invoice_uuid=fifth["uuid"], reason="Goodwill",
                              amount="10", **ws)  # fmt: skip
        await call("credit_note", action="einvoice", uuid=credited["credit_notes"][0]["uuid"], format="facturx", **ws)
        sample = (KIT / "samples" / "valid" / "xrechnung-cii-invoice.xml").read_text()
        received = await call("received_invoice", action="import", content=sample, filename="supplier.xml", **ws)
        await call("received_invoice", action="list", **ws)
        await call("received_invoice", action="get", uuid=received["uuid"], **ws)

    every = {(t.name, None) for t in tools if "action" not in t.input_schema["properties"]} | {
        (t.name, action) for t in tools for action in t.input_schema["properties"].get("action", {}).get("enum", [])
    }
    assert call.covered == every, sorted(every - call.covered)
