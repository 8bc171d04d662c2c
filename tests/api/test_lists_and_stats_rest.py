"""Lists, the next-number suggestion and stats over REST: the page shape of DESIGN section
3, each filter, and money per currency (USD and EUR are never added together), per
workspace and across a user's workspaces."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.config import Settings
from tests.api.conftest import Caller, make_caller
from tests.api.support import create_client, create_invoice, invoice_in_state
from tests.conftest import unique

PAGE_KEYS = {"items", "total", "page", "per_page", "has_more"}
SUMMARY_KEYS = {
    "uuid",
    "number",
    "title",
    "status",
    "client",
    "currency",
    "issue_date",
    "due_date",
    "total",
    "balance_due",
    "created_at",
}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _page(caller: Caller, **params: Any) -> dict[str, Any]:
    response = await caller.get("/invoices", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == PAGE_KEYS
    return body


async def test_pagination_walks_every_invoice_once(caller: Caller) -> None:
    """per_page=2 over 5 invoices: pages of 2, 2, 1 with has_more true, true, false; each
    invoice appears exactly once, newest issue date first; past the end is empty."""
    made = []
    for day in range(1, 6):
        made.append(await create_invoice(caller, issue_date=f"2025-06-0{day}"))
    seen: list[str] = []
    for page, size, more in [(1, 2, True), (2, 2, True), (3, 1, False)]:
        body = await _page(caller, page=page, per_page=2)
        assert (body["total"], body["page"], body["per_page"], body["has_more"]) == (5, page, 2, more)
        assert len(body["items"]) == size
        seen += [i["uuid"] for i in body["items"]]
    assert seen == [i["uuid"] for i in reversed(made)]
    beyond = await _page(caller, page=4, per_page=2)
    assert (beyond["items"], beyond["total"], beyond["has_more"]) == ([], 5, False)
    default = await _page(caller)
    assert (default["page"], default["per_page"], default["has_more"]) == (1, 20, False)


async def test_list_rows_are_summaries_with_money_as_strings(caller: Caller) -> None:
    """A list row has the summary fields only (no items or history) and amounts as strings."""
    client = await create_client(caller)
    invoice = await create_invoice(caller, client_uuid=client["uuid"])
    row = (await _page(caller))["items"][0]
    assert set(row) == SUMMARY_KEYS
    assert row["uuid"] == invoice["uuid"]
    assert row["client"] == {"uuid": client["uuid"], "name": client["name"]}
    assert (row["total"], row["balance_due"], row["currency"]) == ("1100.00", "1100.00", "USD")


async def test_the_status_filter_returns_only_that_status(caller: Caller, migrated: Settings) -> None:
    """?status= selects each status exactly; without it every invoice is listed."""
    made = {state: await invoice_in_state(caller, state, migrated) for state in ("draft", "sent", "paid", "cancelled")}
    made["overdue"] = await invoice_in_state(caller, "overdue", migrated)
    for status, invoice in made.items():
        body = await _page(caller, status=status)
        assert [i["uuid"] for i in body["items"]] == [invoice["uuid"]], status
        assert body["total"] == 1
    assert (await _page(caller))["total"] == 5


async def test_the_client_filter_returns_only_that_clients_invoices(caller: Caller) -> None:
    """?client_uuid= lists that client's invoices only; a client without invoices lists none."""
    acme = await create_client(caller)
    globex = await create_client(caller)
    idle = await create_client(caller)
    a1 = await create_invoice(caller, client_uuid=acme["uuid"], issue_date="2025-01-01")
    a2 = await create_invoice(caller, client_uuid=acme["uuid"], issue_date="2025-02-01")
    await create_invoice(caller, client_uuid=globex["uuid"])
    await create_invoice(caller)
    body = await _page(caller, client_uuid=acme["uuid"])
    assert [i["uuid"] for i in body["items"]] == [a2["uuid"], a1["uuid"]]
    assert {i["client"]["name"] for i in body["items"]} == {acme["name"]}
    assert (await _page(caller, client_uuid=idle["uuid"]))["total"] == 0
    combined = await _page(caller, client_uuid=acme["uuid"], date_from="2025-01-15")
    assert [i["uuid"] for i in combined["items"]] == [a2["uuid"]]


