"""The names PDFs are downloaded under, whatever the invoice number holds: REST's
``GET .../invoices/{uuid}/pdf`` and the client's public page send one safe name (no path,
no "..", no quotes or control characters; an ASCII ``filename`` and, for other letters,
``filename*``), and numbers or patterns that read as paths are refused where people type
them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import Caller
from tests.api.support import assert_field_problem, create_invoice
from tests.hostile_numbers import HOSTILE_NUMBERS, force_number


async def _sent_invoice_numbered(caller: Caller, db: Any, number: str) -> dict[str, Any]:
    invoice = await create_invoice(caller)
    sent = await caller.post(f"/invoices/{invoice['uuid']}/send", json={"notify": False})
    assert sent.status_code == 200, sent.text
    await force_number(db, invoice["uuid"], number)
    return dict(sent.json())


@pytest.mark.parametrize(("number", "filename", "header"), HOSTILE_NUMBERS)
async def test_the_rest_pdf_is_named_safely_whatever_the_number(
    caller: Caller, db: Any, number: str, filename: str, header: str
) -> None:
    invoice = await _sent_invoice_numbered(caller, db, number)
    pdf = await caller.get(f"/invoices/{invoice['uuid']}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-disposition"] == header


@pytest.mark.parametrize(("number", "filename", "header"), HOSTILE_NUMBERS)
async def test_the_public_page_pdf_is_named_safely_whatever_the_number(
    caller: Caller, client: AsyncTestClient[Litestar], db: Any, number: str, filename: str, header: str
) -> None:
    invoice = await _sent_invoice_numbered(caller, db, number)
    path = "/i/" + str(invoice["public_url"]).rsplit("/i/", 1)[1] + "/pdf"
    client.cookies.clear()
    pdf = await client.get(path)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-disposition"] == header


@pytest.mark.parametrize("pattern", ["x/../../../tmp/pwned{SEQ}", "INV..{SEQ}", "INV\\{SEQ}"])
async def test_a_number_pattern_that_reads_as_a_path_is_refused(caller: Caller, pattern: str) -> None:
    """The problem names number_pattern and what numbers may hold; the pattern is unchanged."""
    before = (await caller.get("")).json()["number_pattern"]
    problem = assert_field_problem(await caller.patch("", {"number_pattern": pattern}), 422, "number_pattern")
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["field"] == "number_pattern"
    assert "letters, digits" in problem["errors"][0]["message"]
    assert '".."' in problem["errors"][0]["message"]
    assert (await caller.get("")).json()["number_pattern"] == before


@pytest.mark.parametrize("number", ["x/../../../tmp/pwned1", "INV..1", "INV\\1"])
async def test_an_explicit_number_that_reads_as_a_path_is_refused(caller: Caller, number: str) -> None:
    """On create and on update alike; the problem names number and what it may hold."""
    created = await caller.post("/invoices", {"title": "Paths", "number": number})
    problem = assert_field_problem(created, 422, "number", "validation_error")
    assert '".."' in problem["errors"][0]["message"]
    draft = await create_invoice(caller)
    updated = await caller.patch(f"/invoices/{draft['uuid']}", {"number": number})
    assert_field_problem(updated, 422, "number", "validation_error")
    assert (await caller.get(f"/invoices/{draft['uuid']}")).json()["number"] is None


async def test_numbers_with_single_slashes_and_dots_are_still_accepted(caller: Caller) -> None:
    """DESIGN's own style (2026/017) and dotted numbers stay valid."""
    for number in ("2026/017", "INV.2026.1"):
        assert (await create_invoice(caller, number=number))["number"] == number
    assert (await caller.patch("", {"number_pattern": "{YYYY}/{SEQ:3}"})).status_code == 200
