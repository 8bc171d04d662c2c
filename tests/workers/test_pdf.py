"""Invoice PDFs rendered by Chromium through Playwright, read back with pdftotext: a draft
reads DRAFT and its totals, a finalized invoice has no DRAFT, and an unchanged invoice is
served from the cache without a second render."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import Caller

THREE_ITEMS = [
    {"description": "UX Design", "quantity": 20, "unit_price": 120},
    {"description": "Frontend Dev", "quantity": 60, "unit_price": 150},
    {"description": "QA Testing", "quantity": 15, "unit_price": 100},
]


def text_of(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it (raw order, so the diagonal watermark reads too)."""
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def renders(app: Litestar) -> object:
    return app.state.pdfs.renderer


async def test_a_draft_pdf_reads_draft_and_its_totals_and_a_finalized_one_does_not(
    caller: Caller, tmp_path: Path
) -> None:
    created = await caller.post(
        "/invoices",
        {"title": "Website redesign", "tax_rate": 10, "due_date": "2099-03-30", "items": THREE_ITEMS},
    )
    uuid = created.json()["uuid"]
    draft = await caller.get(f"/invoices/{uuid}/pdf")
    assert draft.status_code == 200, draft.text
    assert draft.headers["content-type"] == "application/pdf"
    assert draft.content.startswith(b"%PDF-")
    text = text_of(draft.content, tmp_path)
    assert "DRAFT" in text
    for amount in ("$12,900.00", "$1,290.00", "$14,190.00", "Frontend Dev", "Website redesign"):
        assert amount in text, amount

    finalized = (await caller.post(f"/invoices/{uuid}/finalize")).json()
    final = await caller.get(f"/invoices/{uuid}/pdf")
    text = text_of(final.content, tmp_path)
    assert "DRAFT" not in text
    assert finalized["number"] in text
    assert final.headers["content-disposition"] == f'inline; filename="invoice-{finalized["number"]}.pdf"'


async def test_an_unchanged_invoice_is_rendered_once(caller: Caller, renders: object) -> None:
    uuid = (await caller.post("/invoices", {"title": "Cached", "items": THREE_ITEMS[:1]})).json()["uuid"]
    before = renders.renders  # type: ignore[attr-defined]
    first = await caller.get(f"/invoices/{uuid}/pdf")
    second = await caller.get(f"/invoices/{uuid}/pdf")
    assert first.content == second.content
    assert renders.renders == before + 1  # type: ignore[attr-defined]
    await caller.patch(f"/invoices/{uuid}", {"notes": "changed"})
    await caller.get(f"/invoices/{uuid}/pdf")
    assert renders.renders == before + 2, "a changed invoice is rendered again"  # type: ignore[attr-defined]


async def test_a_stranger_gets_404_for_the_pdf(
    caller: Caller, stranger: Caller, client: AsyncTestClient[Litestar]
) -> None:
    uuid = (await caller.post("/invoices", {"title": "Private", "items": THREE_ITEMS[:1]})).json()["uuid"]
    response = await client.get(caller.url(f"/invoices/{uuid}/pdf"), headers=stranger.headers)
    assert response.status_code == 404
