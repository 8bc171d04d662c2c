"""Bad input over REST: every refusal is a 4xx RFC 9457 problem with a ``code`` that, for a
field problem, names the field; a refused create leaves the invoice list as it was."""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import Caller
from tests.api.support import (
    assert_field_problem,
    assert_problem,
    create_client,
    create_invoice,
    get_invoice,
    invoice_body,
    invoice_total,
)


def _item(**overrides: Any) -> dict[str, Any]:
    return {"description": "Work", "quantity": "1", "unit_price": "100", **overrides}


# (id, overrides of a valid create body, status, code, field the problem must name)
BAD_CREATES: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("unknown-currency", {"currency": "XYZ"}, 422, "validation_error", "currency"),
    ("currency-not-a-code", {"currency": "dollars"}, 422, "validation_error", "currency"),
    ("currency-without-minor-unit", {"currency": "XAU"}, 422, "validation_error", "currency"),
    ("negative-quantity", {"items": [_item(quantity="-1")]}, 422, "validation_error", "items[0].quantity"),
    ("zero-quantity", {"items": [_item(quantity=0)]}, 422, "validation_error", "items[0].quantity"),
    ("absurd-quantity", {"items": [_item(quantity="10000001")]}, 422, "validation_error", "items[0].quantity"),
    ("nan-quantity", {"items": [_item(quantity="NaN")]}, 422, "validation_error", "items[0].quantity"),
    ("infinite-quantity", {"items": [_item(quantity="Infinity")]}, 422, "validation_error", "items[0].quantity"),
    ("five-decimals-quantity", {"items": [_item(quantity="1.00001")]}, 422, "validation_error", "items[0].quantity"),
    ("negative-price", {"items": [_item(unit_price="-5")]}, 422, "validation_error", "items[0].unit_price"),
    ("absurd-price", {"items": [_item(unit_price="1e12")]}, 422, "validation_error", "items[0].unit_price"),
    ("nan-price", {"items": [_item(unit_price="NaN")]}, 422, "validation_error", "items[0].unit_price"),
    ("five-decimals-price", {"items": [_item(unit_price="0.00001")]}, 422, "validation_error", "items[0].unit_price"),
    (
        "absurd-line-amount",
        {"items": [_item(quantity="1000000", unit_price="1000000000")]},
        422,
        "validation_error",
        "items[0]",
    ),
    ("second-item-bad", {"items": [_item(), _item(quantity="-2")]}, 422, "validation_error", "items[1].quantity"),
    ("empty-description", {"items": [_item(description="")]}, 422, "validation_error", "items[0].description"),
    ("blank-description", {"items": [_item(description="   ")]}, 422, "validation_error", "items[0].description"),
    ("long-description", {"items": [_item(description="x" * 501)]}, 422, "validation_error", "items[0].description"),
    ("item-tax-rate-over-100", {"items": [_item(tax_rate="150")]}, 422, "validation_error", "items[0].tax_rate"),
    ("tax-rate-negative", {"tax_rate": "-1"}, 422, "validation_error", "tax_rate"),
    ("tax-rate-over-100", {"tax_rate": "100.5"}, 422, "validation_error", "tax_rate"),
    ("empty-title", {"title": ""}, 422, "validation_error", "title"),
    ("blank-title", {"title": "   "}, 422, "validation_error", "title"),
    ("missing-title", {"title": None}, 422, "validation_error", "title"),
    ("long-notes", {"notes": "n" * 5001}, 422, "validation_error", "notes"),
    ("impossible-date", {"issue_date": "2026-02-30"}, 422, "validation_error", "issue_date"),
    ("impossible-due-date", {"due_date": "2026-13-01"}, 422, "validation_error", "due_date"),
    ("date-not-a-date", {"due_date": "next friday"}, 422, "validation_error", "due_date"),
    ("date-out-of-range", {"issue_date": "1999-12-31"}, 422, "validation_error", "issue_date"),
    ("due-before-issue", {"issue_date": "2026-03-10", "due_date": "2026-03-09"}, 422, "validation_error", "due_date"),
    ("unknown-client", {"client_uuid": str(uuidlib.uuid4())}, 404, "client_not_found", "client_uuid"),
    ("client-not-a-uuid", {"client_uuid": "acme"}, 422, "validation_error", "client_uuid"),
    ("bad-number", {"number": "!!"}, 422, "validation_error", "number"),
    ("too-many-items", {"items": [_item()] * 201}, 422, "validation_error", "items"),
    ("title-wrong-type", {"title": 5}, 422, "validation_error", "title"),
    ("items-wrong-type", {"items": "three hours"}, 422, "validation_error", "items"),
    ("quantity-wrong-type", {"items": [_item(quantity=[1])]}, 422, "validation_error", "items[0].quantity"),
    ("tax-rate-wrong-type", {"tax_rate": {"percent": 10}}, 422, "validation_error", "tax_rate"),
    ("unknown-item-field", {"items": [_item(amount="9999")]}, 422, "validation_error", "items[0].amount"),
    (
        "item-without-description",
        {"items": [{"quantity": 1, "unit_price": 1}]},
        422,
        "validation_error",
        "items[0].description",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [case[1:] for case in BAD_CREATES],
    ids=[case[0] for case in BAD_CREATES],
)
async def test_a_bad_create_is_a_field_problem_and_creates_nothing(
    caller: Caller, overrides: dict[str, Any], status: int, code: str, field: str
) -> None:
    """Each kind of bad invoice input answers a 4xx problem naming the offending field,
    and the invoice list total is unchanged."""
    await create_invoice(caller)
    total = await invoice_total(caller)
    body = invoice_body(**overrides)
    body = {k: v for k, v in body.items() if v is not None}
    assert_field_problem(await caller.post("/invoices", body), status, field, code)
    assert await invoice_total(caller) == total


