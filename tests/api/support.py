"""Shared helpers for the REST tests: invoice bodies, problem-detail assertions, invoices
brought into each lifecycle status through the API, and the overdue sweep."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from app.config import Settings
from app.db.engine import database_config
from app.domain.overdue import sweep_overdue
from tests.api.conftest import Caller
from tests.conftest import unique

PROBLEM_JSON = "application/problem+json"

# Due far in the future, so the overdue sweep (which moves every sent invoice past due in
# the database) never touches invoices that a test expects to stay "sent".
FUTURE_DUE = "2099-12-31"


def invoice_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: two lines, 10 % tax, total 1100.00 in the workspace currency."""
    body: dict[str, Any] = {
        "title": unique("Website"),
        "due_date": FUTURE_DUE,
        "tax_rate": "10",
        "items": [
            {"description": "Design", "quantity": "4", "unit_price": "100.00"},
            {"description": "Build", "quantity": 6, "unit_price": 100},
        ],
    }
    body.update(copy.deepcopy(overrides))
    return body


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` and (when given) ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem = response.json()
    assert problem["status"] == status
    assert isinstance(problem.get("code"), str), problem
    assert problem["code"], problem
    assert isinstance(problem.get("title"), str)
    assert problem["title"]
    assert isinstance(problem.get("detail"), str)
    assert problem["detail"]
    if code is not None:
        assert problem["code"] == code, problem
    return problem


def names_field(problem: dict[str, Any], field: str) -> bool:
    """Whether a problem points at ``field``: in its ``errors`` list, its ``field``, or its detail."""
    fields = [e.get("field") for e in problem.get("errors", [])]
    return field in fields or problem.get("field") == field or problem["detail"].startswith(f"{field}:")


def assert_field_problem(response: httpx.Response, status: int, field: str, code: str | None = None) -> dict[str, Any]:
    problem = assert_problem(response, status, code)
    assert names_field(problem, field), f"expected the problem to name {field!r}: {problem}"
    return problem


async def create_invoice(caller: Caller, **overrides: Any) -> dict[str, Any]:
    response = await caller.post("/invoices", invoice_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def create_client(caller: Caller, **overrides: Any) -> dict[str, Any]:
    body = {"name": unique("Client"), "email": f"{unique('billing')}@client.example", **overrides}
    response = await caller.post("/clients", body)
    assert response.status_code == 201, response.text
    return response.json()


async def get_invoice(caller: Caller, invoice_uuid: str) -> dict[str, Any]:
    response = await caller.get(f"/invoices/{invoice_uuid}")
    assert response.status_code == 200, response.text
    return response.json()


async def invoice_total(caller: Caller) -> int:
    response = await caller.get("/invoices")
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def run_overdue_sweep(settings: Settings) -> int:
    """What the worker's cron does: one sweep in its own session, committed."""
    config = database_config(settings)
    try:
        async with config.create_session_maker()() as session:
            moved = await sweep_overdue(session)
            await session.commit()
            return moved
    finally:
        await config.get_engine().dispose()


STATES = ("draft", "finalized", "sent", "overdue", "paid", "cancelled")


async def invoice_in_state(caller: Caller, state: str, settings: Settings, **overrides: Any) -> dict[str, Any]:
    """An invoice brought to ``state`` through the REST API only (plus the worker's sweep
    for overdue). ``finalized`` is a draft whose content is locked."""
    if state == "overdue":
        overrides = {"issue_date": "2024-01-01", "due_date": "2024-01-31", **overrides}
    invoice = await create_invoice(caller, **overrides)
    uuid = invoice["uuid"]
    steps = {
        "draft": [],
        "finalized": ["finalize"],
        "sent": ["send"],
        "overdue": ["send"],
        "paid": ["send", "payments"],
        "cancelled": ["send", "cancel"],
    }[state]
    # Without a client there is nobody to email: the send is recorded as such (notify false).
    quiet = {"notify": False} if "client_uuid" not in overrides else None
    for step in steps:
        response = await caller.post(f"/invoices/{uuid}/{step}", quiet if step == "send" else None)
        assert response.status_code == 200, response.text
    if state == "overdue":
        assert await run_overdue_sweep(settings) >= 1
    invoice = await get_invoice(caller, uuid)
    expected_status = "draft" if state == "finalized" else state
    assert invoice["status"] == expected_status, invoice
    assert (invoice["finalized_at"] is not None) == (state != "draft")
    return invoice
