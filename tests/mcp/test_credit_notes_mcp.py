"""Credit notes through MCP (issue 21): "credit the two hours we billed twice on that paid
invoice". The person is asked first (as for a cancellation, and the question says it is a
credit note); once they agree the credit note is issued, the invoice answers its refund due,
the credit note is read and listed, and its PDF is a signed link that downloads."""

from __future__ import annotations

import httpx

from tests.mcp.conftest import NewAccount, Person, http_client
from tests.mcp.support import call, invoice


async def test_a_partial_credit_note_on_a_paid_invoice_through_mcp(served: str, new_account: NewAccount) -> None:
    account = await new_account(currency="EUR")
    person = Person()
    ws = {"company_slug": account.slug}
    async with http_client(served, account.token, person=person) as client:
        draft = await invoice(
            client, "create", account.slug, title="Sprint 12", tax_rate=19,
            items=[{"description": "Development", "quantity": 10, "unit_price": 120}],
        )  # fmt: skip
        await invoice(client, "send", account.slug, uuid=draft["uuid"], notify=False)
        paid = await invoice(client, "mark_paid", account.slug, uuid=draft["uuid"])
        assert (paid["status"], paid["total"]) == ("paid", "1428.00")
        asked_before = len(person.asked)
        credited = await call(
            client, "credit_note", action="create", invoice_uuid=draft["uuid"], reason="Two hours billed twice",
            lines=[{"line": 1, "quantity": 2}], **ws,
        )  # fmt: skip
        assert len(person.asked) == asked_before + 1, "the person confirms a credit note"
        assert "Issue a credit note of 285.60 EUR on invoice" in person.asked[-1].message
        assert (credited["status"], credited["credited"], credited["refund_due"]) == ("paid", "285.60", "285.60")
        note_uuid = credited["credit_notes"][0]["uuid"]
        note = await call(client, "credit_note", action="get", uuid=note_uuid, **ws)
        assert (note["invoice"]["number"], note["total"], note["lines"][0]["quantity"]) == (
            paid["number"],
            "285.60",
            "2",
        )
        listed = await call(client, "credit_note", action="list", invoice_uuid=draft["uuid"], **ws)
        assert [n["number"] for n in listed["items"]] == [note["number"]]
        answer = await client.call_tool("credit_note", {"action": "pdf", "uuid": note_uuid, **ws})
        assert not answer.is_error
        assert answer.structured_content is not None
        link = answer.structured_content
        assert answer.content[0].type == "resource_link"
        mailed = await call(client, "credit_note", action="send", uuid=note_uuid, to=["ap@client.example"], **ws)
        assert f"Email credit note {note['number']} of invoice" in person.asked[-1].message
        assert [(d["kind"], d["to"]) for d in mailed["deliveries"]] == [("credit_note", "ap@client.example")]
    assert link["filename"] == f"credit-note-{note['number']}.pdf"
    async with httpx.AsyncClient(timeout=30) as http:
        pdf = await http.get(link["url"])
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
