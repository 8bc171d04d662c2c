"""Safety for retrying and careful callers over REST (DESIGN section 2): Idempotency-Key
replays the first answer and refuses reuse with other arguments; ?dry_run=true shows
exactly what would happen and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import Settings
from tests.api.conftest import Caller
from tests.api.support import (
    assert_field_problem,
    assert_problem,
    create_client,
    create_invoice,
    get_invoice,
    invoice_body,
    invoice_in_state,
    invoice_total,
)
from tests.conftest import unique


def _key() -> dict[str, str]:
    return {"Idempotency-Key": unique("key")}


async def test_a_repeated_create_with_the_same_key_replays_the_first_answer(caller: Caller) -> None:
    """Same key and same body: the same 201 answer (same uuid, same JSON) with
    Idempotent-Replayed: true, and only one invoice exists."""
    total = await invoice_total(caller)
    body = invoice_body()
    key = _key()
    first = await caller.post("/invoices", body, headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    for _ in range(2):
        again = await caller.post("/invoices", body, headers=key)
        assert again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
    assert await invoice_total(caller) == total + 1
    assert (await get_invoice(caller, first.json()["uuid"]))["title"] == body["title"]


async def test_the_same_key_with_another_body_is_409_idempotency_key_reused(caller: Caller) -> None:
    """Reusing a key with different arguments is refused and creates nothing."""
    key = _key()
    first = await caller.post("/invoices", invoice_body(title="First"), headers=key)
    assert first.status_code == 201
    total = await invoice_total(caller)
    other = await caller.post("/invoices", invoice_body(title="Second"), headers=key)
    assert_problem(other, 409, "idempotency_key_reused")
    assert await invoice_total(caller) == total


async def test_the_same_key_on_another_action_is_refused(caller: Caller) -> None:
    """A key belongs to one operation: using a create's key for a send is refused."""
    key = _key()
    created = await caller.post("/invoices", invoice_body(), headers=key)
    uuid = created.json()["uuid"]
    assert_problem(await caller.post(f"/invoices/{uuid}/send", headers=key), 409, "idempotency_key_reused")
    assert (await get_invoice(caller, uuid))["status"] == "draft"


async def test_a_retried_payment_is_recorded_once(caller: Caller) -> None:
    """The retry that matters most: a payment repeated with its key is not recorded twice."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    await caller.post(f"/invoices/{uuid}/send", {"notify": False})
    key = _key()
    body = {"amount": "100.00", "payment_method": "card"}
    first = await caller.post(f"/invoices/{uuid}/payments", body, headers=key)
    second = await caller.post(f"/invoices/{uuid}/payments", body, headers=key)
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    after = await get_invoice(caller, uuid)
    assert [p["amount"] for p in after["payments"]] == ["100.00"]
    assert after["balance_due"] == "1000.00"
    # A new key is a new payment.
    third = await caller.post(f"/invoices/{uuid}/payments", body, headers=_key())
    assert third.json()["balance_due"] == "900.00"


async def test_a_retried_send_sends_once(caller: Caller) -> None:
    """A send retried with its key neither sends a reminder nor adds history."""
    client = await create_client(caller)
    invoice = await create_invoice(caller, client_uuid=client["uuid"])
    uuid = invoice["uuid"]
    key = _key()
    first = await caller.post(f"/invoices/{uuid}/send", headers=key)
    second = await caller.post(f"/invoices/{uuid}/send", headers=key)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert [e["action"] for e in (await get_invoice(caller, uuid))["history"]] == ["create", "finalize", "send"]


async def test_a_refused_request_does_not_use_up_its_key(caller: Caller) -> None:
    """A request that failed (409 here) stores nothing: the same key works once the
    invoice allows the action."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    key = _key()
    assert_problem(await caller.post(f"/invoices/{uuid}/payments", headers=key), 409, "invalid_transition")
    await caller.post(f"/invoices/{uuid}/send", {"notify": False})
    paid = await caller.post(f"/invoices/{uuid}/payments", headers=key)
    assert paid.status_code == 200, paid.text
    assert "idempotent-replayed" not in paid.headers
    assert paid.json()["status"] == "paid"


async def test_a_refused_create_does_not_use_up_its_key(caller: Caller) -> None:
    """After a 422, the same key with a corrected body creates the invoice."""
    key = _key()
    assert_problem(await caller.post("/invoices", invoice_body(currency="XYZ"), headers=key), 422)
    fixed = await caller.post("/invoices", invoice_body(currency="EUR"), headers=key)
    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers


