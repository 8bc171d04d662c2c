"""The Billstride page's draft-first flow through the 18 granular tools, over Streamable HTTP
against the served process: a client, a EUR draft with 19% VAT, the PDF (embedded, with
its download link), finalize, send with a message, copies, deletion of drafts only, analytics,
business settings, edits and the end of the lifecycle."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import mcp_types as types
from mcp import Client

from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import LIST_KEYS, assert_invoice_shape, call, refused, today

CONSULTING = [{"description": "Consulting", "quantity": 10, "unit_price": 120}]


async def _draft(client: Client, slug: str, client_uuid: str) -> dict[str, Any]:
    """'Create an invoice for Acme Corp. 10 hours of consulting at EUR 120/hour, 19% VAT'."""
    return await call(
        client,
        "create_invoice",
        company_slug=slug,
        title="Consulting October",
        client_uuid=client_uuid,
        currency="EUR",
        items=CONSULTING,
        tax_rate=19,
    )


async def test_billstride_draft_finalize_send_copy_and_settle_through_granular_tools(
    served: str, new_account: NewAccount
) -> None:
    """Every granular tool on its happy path (the PDF embedded with its link), with the values
    the server computed: 1200.00 + 19% VAT = 1428.00 EUR; the number suggested is the number
    finalize assigns; copies are numberless drafts; only never-finalized drafts are deleted."""
    owner: Account = await new_account(currency="EUR")
    slug = owner.slug
    async with http_client(served, owner.token) as client:
        acme = await call(client, "save_client", company_slug=slug, name="Acme GmbH", email="billing@acme.example")
        renamed = await call(
            client, "save_client", company_slug=slug, uuid=acme["uuid"], name="Acme GmbH & Co. KG", country="de"
        )
        assert (renamed["uuid"], renamed["name"], renamed["country"]) == (acme["uuid"], "Acme GmbH & Co. KG", "DE")
        assert renamed["email"] == "billing@acme.example", "fields not given stay as they were"
        clients = await call(client, "list_clients", company_slug=slug)
        assert clients.keys() >= LIST_KEYS
        assert [(c["uuid"], c["name"]) for c in clients["items"]] == [(acme["uuid"], "Acme GmbH & Co. KG")]
        found = await call(client, "list_clients", company_slug=slug, search="acme")
        assert found["total"] == 1

        draft = await _draft(client, slug, acme["uuid"])
        assert_invoice_shape(draft)
        assert (draft["subtotal"], draft["tax_amount"], draft["total"]) == ("1200.00", "228.00", "1428.00")
        assert (draft["currency"], draft["status"], draft["number"], draft["tax_rate"]) == ("EUR", "draft", None, "19")
        uuid = draft["uuid"]
        assert await call(client, "get_invoice", company_slug=slug, uuid=uuid) == draft

        pdf = await client.call_tool("get_invoice_pdf", {"company_slug": slug, "uuid": uuid, "embed": True})
        assert not pdf.is_error, pdf.content
        embedded = [c for c in pdf.content if isinstance(c, types.EmbeddedResource)]
        assert len(embedded) == 1
        blob = embedded[0].resource
        assert isinstance(blob, types.BlobResourceContents)
        assert blob.mime_type == "application/pdf"
        assert base64.b64decode(blob.blob).startswith(b"%PDF-")
        assert str(blob.uri).endswith(f"/invoices/{uuid}/pdf")
        assert pdf.structured_content["draft_watermark"] is True
        link = [c.text for c in pdf.content if isinstance(c, types.TextContent)]
        assert len(link) == 1
        assert pdf.structured_content["url"] in link[0], "the download link is given too"

        suggested = await call(client, "suggest_invoice_number", company_slug=slug)
        assert suggested["number"].startswith(f"INV-{today().year}-")
        finalized = await call(client, "finalize_invoice", company_slug=slug, uuid=uuid)
        assert finalized["number"] == suggested["number"]
        assert (finalized["status"], finalized["total"]) == ("draft", "1428.00")
        assert finalized["finalized_at"] is not None
        assert "update" not in finalized["allowed_actions"]
        assert "send" in finalized["allowed_actions"]
        after = await call(client, "suggest_invoice_number", company_slug=slug)
        assert after["number"] != finalized["number"], "a taken number is not suggested again"

        sent = await call(
            client,
            "send_invoice",
            company_slug=slug,
            uuid=uuid,
            to=["billing@acme.example"],
            message="A friendly reminder: thank you for your business!",
        )
        assert (sent["status"], sent["number"]) == ("sent", finalized["number"])
        event = sent["history"][-1]
        assert (event["action"], event["channel"]) == ("send", "mcp")
        assert event["data"]["recipients"] == ["billing@acme.example"]
        assert event["data"]["message"] == "A friendly reminder: thank you for your business!"

        copy = await call(client, "duplicate_invoice", company_slug=slug, uuid=uuid)
        assert copy["uuid"] != uuid
        assert (copy["status"], copy["number"], copy["total"]) == ("draft", None, "1428.00")
        assert [i["description"] for i in copy["items"]] == ["Consulting"]
        assert copy["client"] == {"uuid": acme["uuid"], "name": "Acme GmbH & Co. KG"}

        again = await call(client, "create_invoice_from_previous", company_slug=slug, client_uuid=acme["uuid"])
        assert again["uuid"] not in (uuid, copy["uuid"])
        assert (again["status"], again["number"], again["total"], again["currency"]) == (
            "draft",
            None,
            "1428.00",
            "EUR",
        )
        assert again["client"]["uuid"] == acme["uuid"]

        deleted = await call(client, "delete_invoice", company_slug=slug, uuid=copy["uuid"])
        assert (deleted["deleted"], deleted["invoice"]["uuid"]) == (True, copy["uuid"])
        _, gone = refused(await client.call_tool("get_invoice", {"company_slug": slug, "uuid": copy["uuid"]}))
        assert gone["code"] == "invoice_not_found"
        text, kept = refused(await client.call_tool("delete_invoice", {"company_slug": slug, "uuid": uuid}))
        assert (kept["code"], kept["current_status"]) == ("invalid_transition", "sent")
        assert "cancel" in kept["allowed_actions"]
        assert "cancel" in text
        assert (await call(client, "get_invoice", company_slug=slug, uuid=uuid))["status"] == "sent"

        settings = await call(client, "get_business_settings", company_slug=slug)
        assert (settings["company_slug"], settings["default_currency"]) == (slug, "EUR")
        changed = await call(
            client, "update_business_settings", company_slug=slug, payment_terms_days=14, legal_name="Ada Studio SARL"
        )
        assert (changed["payment_terms_days"], changed["legal_name"]) == (14, "Ada Studio SARL")
        reread = await call(client, "get_business_settings", company_slug=slug)
        assert (reread["payment_terms_days"], reread["legal_name"]) == (14, "Ada Studio SARL")
        net14 = await call(client, "create_invoice", company_slug=slug, title="Net 14", items=CONSULTING)
        issued = dt.date.fromisoformat(net14["issue_date"])
        assert dt.date.fromisoformat(net14["due_date"]) - issued == dt.timedelta(days=14)

        due = (issued + dt.timedelta(days=30)).isoformat()
        edited = await call(
            client, "update_invoice", company_slug=slug, uuid=again["uuid"], due_date=due, title="Consulting November"
        )
        assert (edited["due_date"], edited["title"], edited["total"]) == (due, "Consulting November", "1428.00")

        drafts = await call(client, "list_invoices", company_slug=slug, status="draft")
        assert {row["uuid"] for row in drafts["items"]} == {again["uuid"], net14["uuid"]}
        everything = await call(client, "list_invoices", company_slug=slug)
        assert everything["total"] == 3

        cancelled = await call(
            client, "cancel_invoice", company_slug=slug, uuid=net14["uuid"], reason="Sent by mistake"
        )
        assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Sent by mistake")
        assert cancelled["cancelled_at"] is not None

        paid = await call(
            client,
            "mark_invoice_paid",
            company_slug=slug,
            uuid=uuid,
            amount=428,
            payment_date=today().isoformat(),
            payment_method="SEPA transfer",
        )
        assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("sent", "428.00", "1000.00")
        paid = await call(client, "mark_invoice_paid", company_slug=slug, uuid=uuid)
        assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", "1428.00", "0.00")
        assert [p["amount"] for p in paid["payments"]] == ["428.00", "1000.00"]

        analytics = await call(client, "get_billing_analytics", company_slug=slug)
        eur = {c["currency"]: c for c in analytics["currencies"]}["EUR"]
        assert eur["total_paid"] == "1428.00"
        assert analytics["counts_by_status"] == {"draft": 1, "sent": 0, "paid": 1, "overdue": 0, "cancelled": 1}
        assert analytics["billable_finalizations"] == 1
        mine = await call(client, "get_billing_analytics")
        assert slug in mine["workspaces"]
