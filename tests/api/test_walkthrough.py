"""The README's walk-through over REST: one invoice from draft to paid."""

from __future__ import annotations

from tests.api.conftest import Caller


async def test_invoice_goes_from_draft_to_paid_over_rest(caller: Caller) -> None:
    client = await caller.post("/clients", {"name": "Acme Corp", "email": "billing@acme.example"})
    assert client.status_code == 201, client.text
    created = await caller.post(
        "/invoices",
        {
            "title": "Website",
            "client_uuid": client.json()["uuid"],
            "tax_rate": 10,
            "due_date": "2099-03-30",
            "items": [
                {"description": "UX Design", "quantity": 20, "unit_price": 120},
                {"description": "Frontend Dev", "quantity": 60, "unit_price": "150.00"},
                {"description": "QA Testing", "quantity": 15, "unit_price": 100},
            ],
        },
    )
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert (invoice["subtotal"], invoice["tax_amount"], invoice["total"]) == ("12900.00", "1290.00", "14190.00")
    uuid = invoice["uuid"]
    sent = await caller.post(f"/invoices/{uuid}/send")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    paid = await caller.post(f"/invoices/{uuid}/payments", {"payment_method": "Wire transfer"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert paid.json()["payments"][0]["amount"] == "14190.00"
    refused = await caller.post(f"/invoices/{uuid}/cancel")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "invalid_transition"
    assert problem["current_status"] == "paid"
    assert problem["allowed_actions"] == ["duplicate", "credit"]
    assert refused.headers["content-type"].startswith("application/problem+json")