async def test_date_filters_are_inclusive_bounds_on_the_issue_date(caller: Caller) -> None:
    """date_from and date_to bound issue_date inclusively, alone or together."""
    by_day = {}
    for day in ("2025-03-01", "2025-03-15", "2025-03-31", "2025-04-01"):
        by_day[day] = (await create_invoice(caller, issue_date=day))["uuid"]

    async def days(**params: str) -> set[str]:
        items = (await _page(caller, **params))["items"]
        return {d for d, u in by_day.items() if u in {i["uuid"] for i in items}}

    assert await days(date_from="2025-03-15") == {"2025-03-15", "2025-03-31", "2025-04-01"}
    assert await days(date_to="2025-03-15") == {"2025-03-01", "2025-03-15"}
    assert await days(date_from="2025-03-01", date_to="2025-03-31") == {"2025-03-01", "2025-03-15", "2025-03-31"}
    assert await days(date_from="2025-03-16", date_to="2025-03-30") == set()
    assert await days(date_from="2025-03-31", date_to="2025-03-31") == {"2025-03-31"}


async def test_search_matches_title_and_number(caller: Caller) -> None:
    """?search= finds invoices by a part of the title or of the number, ignoring case."""
    marker = unique("Zebra")
    by_title = await create_invoice(caller, title=f"Logo for {marker}")
    by_number = await create_invoice(caller, number=f"{marker}-7")
    await create_invoice(caller)
    found = await _page(caller, search=marker.lower())
    assert {i["uuid"] for i in found["items"]} == {by_title["uuid"], by_number["uuid"]}


async def test_clients_list_is_paginated_and_searchable(caller: Caller) -> None:
    """The clients list has the same page shape, sorted by name, with search on name and email."""
    for name in ("Charlie Co", "Alpha Inc", "Bravo LLC"):
        await create_client(caller, name=name, email=f"{name.split()[0].lower()}@example.example")
    first = (await caller.get("/clients", params={"per_page": 2})).json()
    assert set(first) == PAGE_KEYS
    assert ([c["name"] for c in first["items"]], first["total"], first["has_more"]) == (
        ["Alpha Inc", "Bravo LLC"],
        3,
        True,
    )
    found = (await caller.get("/clients", params={"search": "CHARLIE@"})).json()
    assert [c["name"] for c in found["items"]] == ["Charlie Co"]


async def test_next_number_follows_the_pattern_and_then_the_workspaces_own_numbers(caller: Caller) -> None:
    """A fresh workspace suggests INV-<year>-0001; each finalization takes the suggestion
    and moves it on; once the workspace uses its own style (2026/017), it is continued."""
    year = _today().year
    first = (await caller.get("/invoices/next-number")).json()
    assert first == {"number": f"INV-{year}-0001", "source": "pattern"}
    invoice = await create_invoice(caller)
    finalized = (await caller.post(f"/invoices/{invoice['uuid']}/finalize")).json()
    assert finalized["number"] == first["number"]
    assert (await caller.get("/invoices/next-number")).json()["number"] == f"INV-{year}-0002"
    await create_invoice(caller, number="2026/017")
    assert (await caller.get("/invoices/next-number")).json() == {"number": "2026/018", "source": "continues 2026/017"}


async def test_next_number_steps_over_a_number_typed_in_by_hand(caller: Caller) -> None:
    """A pattern number already set by hand is skipped by the suggestion and by finalize."""
    year = _today().year
    await create_invoice(caller, number=f"INV-{year}-0001")
    assert (await caller.get("/invoices/next-number")).json()["number"] == f"INV-{year}-0002"
    invoice = await create_invoice(caller)
    assert (await caller.post(f"/invoices/{invoice['uuid']}/finalize")).json()["number"] == f"INV-{year}-0002"


async def _sent(caller: Caller, amount: str, currency: str | None = None, **extra: Any) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "tax_rate": "0",
        "items": [{"description": "Work", "quantity": 1, "unit_price": amount}],
    }
    if currency:
        overrides["currency"] = currency
    invoice = await create_invoice(caller, **overrides, **extra)
    # Without a client there is nobody to email: the send is recorded as such.
    quiet = None if "client_uuid" in extra else {"notify": False}
    response = await caller.post(f"/invoices/{invoice['uuid']}/send", quiet)
    assert response.status_code == 200, response.text
    return response.json()


def _by_currency(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["currency"]: c for c in stats["currencies"]}


