"""Prompts, resources and completions, through the SDK's client over Streamable HTTP: the
seed workflows as prompts with their arguments filled in; invoices and clients readable by
their ``billcraft://`` address, the same JSON as the tools give, and not found for a
stranger; completions for the workspace slug, client names and invoices."""

from __future__ import annotations

import json

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import call

ITEMS = [{"description": "Consulting", "quantity": 10, "unit_price": "120.00", "tax_rate": "19"}]


async def test_the_seed_workflows_are_prompts_with_their_arguments_filled_in(served: str, owner: Account) -> None:
    async with http_client(served, owner.token) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(listed) == {"invoice_client_for_hours", "chase_overdue_invoices", "month_end_billing_review"}
        hours = listed["invoice_client_for_hours"]
        assert [a.name for a in hours.arguments or [] if a.required] == ["company_slug", "client", "hours", "rate"]
        got = await client.get_prompt(
            "invoice_client_for_hours",
            {"company_slug": owner.slug, "client": "Acme Corp", "hours": "10", "rate": "120", "tax_rate": "19"},
        )
        text = got.messages[0].content
        assert isinstance(text, types.TextContent)
        assert f"workspace {owner.slug}, invoice Acme Corp for 10 hours" in text.text
        assert "plus 19% tax" in text.text
        assert "dry_run true" in text.text, "the prompt has the assistant show a send before making it"
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("chase_overdue_invoices", {})
        assert "company_slug is required" in str(missing.value)


async def test_an_invoice_and_a_client_read_as_resources_are_what_the_tools_give(
    served: str, owner: Account, new_account: NewAccount
) -> None:
    stranger = await new_account()
    async with http_client(served, owner.token) as client:
        acme = await call(client, "client", action="create", company_slug=owner.slug, name="Acme Corp")
        invoice = await call(
            client, "create_invoice", company_slug=owner.slug, title="Hours", client_uuid=acme["uuid"], items=ITEMS
        )
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        assert "billcraft://{company_slug}/invoices/{uuid}" in templates
        address = f"billcraft://{owner.slug}/invoices/{invoice['uuid']}"
        read = await client.read_resource(address)
        content = read.contents[0]
        assert isinstance(content, types.TextResourceContents)
        assert content.mime_type == "application/json"
        assert json.loads(content.text) == await call(
            client, "get_invoice", company_slug=owner.slug, uuid=invoice["uuid"]
        )
        pdf = (await client.read_resource(address + "/pdf")).contents[0]
        assert isinstance(pdf, types.BlobResourceContents)
        assert pdf.mime_type == "application/pdf"
        person = (await client.read_resource(f"billcraft://{owner.slug}/clients/{acme['uuid']}")).contents[0]
        assert isinstance(person, types.TextResourceContents)
        assert json.loads(person.text)["name"] == "Acme Corp"
        recent = [str(r.uri) for r in (await client.list_resources()).resources]
        assert address in recent

        slugs = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri=templates[0]),
            {"name": "company_slug", "value": owner.slug[:4]},
        )
        assert owner.slug in slugs.completion.values
        named = await client.complete(
            types.PromptReference(type="ref/prompt", name="invoice_client_for_hours"),
            {"name": "client", "value": "acm"},
            {"company_slug": owner.slug},
        )
        assert named.completion.values == ["Acme Corp"]
        numbered = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri=templates[0]),
            {"name": "uuid", "value": "hours"},
            {"company_slug": owner.slug},
        )
        assert invoice["uuid"] in numbered.completion.values

    async with http_client(served, stranger.token) as theirs:
        with pytest.raises(MCPError) as refused:
            await theirs.read_resource(address)
        assert refused.value.error.code == -32002
        assert owner.slug not in (await theirs.complete(
            types.ResourceTemplateReference(type="ref/resource", uri=templates[0]),
            {"name": "company_slug", "value": ""},
        )).completion.values  # fmt: skip
