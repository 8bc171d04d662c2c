"""The status lifecycle of DESIGN section 2, enforced through REST: every action against
every status, refusals as 409 problems naming the current status and the actions allowed
now, payments (partial, defaulted, refused overpayment) and the history each step leaves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.api.conftest import Caller
from tests.api.support import (
    STATES,
    assert_field_problem,
    assert_problem,
    create_client,
    create_invoice,
    get_invoice,
    invoice_in_state,
    run_overdue_sweep,
)

ACTIONS = ("update", "finalize", "send", "payments", "cancel", "delete", "duplicate")

# What each status allows, in the order the API reports it.
ALLOWED = {
    "draft": ["update", "finalize", "send", "cancel", "delete", "duplicate"],
    "finalized": ["send", "cancel", "duplicate"],
    "sent": ["send", "mark_paid", "cancel", "duplicate", "credit"],
    "overdue": ["send", "mark_paid", "cancel", "duplicate", "credit"],
    "paid": ["duplicate", "credit"],
    "cancelled": ["duplicate"],
}
# The lifecycle name of each REST action (payments is mark_paid).
ACTION_NAME = {"payments": "mark_paid"}

# (state, action) -> (HTTP status, status of the invoice afterwards; None when it is gone
# or the action answered with another invoice).
ACCEPTED: dict[tuple[str, str], tuple[int, str | None]] = {
    ("draft", "update"): (200, "draft"),
    ("draft", "finalize"): (200, "draft"),
    ("draft", "send"): (200, "sent"),
    ("draft", "cancel"): (200, "cancelled"),
    ("draft", "delete"): (204, None),
    ("finalized", "send"): (200, "sent"),
    ("finalized", "cancel"): (200, "cancelled"),
    ("sent", "send"): (200, "sent"),
    ("sent", "payments"): (200, "paid"),
    ("sent", "cancel"): (200, "cancelled"),
    ("overdue", "send"): (200, "overdue"),
    ("overdue", "payments"): (200, "paid"),
    ("overdue", "cancel"): (200, "cancelled"),
}
for _state in STATES:
    ACCEPTED[(_state, "duplicate")] = (201, None)

MATRIX = [(state, action) for state in STATES for action in ACTIONS]


def test_the_matrix_agrees_with_the_allowed_actions_table() -> None:
    """Protects the test itself: an action is expected to succeed exactly when the status's
    allowed actions list it, so the matrix and the 409 expectations cannot drift apart."""
    for state, action in MATRIX:
        assert ((state, action) in ACCEPTED) == (ACTION_NAME.get(action, action) in ALLOWED[state]), (state, action)


async def _act(caller: Caller, action: str, uuid: str) -> httpx.Response:
    if action == "update":
        return await caller.patch(f"/invoices/{uuid}", {"title": "Renamed by the matrix"})
    if action == "delete":
        return await caller.delete(f"/invoices/{uuid}")
    body: dict[str, Any] | None = {"reason": "client withdrew"} if action == "cancel" else None
    if action == "send":
        body = {"notify": False}  # no client to email: the send is recorded without emailing
    return await caller.post(f"/invoices/{uuid}/{action}", body)


@pytest.mark.parametrize(("state", "action"), MATRIX, ids=[f"{s}-{a}" for s, a in MATRIX])
async def test_every_action_against_every_status(caller: Caller, migrated: Settings, state: str, action: str) -> None:
    """Each REST action does what the lifecycle table says from each status, and a refused
    action answers 409 invalid_transition with the current status and the allowed actions,
    leaving the invoice exactly as it was."""
    before = await invoice_in_state(caller, state, migrated)
    assert before["allowed_actions"] == ALLOWED[state]
    uuid = before["uuid"]
    response = await _act(caller, action, uuid)

    if (state, action) not in ACCEPTED:
        problem = assert_problem(response, 409, "invalid_transition")
        assert problem["current_status"] == before["status"]
        assert problem["allowed_actions"] == ALLOWED[state]
        assert problem["action"] == ACTION_NAME.get(action, action)
        assert await get_invoice(caller, uuid) == before, "a refused action changed the invoice"
        return

    expected_code, expected_status = ACCEPTED[(state, action)]
    assert response.status_code == expected_code, response.text
    if action == "delete":
        assert response.content == b""
        assert_problem(await caller.get(f"/invoices/{uuid}"), 404, "invoice_not_found")
        return
    result = response.json()
    if action == "duplicate":
        assert result["uuid"] != uuid
        assert (result["status"], result["number"], result["finalized_at"]) == ("draft", None, None)
        assert [i["description"] for i in result["items"]] == [i["description"] for i in before["items"]]
        assert result["total"] == before["total"]
        assert result["amount_paid"] == "0.00"
        assert result["payments"] == []
        assert await get_invoice(caller, uuid) == before, "duplicating changed the source invoice"
        return

    # Every mutation answers with the whole resulting invoice, as GET shows it.
    assert result["uuid"] == uuid
    assert result["status"] == expected_status
    after = await get_invoice(caller, uuid)
    assert after == result
    assert after["history"][: len(before["history"])] == before["history"]
    event = after["history"][-1]
    assert event["channel"] == "api"
    assert event["from_status"] == before["status"]
    assert event["to_status"] == expected_status
    if action == "update":
        assert after["title"] == "Renamed by the matrix"
    elif action == "finalize":
        assert after["number"]
        assert after["finalized_at"]
        assert after["allowed_actions"] == ALLOWED["finalized"]
    elif action == "send":
        assert after["sent_at"]
        assert after["number"]
        if before["number"]:
            assert after["number"] == before["number"], "sending renumbered a finalized invoice"
        assert event["action"] == ("send" if state in ("draft", "finalized") else "remind")
    elif action == "payments":
        assert after["amount_paid"] == before["total"]
        assert after["balance_due"] == "0.00"
        assert after["paid_at"]
    elif action == "cancel":
        assert after["cancelled_at"]
        assert after["cancel_reason"] == "client withdrew"
        assert event["note"] == "client withdrew"


async def test_a_walk_from_draft_to_paid_records_each_step_in_history(caller: Caller) -> None:
    """Finalize, send and two payments each leave one history event with the API channel
    and the acting user; finalize takes a pattern number that send keeps."""
    client = await create_client(caller)
    invoice = await create_invoice(caller, client_uuid=client["uuid"])
    uuid = invoice["uuid"]
    assert invoice["client"] == {"uuid": client["uuid"], "name": client["name"]}
    finalized = (await caller.post(f"/invoices/{uuid}/finalize")).json()
    year = dt.datetime.now(dt.UTC).date().year
    assert finalized["number"] == f"INV-{year}-0001"
    sent = (await caller.post(f"/invoices/{uuid}/send")).json()
    assert sent["number"] == finalized["number"]
    part = await caller.post(f"/invoices/{uuid}/payments", {"amount": "100.00", "payment_method": "card"})
    assert part.status_code == 200, part.text
    rest = await caller.post(f"/invoices/{uuid}/payments", {"payment_method": "wire"})
    assert rest.status_code == 200, rest.text
    final = rest.json()
    assert [e["action"] for e in final["history"]] == ["create", "finalize", "send", "payment", "payment"]
    assert {e["channel"] for e in final["history"]} == {"api"}
    assert all(e["actor"]["uuid"] for e in final["history"])
    assert [(e["from_status"], e["to_status"]) for e in final["history"]][2:] == [
        ("draft", "sent"),
        ("sent", "sent"),
        ("sent", "paid"),
    ]
    assert final["history"][-1]["data"]["amount"] == "1000.00"


async def test_partial_payments_keep_the_invoice_open_until_the_balance_is_zero(caller: Caller) -> None:
    """A partial payment lowers the balance and keeps the status; the payment without an
    amount pays exactly the balance due and the invoice becomes paid."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    assert invoice["total"] == "1100.00"
    await caller.post(f"/invoices/{uuid}/send", {"notify": False})
    first = await caller.post(f"/invoices/{uuid}/payments", {"amount": "250.50", "payment_date": "2025-01-15"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["amount_paid"], body["balance_due"]) == ("sent", "250.50", "849.50")
    assert body["paid_at"] is None
    assert body["payments"][0]["amount"] == "250.50"
    assert body["payments"][0]["payment_date"] == "2025-01-15"
    second = await caller.post(f"/invoices/{uuid}/payments", {"amount": 49.5})
    assert second.json()["balance_due"] == "800.00"
    last = await caller.post(f"/invoices/{uuid}/payments")
    assert last.status_code == 200, last.text
    paid = last.json()
    assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", "1100.00", "0.00")
    assert [p["amount"] for p in paid["payments"]] == ["250.50", "49.50", "800.00"]
    assert paid["paid_at"] is not None


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ("1100.01", "amount"),
        ("5000", "amount"),
        ("0", "amount"),
        ("-10", "amount"),
        ("10.001", "amount"),
        ("NaN", "amount"),
        ("Infinity", "amount"),
    ],
)
async def test_a_refused_payment_names_the_amount_and_records_nothing(caller: Caller, amount: str, field: str) -> None:
    """Overpayment, a zero or negative amount, more decimals than the currency has and
    non-finite numbers are refused with 422 naming "amount"; the invoice is unchanged."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    sent = (await caller.post(f"/invoices/{uuid}/send", {"notify": False})).json()
    response = await caller.post(f"/invoices/{uuid}/payments", {"amount": amount})
    assert_field_problem(response, 422, field, "validation_error")
    assert await get_invoice(caller, uuid) == sent


async def test_overpayment_after_a_partial_payment_is_measured_against_the_balance(caller: Caller) -> None:
    """The ceiling is the balance due, not the total: 1000 paid of 1100, then 100.01 is refused
    and the problem says what the balance is."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    await caller.post(f"/invoices/{uuid}/send", {"notify": False})
    await caller.post(f"/invoices/{uuid}/payments", {"amount": "1000"})
    problem = assert_field_problem(
        await caller.post(f"/invoices/{uuid}/payments", {"amount": "100.01"}), 422, "amount", "validation_error"
    )
    assert "100.00" in problem["detail"]
    ok = await caller.post(f"/invoices/{uuid}/payments", {"amount": "100.00"})
    assert ok.json()["status"] == "paid"