async def test_the_limits_themselves_are_accepted(caller: Caller) -> None:
    """The edges of the rules are valid: 200 items, 4 decimal places, a zero unit price (a
    free line), tax 0 and 100, quantity 1,000,000, dates in 2000 and 2100."""
    response = await caller.post(
        "/invoices",
        invoice_body(
            issue_date="2000-01-01",
            due_date="2100-12-31",
            tax_rate="100",
            items=[_item(quantity="0.0001", unit_price="0.0001")] * 198
            + [_item(unit_price="0", tax_rate="0"), _item(quantity="1000000", unit_price="1")],
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["items"]) == 200
    assert body["items"][0]["quantity"] == "0.0001"
    assert body["items"][0]["unit_price"] == "0.0001"
    assert body["items"][0]["amount"] == "0.00"
    assert body["items"][198]["amount"] == "0.00"
    assert (body["subtotal"], body["tax_amount"], body["total"]) == ("1000000.00", "1000000.00", "2000000.00")


async def test_an_unknown_field_is_refused_and_named(caller: Caller) -> None:
    """A typo in a field name is never silently ignored: 422 naming the unknown field."""
    total = await invoice_total(caller)
    response = await caller.post("/invoices", invoice_body(due_dat="2099-01-01"))
    assert_field_problem(response, 422, "due_dat", "validation_error")
    assert await invoice_total(caller) == total


async def test_totals_sent_by_the_client_are_refused_not_trusted(caller: Caller) -> None:
    """Clients never send totals: a body with "total" is refused as an unknown field."""
    assert_field_problem(await caller.post("/invoices", invoice_body(total="1.00")), 422, "total", "validation_error")


async def test_a_number_already_used_is_409_number_taken(caller: Caller) -> None:
    """An explicit number must be unique in the workspace: 409 number_taken naming "number",
    on create and on update; the same number in another workspace is fine."""
    await create_invoice(caller, number="2026/017")
    total = await invoice_total(caller)
    problem = assert_field_problem(
        await caller.post("/invoices", invoice_body(number=" 2026/017 ")), 409, "number", "number_taken"
    )
    assert "2026/017" in problem["detail"]
    assert await invoice_total(caller) == total
    other = await create_invoice(caller)
    assert_field_problem(
        await caller.patch(f"/invoices/{other['uuid']}", {"number": "2026/017"}), 409, "number", "number_taken"
    )
    assert (await get_invoice(caller, other["uuid"]))["number"] is None


async def test_a_number_taken_by_a_finalized_invoice_is_refused(caller: Caller) -> None:
    """The number assigned at finalize is as taken as an explicit one."""
    first = await create_invoice(caller)
    number = (await caller.post(f"/invoices/{first['uuid']}/finalize")).json()["number"]
    assert_field_problem(await caller.post("/invoices", invoice_body(number=number)), 409, "number", "number_taken")


async def test_an_oversized_body_is_413_body_too_large(client: AsyncTestClient[Litestar], caller: Caller) -> None:
    """A body over 1 MiB is refused with 413 body_too_large before anything is created."""
    total = await invoice_total(caller)
    body = json.dumps(invoice_body(notes="x" * (1024 * 1024 + 10))).encode()
    response = await client.post(
        caller.url("/invoices"), content=body, headers={**caller.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 413, "body_too_large")
    assert await invoice_total(caller) == total


@pytest.mark.parametrize(
    "raw",
    [b'{"title": ', b"{'title': 'single quotes'}", b'{"title": "x",}', b"not json at all", b'{"title": NaN}'],
    ids=["truncated", "single-quotes", "trailing-comma", "plain-text", "bare-nan"],
)
async def test_malformed_json_is_400(client: AsyncTestClient[Litestar], caller: Caller, raw: bytes) -> None:
    """A body that is not JSON answers 400 malformed_json, never 500, and creates nothing."""
    total = await invoice_total(caller)
    response = await client.post(
        caller.url("/invoices"), content=raw, headers={**caller.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")
    assert await invoice_total(caller) == total


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b'"a string"', b"42"])
async def test_a_create_body_that_is_not_an_object_is_refused(
    client: AsyncTestClient[Litestar], caller: Caller, raw: bytes
) -> None:
    """An empty body or a JSON value that is not an object answers 422 about the body."""
    response = await client.post(
        caller.url("/invoices"), content=raw, headers={**caller.headers, "Content-Type": "application/json"}
    )
    assert_field_problem(response, 422, "body", "validation_error")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "-5"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"status": "bogus"}, "status"),
        ({"status": "DRAFTS"}, "status"),
        ({"client_uuid": "acme"}, "client_uuid"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "date_to"),
        ({"search": "s" * 201}, "search"),
    ],
)
async def test_bad_list_query_parameters_name_the_parameter(caller: Caller, params: dict[str, str], field: str) -> None:
    """A query parameter out of range, of the wrong type or not a status answers 422
    validation_error naming the parameter."""
    problem = assert_field_problem(await caller.get("/invoices", params=params), 422, field, "validation_error")
    assert {e.get("source", "query") for e in problem["errors"]} == {"query"}


