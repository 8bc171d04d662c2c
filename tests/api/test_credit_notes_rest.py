"""Credit notes through REST (issue 21): a partial credit note on a paid invoice, issued once
under an Idempotency-Key, answered with the whole invoice and its refund due; the credit
note read, listed and printed with its reference to the invoice's number and date; a
stranger gets 404; a cancelled finalized invoice has its credit note for all of it."""

from __future__ import annotations

import uuid
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import Caller
from tests.api.test_vat_rest import keep, words


async def _paid_invoice(caller: Caller) -> dict[str, str]:
    created = await caller.post(
        "/invoices",
        {
            "title": "Sprint 12",
            "currency": "EUR",
            "tax_rate": 19,
            "items": [
                {"description": "Development", "quantity": 10, "unit_price": 120},
                {"description": "Hosting", "quantity": 1, "unit_price": 50},
            ],
        },
    )
    uuid_ = created.json()["uuid"]
    await caller.post(f"/invoices/{uuid_}/send", {"notify": False})
    paid = await caller.post(f"/invoices/{uuid_}/payments", {})
    assert paid.json()["status"] == "paid", paid.text
    return paid.json()


async def test_a_credit_note_on_a_paid_invoice_is_issued_once_read_listed_and_printed(
    caller: Caller, stranger: Caller, client: AsyncTestClient[Litestar], tmp_path: Path
) -> None:
    invoice = await _paid_invoice(caller)
    # 1,250.00 + 19% = 1,487.50. Two hours credited: 240.00 + 45.60 = 285.60 back.
    assert invoice["total"] == "1487.50"
    body = {"reason": "Two hours billed twice", "lines": [{"line": 1, "quantity": 2}]}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await caller.post(f"/invoices/{invoice['uuid']}/credit-notes", body, headers=key)
    assert first.status_code == 201, first.text
    again = await caller.post(f"/invoices/{invoice['uuid']}/credit-notes", body, headers=key)
    assert again.json() == first.json(), "a retry with the same key answers the first result"
    credited = first.json()
    assert (credited["status"], credited["credited"], credited["refund_due"]) == ("paid", "285.60", "285.60")
    [ref] = credited["credit_notes"]

    note = (await caller.get(f"/credit-notes/{ref['uuid']}")).json()
    assert note["invoice"] == {
        "uuid": invoice["uuid"], "number": invoice["number"], "issue_date": invoice["issue_date"],
    }  # fmt: skip
    assert (note["number"], note["total"], note["reason"]) == (ref["number"], "285.60", "Two hours billed twice")
    listed = (await caller.get("/credit-notes", params={"invoice_uuid": invoice["uuid"]})).json()
    assert [n["number"] for n in listed["items"]] == [note["number"]]

    pdf = await caller.get(f"/credit-notes/{ref['uuid']}/pdf")
    assert pdf.status_code == 200
    assert f'filename="credit-note-{note["number"]}.pdf"' in pdf.headers["content-disposition"]
    keep("credit-note.pdf", pdf.content)
    text = words(pdf.content, tmp_path)
    for printed in (
        "Credit note",
        f"Credit note for invoice {invoice['number']} of",
        f"Corrects invoice {invoice['number']}",
        "Development 2 €120.00 €240.00",
        "VAT 19% on €240.00 €45.60",
        "Total credited €285.60",
        "Two hours billed twice",
    ):
        assert printed in text, (printed, text)

    hidden = await client.get(stranger.url(f"/credit-notes/{ref['uuid']}"), headers=stranger.headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "credit_note_not_found"


async def test_too_much_is_refused_as_a_problem_and_cancel_credits_a_sent_invoice(caller: Caller) -> None:
    created = await caller.post("/invoices", {"title": "Audit", "items": [{"description": "Audit", "quantity": 1,
                                                                            "unit_price": 100}]})  # fmt: skip
    uuid_ = created.json()["uuid"]
    await caller.post(f"/invoices/{uuid_}/send", {"notify": False})
    refused = await caller.post(f"/invoices/{uuid_}/credit-notes", {"reason": "Too much", "amount": "100.01"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "amount", "message": "more than is left to credit at category S 0% (100.00 USD net left)"}
    ]
    cancelled = (await caller.post(f"/invoices/{uuid_}/cancel", {"reason": "Ordered twice"})).json()
    assert (cancelled["status"], cancelled["credited"], len(cancelled["credit_notes"])) == ("cancelled", "100.00", 1)
    assert [h["action"] for h in cancelled["history"]][-2:] == ["credit", "cancel"]


async def test_the_client_reads_a_credit_note_at_its_public_address_without_an_account(
    caller: Caller, client: AsyncTestClient[Litestar]
) -> None:
    invoice = await _paid_invoice(caller)
    credited = await caller.post(f"/invoices/{invoice['uuid']}/credit-notes", {"reason": "Hosting refunded",
                                                                              "lines": [{"line": 2}]})  # fmt: skip
    note = (await caller.get(f"/credit-notes/{credited.json()['credit_notes'][0]['uuid']}")).json()
    path = note["public_url"].split("://", 1)[1].split("/", 1)[1]
    page = await client.get(f"/{path}")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for shown in (note["number"], invoice["number"], "Hosting refunded", "€59.50"):
        assert shown in page.text, shown
    pdf = await client.get(f"/{path}/pdf")
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    assert (await client.get(f"/{path}x")).status_code == 404