async def test_a_payment_dated_in_the_future_is_refused(caller: Caller) -> None:
    """A payment cannot be recorded for a day that has not come yet (in the workspace's time zone)."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    await caller.post(f"/invoices/{uuid}/send", {"notify": False})
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
    assert_field_problem(await caller.post(f"/invoices/{uuid}/payments", {"payment_date": future}), 422, "payment_date")


async def test_the_overdue_sweep_moves_only_sent_invoices_past_due(caller: Caller, migrated: Settings) -> None:
    """The worker's sweep turns a sent invoice past due into overdue, recording a worker
    event; a draft with the same dates and a sent invoice not yet due are left alone; a
    second sweep records nothing twice."""
    overdue = await invoice_in_state(caller, "overdue", migrated)
    draft = await create_invoice(caller, issue_date="2024-01-01", due_date="2024-01-31")
    current = await invoice_in_state(caller, "sent", migrated)
    await run_overdue_sweep(migrated)
    after = await get_invoice(caller, overdue["uuid"])
    assert after["status"] == "overdue"
    events = [e for e in after["history"] if e["action"] == "overdue"]
    assert len(events) == 1
    assert (events[0]["channel"], events[0]["from_status"], events[0]["to_status"]) == ("worker", "sent", "overdue")
    assert (await get_invoice(caller, draft["uuid"]))["status"] == "draft"
    assert (await get_invoice(caller, current["uuid"]))["status"] == "sent"


async def test_paying_an_overdue_invoice_in_parts_keeps_it_overdue_until_paid(
    caller: Caller, migrated: Settings
) -> None:
    """A partial payment on an overdue invoice leaves it overdue; the rest makes it paid."""
    invoice = await invoice_in_state(caller, "overdue", migrated)
    uuid = invoice["uuid"]
    part = (await caller.post(f"/invoices/{uuid}/payments", {"amount": "100"})).json()
    assert (part["status"], part["balance_due"]) == ("overdue", "1000.00")
    rest = (await caller.post(f"/invoices/{uuid}/payments")).json()
    assert (rest["status"], rest["balance_due"]) == ("paid", "0.00")
    assert rest["history"][-1]["from_status"] == "overdue"


async def test_an_empty_draft_cannot_be_finalized_or_sent_and_takes_no_number(caller: Caller) -> None:
    """Finalizing or sending a draft without items is refused with 422 naming "items", and
    the refusal burns no number: the next finalization still takes the first one."""
    empty = await create_invoice(caller, items=[])
    for action in ("finalize", "send"):
        body = {"notify": False} if action == "send" else None  # nobody to email: said explicitly
        response = await caller.post(f"/invoices/{empty['uuid']}/{action}", body)
        assert_field_problem(response, 422, "items", "validation_error")
    assert (await get_invoice(caller, empty["uuid"]))["number"] is None
    full = await create_invoice(caller)
    finalized = (await caller.post(f"/invoices/{full['uuid']}/finalize")).json()
    assert finalized["number"].endswith("-0001")


async def test_updating_currency_or_tax_rate_recomputes_the_totals(caller: Caller) -> None:
    """PATCH of currency or tax rate recomputes every line with the new currency's digits;
    clients never send totals."""
    invoice = await create_invoice(
        caller, tax_rate="0", items=[{"description": "Hours", "quantity": "2.5", "unit_price": "99.99"}]
    )
    assert (invoice["subtotal"], invoice["total"]) == ("249.98", "249.98")  # 249.975 rounds half up
    uuid = invoice["uuid"]
    taxed = await caller.patch(f"/invoices/{uuid}", {"tax_rate": "20"})
    assert taxed.status_code == 200, taxed.text
    assert (taxed.json()["tax_amount"], taxed.json()["total"]) == ("50.00", "299.98")
    yen = await caller.patch(f"/invoices/{uuid}", {"currency": "jpy"})
    assert yen.status_code == 200, yen.text
    body = yen.json()
    assert body["currency"] == "JPY"
    assert (body["subtotal"], body["tax_amount"], body["total"]) == ("250", "50", "300")
    ignored = await caller.patch(f"/invoices/{uuid}", {"title": "Hours", "total": "1"})
    assert_problem(ignored, 422, "validation_error")


async def test_a_finalized_invoice_is_never_deleted_but_can_be_cancelled(caller: Caller) -> None:
    """DELETE of a finalized draft is refused with a reason that points to cancelling, and
    cancelling keeps the invoice (with its number) as a record."""
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    number = (await caller.post(f"/invoices/{uuid}/finalize")).json()["number"]
    problem = assert_problem(await caller.delete(f"/invoices/{uuid}"), 409, "invalid_transition")
    assert "cancel" in problem["detail"]
    cancelled = (await caller.post(f"/invoices/{uuid}/cancel")).json()
    assert (cancelled["status"], cancelled["number"], cancelled["cancel_reason"]) == ("cancelled", number, None)
    listed = (await caller.get("/invoices", params={"status": "cancelled"})).json()
    assert [i["uuid"] for i in listed["items"]] == [uuid]


async def test_duplicate_takes_new_dates_and_an_optional_title(caller: Caller) -> None:
    """A copy of a paid invoice is a fresh draft with the given dates and title, the same
    client and lines, and no payments or number."""
    client = await create_client(caller)
    source = await create_invoice(caller, client_uuid=client["uuid"], issue_date="2025-03-01", due_date="2025-03-31")
    uuid = source["uuid"]
    await caller.post(f"/invoices/{uuid}/send")
    await caller.post(f"/invoices/{uuid}/payments", {"payment_date": "2025-03-02"})
    copy = await caller.post(
        f"/invoices/{uuid}/duplicate", {"issue_date": "2025-04-01", "due_date": "2025-05-01", "title": "April"}
    )
    assert copy.status_code == 201, copy.text
    body = copy.json()
    assert (body["title"], body["issue_date"], body["due_date"]) == ("April", "2025-04-01", "2025-05-01")
    assert body["client"]["uuid"] == client["uuid"]
    assert (body["status"], body["number"], body["payments"], body["total"]) == ("draft", None, [], "1100.00")
    assert body["history"][0]["data"] == {"duplicated_from": uuid}
    plain = (await caller.post(f"/invoices/{uuid}/duplicate")).json()
    assert plain["title"] == source["title"]
    assert plain["issue_date"] == dt.datetime.now(dt.UTC).date().isoformat()