async def test_keys_work_for_clients_and_workspaces_too(caller: Caller) -> None:
    """Client and workspace creation replay under a key like invoices do."""
    key = _key()
    body = {"name": unique("Acme")}
    first = await caller.post("/clients", body, headers=key)
    second = await caller.post("/clients", body, headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["uuid"] == first.json()["uuid"]
    assert (await caller.get("/clients")).json()["total"] == 1
    ws_body = {"name": unique("Studio")}
    ws_key = _key()
    headers = {**caller.headers, **ws_key}
    one = await caller.client.post("/api/v1/workspaces", json=ws_body, headers=headers)
    two = await caller.client.post("/api/v1/workspaces", json=ws_body, headers=headers)
    assert (one.status_code, two.status_code) == (201, 201)
    assert two.json()["company_slug"] == one.json()["company_slug"]
    listed = (await caller.client.get("/api/v1/workspaces", headers=caller.headers)).json()
    assert listed["total"] == 2


async def test_an_overlong_key_is_refused(caller: Caller) -> None:
    """Keys are 1 to 255 characters; a longer one is a 4xx problem, and nothing is created."""
    total = await invoice_total(caller)
    response = await caller.post("/invoices", invoice_body(), headers={"Idempotency-Key": "k" * 256})
    problem = assert_field_problem(response, 422, "idempotency_key", "validation_error")
    assert problem["errors"][0]["source"] == "header"
    assert await invoice_total(caller) == total


# --- dry runs ---------------------------------------------------------------------------------


def _assert_dry_run(response: Any, recipients: list[str] | None = None) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"dry_run", "invoice", "recipients"}
    assert body["dry_run"] is True
    if recipients is not None:
        assert body["recipients"] == recipients
    return body["invoice"]


async def test_a_dry_run_create_computes_the_invoice_and_creates_nothing(caller: Caller) -> None:
    """The dry-run answer is the invoice that would be created, with totals computed; no
    invoice exists afterwards, not even under the uuid shown."""
    total = await invoice_total(caller)
    would = _assert_dry_run(await caller.post("/invoices", invoice_body(), params={"dry_run": "true"}), [])
    assert (would["status"], would["subtotal"], would["tax_amount"], would["total"]) == (
        "draft",
        "1000.00",
        "100.00",
        "1100.00",
    )
    assert await invoice_total(caller) == total
    assert_problem(await caller.get(f"/invoices/{would['uuid']}"), 404, "invoice_not_found")


async def test_a_dry_run_still_validates(caller: Caller) -> None:
    """Bad input and refused transitions answer the same problems with dry_run=true."""
    assert_field_problem(
        await caller.post("/invoices", invoice_body(currency="XYZ"), params={"dry_run": "true"}), 422, "currency"
    )
    draft = await create_invoice(caller)
    refused = await caller.post(f"/invoices/{draft['uuid']}/payments", params={"dry_run": "true"})
    assert_problem(refused, 409, "invalid_transition")