async def test_workspace_stats_are_per_currency(caller: Caller, migrated: Settings) -> None:
    """Stats group by currency: USD and EUR totals are separate, drafts are not invoiced,
    cancelled invoices count in no total, partial payments leave an outstanding balance, and
    the status counts add up."""
    usd_paid = await _sent(caller, "300.00")
    await caller.post(f"/invoices/{usd_paid['uuid']}/payments")
    usd_part = await _sent(caller, "200.00")
    await caller.post(f"/invoices/{usd_part['uuid']}/payments", {"amount": "50.00"})
    usd_cancelled = await _sent(caller, "999.00")
    await caller.post(f"/invoices/{usd_cancelled['uuid']}/cancel")
    await create_invoice(caller)  # a USD draft: not invoiced
    await _sent(caller, "70.00", "EUR")
    eur_overdue = await invoice_in_state(
        caller,
        "overdue",
        migrated,
        currency="EUR",
        tax_rate="0",
        items=[{"description": "Late", "quantity": 1, "unit_price": "30.00"}],
    )
    response = await caller.get("/stats")
    assert response.status_code == 200, response.text
    stats = response.json()
    assert (stats["scope"], stats["workspaces"]) == ("workspace", [caller.slug])
    assert stats["counts_by_status"] == {"draft": 1, "sent": 2, "paid": 1, "overdue": 1, "cancelled": 1}
    assert stats["billable_finalizations"] == 5
    per = _by_currency(stats)
    assert set(per) == {"USD", "EUR"}
    usd, eur = per["USD"], per["EUR"]
    assert (usd["total_invoiced"], usd["total_paid"], usd["total_outstanding"], usd["total_overdue"]) == (
        "500.00",
        "350.00",
        "150.00",
        "0.00",
    )
    assert usd["invoice_count"] == 4
    assert usd["counts_by_status"] == {"draft": 1, "sent": 1, "paid": 1, "overdue": 0, "cancelled": 1}
    assert (eur["total_invoiced"], eur["total_paid"], eur["total_outstanding"], eur["total_overdue"]) == (
        "100.00",
        "0.00",
        "100.00",
        "30.00",
    )
    assert eur["counts_by_status"]["overdue"] == 1
    assert eur_overdue["currency"] == "EUR"
    assert usd["average_days_to_payment"] is not None
    assert usd["average_days_to_payment"] < 1
    assert eur["average_days_to_payment"] is None
    months = [m["month"] for m in usd["monthly"]]
    assert len(months) == 12
    assert months == sorted(months)
    assert months[-1] == _today().strftime("%Y-%m")
    this_month = usd["monthly"][-1]
    assert (this_month["invoiced"], this_month["paid"]) == ("500.00", "350.00")


async def test_stats_across_workspaces_add_per_currency_and_never_across(
    client: AsyncTestClient[Litestar], migrated: Settings
) -> None:
    """/api/v1/stats covers all of the caller's workspaces: USD from both workspaces adds
    up, EUR stays apart, and another user's invoices are not included."""
    owner = await make_caller(client, migrated)
    created = await client.post(
        "/api/v1/workspaces", json={"name": unique("Euro Studio"), "default_currency": "EUR"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    second = Caller(owner.email, owner.token, created.json()["company_slug"], client)
    someone_else = await make_caller(client, migrated)

    await _sent(owner, "100.00")
    await _sent(second, "40.00", "USD")
    eur = await _sent(second, "250.00")
    assert eur["currency"] == "EUR"
    await second.post(f"/invoices/{eur['uuid']}/payments", {"amount": "50.00"})
    await _sent(someone_else, "7777.00")

    response = await client.get("/api/v1/stats", headers=owner.headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["scope"] == "all"
    assert sorted(stats["workspaces"]) == sorted([owner.slug, second.slug])
    per = _by_currency(stats)
    assert set(per) == {"USD", "EUR"}
    assert (per["USD"]["total_invoiced"], per["USD"]["total_outstanding"], per["USD"]["invoice_count"]) == (
        "140.00",
        "140.00",
        2,
    )
    assert (per["EUR"]["total_invoiced"], per["EUR"]["total_paid"], per["EUR"]["total_outstanding"]) == (
        "250.00",
        "50.00",
        "200.00",
    )
    assert stats["counts_by_status"]["sent"] == 3
    # Each workspace on its own.
    one = _by_currency((await owner.get("/stats")).json())
    assert set(one) == {"USD"}
    assert one["USD"]["total_invoiced"] == "100.00"
    two = _by_currency((await second.get("/stats")).json())
    assert (two["USD"]["total_invoiced"], two["EUR"]["total_invoiced"]) == ("40.00", "250.00")


async def test_amounts_use_each_currencys_digits(caller: Caller) -> None:
    """JPY has no decimals and KWD three, in invoices, lists and stats alike."""
    yen = await _sent(caller, "1234", "JPY")
    dinar = await _sent(caller, "1.2345", "KWD")
    assert (yen["total"], dinar["total"]) == ("1234", "1.235")
    assert dinar["items"][0]["unit_price"] == "1.2345"
    rows = {i["currency"]: i["total"] for i in (await _page(caller))["items"]}
    assert rows == {"JPY": "1234", "KWD": "1.235"}
    per = _by_currency((await caller.get("/stats")).json())
    assert (per["JPY"]["total_outstanding"], per["KWD"]["total_outstanding"]) == ("1234", "1.235")
