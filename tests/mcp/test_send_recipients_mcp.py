"""Over MCP too, a send with nobody to email is a tool error that changes nothing (issue
18): the action-style ``invoice`` send and the granular ``send_invoice`` alike, through the
official SDK client against a served Billcraft; ``notify: false`` records the send."""

from __future__ import annotations

from typing import Any

from tests.mcp.conftest import Account, http_client
from tests.mcp.support import THREE_ITEMS, call, invoice, refused


async def test_a_send_with_nobody_to_email_is_refused_and_notify_false_records_it(served: str, owner: Account) -> None:
    """invoice send and send_invoice, with and without dry_run, for a draft without a client
    and one whose client has no email: a validation_error naming ``to`` that tells about
    notify false; the invoice (status, number, history, deliveries) and the next number are
    unchanged. Then notify false sends it, with no email."""
    slug = owner.slug
    async with http_client(served, owner.token) as client:
        paper = await call(client, "client", action="create", company_slug=slug, name="Paper only")
        drafts = [
            await invoice(client, "create", slug, title="No client", items=THREE_ITEMS),
            await invoice(client, "create", slug, title="No email", client_uuid=paper["uuid"], items=THREE_ITEMS),
        ]
        suggested = await call(client, "suggest_invoice_number", company_slug=slug)
        attempts: list[tuple[str, dict[str, Any]]] = [
            ("invoice", {"action": "send", "company_slug": slug}),
            ("invoice", {"action": "send", "company_slug": slug, "dry_run": True}),
            ("send_invoice", {"company_slug": slug, "message": "Hello"}),
            ("send_invoice", {"company_slug": slug, "to": []}),
        ]
        for draft in drafts:
            for tool, arguments in attempts:
                text, error = refused(await client.call_tool(tool, {**arguments, "uuid": draft["uuid"]}))
                assert error["code"] == "validation_error", error
                assert [e["field"] for e in error["errors"]] == ["to"], error
                assert "notify false" in text
                assert await invoice(client, "get", slug, uuid=draft["uuid"]) == draft, (tool, arguments)
        assert await call(client, "suggest_invoice_number", company_slug=slug) == suggested

        sent = await call(client, "send_invoice", company_slug=slug, uuid=drafts[0]["uuid"], notify=False)
        assert (sent["status"], sent["number"], sent["deliveries"]) == ("sent", suggested["number"], [])
        assert sent["history"][-1]["data"] == {"recipients": [], "notify": False}
        reminded = await invoice(client, "send", slug, uuid=drafts[0]["uuid"], notify=False)
        assert (reminded["history"][-1]["action"], reminded["deliveries"]) == ("remind", [])