@pytest.mark.parametrize(
    ("state", "action", "body", "resulting_status"),
    [
        ("draft", "update", {"title": "Would be renamed", "tax_rate": "20"}, "draft"),
        ("draft", "finalize", None, "draft"),
        ("draft", "send", None, "sent"),
        ("finalized", "send", {"to": ["cfo@client.example"], "message": "Hello"}, "sent"),
        ("sent", "send", None, "sent"),
        ("sent", "payments", {"amount": "100.00"}, "sent"),
        ("sent", "payments", None, "paid"),
        ("overdue", "payments", None, "paid"),
        ("draft", "cancel", {"reason": "changed our mind"}, "cancelled"),
        ("sent", "cancel", None, "cancelled"),
        ("paid", "duplicate", None, "draft"),
    ],
)
async def test_a_dry_run_action_shows_the_result_and_changes_nothing(
    caller: Caller,
    migrated: Settings,
    state: str,
    action: str,
    body: dict[str, Any] | None,
    resulting_status: str,
) -> None:
    """update, finalize, send, payments, cancel and duplicate with dry_run=true answer
    {"dry_run": true, "invoice": ..., "recipients": [...]} with the resulting status; a GET
    afterwards shows the invoice exactly as before and the invoice count is unchanged."""
    client = await create_client(caller)
    invoice = await invoice_in_state(caller, state, migrated, client_uuid=client["uuid"])
    uuid = invoice["uuid"]
    before = await get_invoice(caller, uuid)
    total = await invoice_total(caller)
    params = {"dry_run": "true"}
    if action == "update":
        response = await caller.patch(f"/invoices/{uuid}", body, params=params)
    else:
        response = await caller.post(f"/invoices/{uuid}/{action}", body, params=params)
    expected_recipients = None
    if action == "send":
        expected_recipients = (body or {}).get("to") or [client["email"]]
    would = _assert_dry_run(response, expected_recipients)
    assert would["status"] == resulting_status
    if action == "duplicate":
        assert would["uuid"] != uuid
    else:
        assert would["uuid"] == uuid
        assert would["history"][: len(before["history"])] == before["history"]
        assert would["history"][-1]["to_status"] == resulting_status
    if action == "update":
        assert (would["title"], would["tax_amount"], would["total"]) == ("Would be renamed", "200.00", "1200.00")
    if action == "send" and state == "draft":
        assert would["number"]
        assert would["finalized_at"]
        assert would["sent_at"]
    assert await get_invoice(caller, uuid) == before, "a dry run changed the invoice"
    assert await invoice_total(caller) == total


async def test_a_dry_run_send_takes_no_number(caller: Caller) -> None:
    """A dry-run send shows the number the invoice would take; the number is not used up:
    the next-number suggestion stays, and the real send takes that same number."""
    draft = await create_invoice(caller)
    uuid = draft["uuid"]
    suggested = (await caller.get("/invoices/next-number")).json()["number"]
    would = _assert_dry_run(await caller.post(f"/invoices/{uuid}/send", {"notify": False}, params={"dry_run": "true"}))
    assert would["number"] == suggested
    assert (await get_invoice(caller, uuid))["number"] is None
    assert (await caller.get("/invoices/next-number")).json()["number"] == suggested
    sent = await caller.post(f"/invoices/{uuid}/send", {"notify": False})
    assert sent.json()["number"] == suggested


async def test_a_dry_run_does_not_use_up_an_idempotency_key(caller: Caller) -> None:
    """A dry run with a key, then the real request with the same key and body: the real
    one runs (it is not a replay of the dry run) and persists."""
    draft = await create_invoice(caller)
    uuid = draft["uuid"]
    key = _key()
    dry = await caller.post(f"/invoices/{uuid}/send", {"notify": False}, headers=key, params={"dry_run": "true"})
    _assert_dry_run(dry)
    real = await caller.post(f"/invoices/{uuid}/send", {"notify": False}, headers=key)
    assert real.status_code == 200, real.text
    assert "idempotent-replayed" not in real.headers
    assert "dry_run" not in real.json()
    assert (await get_invoice(caller, uuid))["status"] == "sent"


async def test_dry_run_false_is_a_real_run(caller: Caller) -> None:
    """dry_run=false (the default spelled out) performs the action."""
    draft = await create_invoice(caller)
    response = await caller.post(f"/invoices/{draft['uuid']}/cancel", params={"dry_run": "false"})
    assert response.json()["status"] == "cancelled"
    assert (await get_invoice(caller, draft["uuid"]))["status"] == "cancelled"


async def test_client_and_settings_updates_take_a_key_too_and_replay_the_first_answer(caller: Caller) -> None:
    """Every change goes through the one path, so the updates that took no key before take
    one now: the retry answers as the first did, marked replayed, and other arguments with
    the same key are refused."""
    client = await create_client(caller)
    key = _key()
    first = await caller.patch(f"/clients/{client['uuid']}", {"name": "Renamed Ltd"}, headers=key)
    assert first.status_code == 200, first.text
    again = await caller.patch(f"/clients/{client['uuid']}", {"name": "Renamed Ltd"}, headers=key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(
        await caller.patch(f"/clients/{client['uuid']}", {"name": "Other"}, headers=key), 409, "idempotency_key_reused"
    )
    settings_key = _key()
    terms = await caller.patch("", {"payment_terms_days": 21}, headers=settings_key)
    assert terms.status_code == 200, terms.text
    replayed = await caller.patch("", {"payment_terms_days": 21}, headers=settings_key)
    assert (replayed.headers["idempotent-replayed"], replayed.json()["payment_terms_days"]) == ("true", 21)