async def test_bad_dry_run_flag_is_refused(caller: Caller) -> None:
    """?dry_run takes a boolean; anything else is a 4xx problem, never a silent real run."""
    total = await invoice_total(caller)
    response = await caller.post("/invoices", invoice_body(), params={"dry_run": "maybe"})
    assert_field_problem(response, 422, "dry_run")
    assert await invoice_total(caller) == total


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"due_date": "2000-01-01"}, "due_date"),
        ({"issue_date": "2026-02-29"}, "issue_date"),
        ({"currency": "EURO"}, "currency"),
        ({"items": [_item(quantity="0")]}, "items[0].quantity"),
        ({"tax_rate": "NaN"}, "tax_rate"),
        ({"status": "paid"}, "status"),
    ],
)
async def test_a_bad_update_names_the_field_and_changes_nothing(
    caller: Caller, body: dict[str, Any], field: str
) -> None:
    """PATCH with an empty body, a bad value, or a field that is not editable (status) is
    refused naming the field; the draft is unchanged."""
    draft = await create_invoice(caller)
    before = await get_invoice(caller, draft["uuid"])
    problem = assert_problem(await caller.patch(f"/invoices/{draft['uuid']}", body), 422, "validation_error")
    assert field in problem["detail"], problem
    assert await get_invoice(caller, draft["uuid"]) == before


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("send", {"to": ["not-an-email"]}, "to[0]"),
        ("send", {"to": "a@b.example"}, "to"),
        ("send", {"to": [f"p{i}@client.example" for i in range(21)]}, "to"),
        ("send", {"message": "m" * 5001}, "message"),
        ("payments", {"amount": "ten"}, "amount"),
        ("payments", {"payment_date": "2026-02-30"}, "payment_date"),
        ("payments", {"payment_method": "m" * 101}, "payment_method"),
        ("cancel", {"reason": "r" * 1001}, "reason"),
        ("duplicate", {"issue_date": "2026-03-10", "due_date": "2026-03-01"}, "due_date"),
        ("duplicate", {"title": ""}, "title"),
    ],
)
async def test_bad_action_bodies_name_the_field(caller: Caller, action: str, body: dict[str, Any], field: str) -> None:
    """Action bodies (send, payments, cancel, duplicate) are validated like create bodies:
    422 naming the field, and the invoice is unchanged."""
    invoice = await create_invoice(caller)
    if action == "payments":
        await caller.post(f"/invoices/{invoice['uuid']}/send", {"notify": False})
    before = await get_invoice(caller, invoice["uuid"])
    total = await invoice_total(caller)
    response = await caller.post(f"/invoices/{invoice['uuid']}/{action}", body)
    assert_field_problem(response, 422, field, "validation_error")
    assert await get_invoice(caller, invoice["uuid"]) == before
    assert await invoice_total(caller) == total


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "Acme", "email": "not-an-email"}, "email"),
        ({"name": "Acme", "country": "USA"}, "country"),
        ({"name": "Acme", "country": "1X"}, "country"),
        ({"name": "Acme", "vat": "FR123"}, "vat"),
    ],
)
async def test_bad_client_input_names_the_field(caller: Caller, body: dict[str, Any], field: str) -> None:
    """Clients are validated too: blank name, bad email, a country that is not ISO 3166
    alpha-2, an unknown field; nothing is created."""
    before = (await caller.get("/clients")).json()["total"]
    problem = assert_problem(await caller.post("/clients", body), 422, "validation_error")
    assert field in problem["detail"], problem
    assert (await caller.get("/clients")).json()["total"] == before


