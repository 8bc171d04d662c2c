"""Nothing changes an issued document (issue 21). An invoice is finalized, sent, part paid,
credited and later swept overdue; then every write path a caller has is tried against it:
REST (its update, delete and finalize, refused; the client's and the settings' edits, made),
the domain's own methods (update and delete, refused), a copy, the worker's overdue sweep.
Afterwards its items, amounts, dates and parties (the seller's and the client's details, as
printed) are exactly as issued, in its JSON, its credit note's and both PDFs. What may change
is only its status, its payments and its history."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.errors import InvalidTransition
from app.domain.overdue import sweep_overdue
from app.domain.schemas import InvoiceUpdate
from tests.api.conftest import Caller
from tests.api.test_vat_rest import words

ISSUED = ("number", "title", "currency", "issue_date", "due_date", "delivery_date", "tax_rate", "tax_category",
          "items", "adjustments", "subtotal", "allowance_total", "charge_total", "net_total", "tax_amount",
          "vat_breakdown", "legal_notes", "total", "finalized_at")  # fmt: skip


def issued(invoice: dict[str, Any]) -> dict[str, Any]:
    return {key: invoice[key] for key in ISSUED}


async def test_no_write_path_changes_an_issued_invoice_or_its_credit_note(
    caller: Caller, db: Any, tmp_path: Path
) -> None:
    await caller.client.patch(
        caller.url(), json={"legal_name": "Studio Ada GmbH", "address": "Torstraße 1\n10119 Berlin",
                            "tax_id": "DE136695976"}, headers=caller.headers,
    )  # fmt: skip
    client = (await caller.post("/clients", {"name": "Acme AG", "address_line1": "Bahnhofstraße 5", "city": "Zürich",
                                             "country": "CH", "email": "ap@acme.example"})).json()  # fmt: skip
    draft = (
        await caller.post(
            "/invoices",
            {
                "title": "Relaunch", "currency": "EUR", "tax_rate": 19, "client_uuid": client["uuid"],
                "issue_date": "2026-10-01", "due_date": "2026-10-31",
                "items": [{"description": "Design", "quantity": 10, "unit_price": 120, "discount_percent": 5},
                          {"description": "Hosting", "quantity": 1, "unit_price": 50}],
                "adjustments": [{"kind": "charge", "reason": "Travel", "amount": "80.00"}],
            },
        )
    ).json()  # fmt: skip
    uuid_ = draft["uuid"]
    await caller.post(f"/invoices/{uuid_}/send", {"notify": False})
    await caller.post(f"/invoices/{uuid_}/payments", {"amount": "100.00", "payment_date": "2026-10-05"})
    credited = (await caller.post(f"/invoices/{uuid_}/credit-notes", {"reason": "Hosting not used",
                                                                       "lines": [{"line": 2}]})).json()  # fmt: skip
    note_uuid = credited["credit_notes"][0]["uuid"]
    before = issued(credited)
    note_before = (await caller.get(f"/credit-notes/{note_uuid}")).json()
    pdf_before = words((await caller.get(f"/invoices/{uuid_}/pdf")).content, tmp_path)
    note_pdf_before = words((await caller.get(f"/credit-notes/{note_uuid}/pdf")).content, tmp_path)
    for printed in ("Studio Ada GmbH", "Torstraße 1", "DE136695976", "Acme AG", "Bahnhofstraße 5"):
        assert printed in pdf_before, printed
        assert printed in note_pdf_before, printed

    # REST: the invoice refuses every edit; the client and the settings change for what comes next.
    assert (await caller.patch(f"/invoices/{uuid_}", {"title": "Changed"})).status_code == 409
    assert (await caller.patch(f"/invoices/{uuid_}", {"items": []})).status_code == 409
    assert (await caller.delete(f"/invoices/{uuid_}")).status_code == 409
    assert (await caller.post(f"/invoices/{uuid_}/finalize")).status_code == 409
    assert (await caller.post(f"/invoices/{uuid_}/duplicate", {})).status_code == 201
    renamed = await caller.patch(f"/clients/{client['uuid']}", {"name": "Acme Holding", "address_line1": "Neuweg 9"})
    assert renamed.status_code == 200
    changed = {"legal_name": "Ada Studio SE", "address": "Neue Str. 2", "tax_id": "DE811907980"}
    settings = await caller.client.patch(caller.url(), json=changed, headers=caller.headers)
    assert settings.status_code == 200
    # The domain's own methods, as any face or job would call them.
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(caller.email)
        access = await billing.access(Principal(user_id=user.id, name=user.name, channel=Channel.API), caller.slug)
        with pytest.raises(InvalidTransition):
            await billing.invoices.update_invoice(access, uuid.UUID(uuid_), InvoiceUpdate(notes="late"))
        with pytest.raises(InvalidTransition):
            await billing.invoices.delete_invoice(access, uuid.UUID(uuid_))
        # The worker's sweep: the due date has passed, so it turns overdue, and nothing else.
        moved = await sweep_overdue(session, now=dt.datetime(2026, 11, 15, tzinfo=dt.UTC))
        await session.commit()
    assert moved >= 1

    after = (await caller.get(f"/invoices/{uuid_}")).json()
    assert after["status"] == "overdue"
    assert issued(after) == before
    # The client reference names the client record as it is now; everything issued stays.
    note_after = (await caller.get(f"/credit-notes/{note_uuid}")).json()
    assert {**note_after, "client": None} == {**note_before, "client": None}
    assert words((await caller.get(f"/invoices/{uuid_}/pdf")).content, tmp_path) == pdf_before
    assert words((await caller.get(f"/credit-notes/{note_uuid}/pdf")).content, tmp_path) == note_pdf_before
    # A new invoice takes the parties as they are now.
    one = [{"description": "x", "quantity": 1, "unit_price": 1}]
    fresh = (await caller.post("/invoices", {"title": "Next", "client_uuid": client["uuid"], "items": one})).json()
    fresh_pdf = words((await caller.get(f"/invoices/{fresh['uuid']}/pdf")).content, tmp_path)
    assert "Ada Studio SE" in fresh_pdf
    assert "Acme Holding" in fresh_pdf
