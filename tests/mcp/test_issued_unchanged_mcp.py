"""Nothing an assistant does changes an issued invoice or its credit note (issue 21): over
MCP, after it is sent and credited, every edit of it is refused (the action tool's update,
update_invoice, delete_invoice) while the client and the business settings may change; the
invoice's items, amounts and dates, and its credit note, stay as issued."""

from __future__ import annotations

from typing import Any

from tests.api.test_issued_documents_unchanged import issued
from tests.mcp.conftest import NewAccount, http_client
from tests.mcp.support import call, invoice, refused


async def test_no_tool_changes_an_issued_invoice_or_its_credit_note(served: str, new_account: NewAccount) -> None:
    account = await new_account(currency="EUR")
    ws = {"company_slug": account.slug}
    async with http_client(served, account.token) as client:
        acme = await call(client, "client", action="create", name="Acme AG", city="Zürich", **ws)
        draft = await invoice(
            client, "create", account.slug, title="Relaunch", client_uuid=acme["uuid"], tax_rate=19,
            items=[{"description": "Design", "quantity": 10, "unit_price": 120, "discount_percent": 5}],
        )  # fmt: skip
        await invoice(client, "send", account.slug, uuid=draft["uuid"], notify=False)
        credited = await call(
            client, "credit_note", action="create", invoice_uuid=draft["uuid"], reason="Goodwill", amount=50, **ws
        )
        note_uuid = credited["credit_notes"][0]["uuid"]
        note_before = await call(client, "credit_note", action="get", uuid=note_uuid, **ws)
        target = {"uuid": draft["uuid"], **ws}

        attempts: list[tuple[str, dict[str, Any]]] = [
            ("invoice", {"action": "update", "title": "Changed", **target}),
            ("invoice", {"action": "update", "items": [], **target}),
            ("update_invoice", {"notes": "late", **target}),
            ("delete_invoice", target),
            ("finalize_invoice", target),
        ]
        for tool, arguments in attempts:
            _, error = refused(await client.call_tool(tool, arguments))
            assert error["code"] == "invalid_transition", (tool, error)
        await call(client, "client", action="update", uuid=acme["uuid"], name="Acme Holding", city="Basel", **ws)
        await call(client, "update_business_settings", legal_name="Ada Studio SE", **ws)

        after = await invoice(client, "get", account.slug, uuid=draft["uuid"])
        note_after = await call(client, "credit_note", action="get", uuid=note_uuid, **ws)
    assert issued(after) == issued(credited)
    assert {**note_after, "client": None} == {**note_before, "client": None}