async def test_a_client_with_invoices_cannot_be_deleted(caller: Caller) -> None:
    """Invoices are records and keep their client: 409 client_in_use; an unused client goes."""
    used = await create_client(caller)
    await create_invoice(caller, client_uuid=used["uuid"])
    assert_problem(await caller.delete(f"/clients/{used['uuid']}"), 409, "client_in_use")
    assert (await caller.get(f"/clients/{used['uuid']}")).status_code == 200
    unused = await create_client(caller)
    assert (await caller.delete(f"/clients/{unused['uuid']}")).status_code == 204
    assert_problem(await caller.get(f"/clients/{unused['uuid']}"), 404, "client_not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_currency": "ABC"}, "default_currency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"locale": "xx_YY_ZZ"}, "locale"),
        ({"number_pattern": "INV-{YYYY}"}, "number_pattern"),
        ({"number_pattern": "INV-{DAY}-{SEQ}"}, "number_pattern"),
        ({"payment_terms_days": 400}, "payment_terms_days"),
        ({"name": "  "}, "name"),
    ],
)
async def test_bad_workspace_settings_name_the_field(caller: Caller, body: dict[str, Any], field: str) -> None:
    """Business settings are validated: currency, IANA time zone, locale, number pattern
    (one {SEQ}, known tokens), payment terms; the settings are unchanged."""
    before = (await caller.get("")).json()
    problem = assert_problem(await caller.patch("", body), 422, "validation_error")
    assert field in problem["detail"], problem
    assert (await caller.get("")).json() == before


async def test_an_empty_body_is_refused_with_a_readable_message(caller: Caller) -> None:
    """A POST without a body says a JSON body is needed, not an internal parameter name."""
    response = await caller.client.post(caller.url("/invoices"), headers=caller.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "body",
        "message": "a JSON object body is required",
        "source": "body",
    }
