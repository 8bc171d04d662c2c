"""Invoices for clients who write in Cyrillic, Greek, Arabic, Hebrew, Chinese, Japanese and
Korean print with real glyphs, read back exactly, right to left where the script is; long
unbroken words wrap inside their own block; a unit price finer than the currency prints as
entered. The invoices come from the domain on the test database and are printed by the real
Chromium; one PDF per script, and a PNG of its page, is kept under test-artifacts/scripts/.

No box: a character that no font has is drawn as glyph 0 (.notdef), yet still written to the
PDF's text layer, so reading the text back cannot tell. ``notdef_glyphs`` reads the glyphs
each text operator draws, in every font of the page (see ``tests/workers/scripts.py``), and
a control test shows that it does find the box of a character no font has. Apart from what
Chromium fell back on, the font stack of the template itself is checked to name installed
fonts whose character maps (fontTools) hold every character of the samples.

Right to left: pdftotext's plain text puts the letters of a right-to-left word in reading
order, but orders the words and numbers of a mixed line by its own heuristics (which differ
between its modes and versions), so the right-to-left samples are read from the word boxes
(pdftotext -bbox) instead: the glyphs as they stand on the page, left to right, must be
exactly the sample laid out right to left (``visual_words``). That checks the letters and
that the line really reads right to left."""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from app.documents.html import invoice_html
from app.documents.pdf import PdfRenderer
from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, ItemInput, WorkspaceSettingsUpdate
from tests.conftest import ONE_DATABASE
from tests.workers.scripts import (
    SAMPLES,
    Sample,
    Word,
    notdef_glyphs,
    on_one_line,
    pdf_text,
    pdf_words,
    visual_words,
)

pytestmark = ONE_DATABASE

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "scripts"
# The printed documents' look (fonts included), shared by the invoice and the credit note.
TEMPLATE = Path(__file__).resolve().parents[2] / "app" / "documents" / "templates" / "_style.html"
A4_WIDTH = 595.92  # points, as Chromium writes the MediaBox
MARGIN = 16 / 25.4 * 72  # the template's left and right page margin, 16 mm
LONG_NAME = "AKTIENGESELLSCHAFTFUERDIGITALELOESUNGENUNDBERATUNGSDIENSTEXY"  # 60 letters
LONG_URL = (
    "https://drive.example.com/file/d/1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUvWxYz/view?usp=sharing&key=0abcdefghijklmnop"
)


@pytest.fixture(scope="module")
async def renderer(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PdfRenderer]:
    async with PdfRenderer(tmp_path_factory.mktemp("pdf-cache")) as pdfs:
        yield pdfs


async def _seller(billing: Billing, owner: Principal, access: WorkspaceAccess) -> None:
    await billing.workspaces.update_settings(
        owner,
        access.workspace.slug,
        WorkspaceSettingsUpdate(
            legal_name="Acme Studio Ltd", address="1 High Street\nLondon", email="billing@acme.example"
        ),
    )


async def _invoice(
    billing: Billing, access: WorkspaceAccess, *, name: str, address: str, description: str, title: str = "Website"
) -> InvoiceOut:
    client = await billing.clients.create_client(
        access, ClientInput(name=name, address_line1=address, email="client@example.com")
    )
    item = ItemInput(description=description, quantity=Decimal(2), unit_price=Decimal("99.995"))
    out = await billing.invoices.create_invoice(
        access, InvoiceCreate(title=title, client_uuid=client.uuid, currency="EUR", items=[item])
    )
    assert isinstance(out, InvoiceOut)
    return out


async def _print(billing: Billing, access: WorkspaceAccess, invoice: InvoiceOut, renderer: PdfRenderer) -> bytes:
    return await renderer.print_html(invoice_html(await billing.invoices.document(access, invoice.uuid)))


def _keep(script: str, pdf: bytes) -> Path:
    """The PDF (and a PNG of its first page) under test-artifacts/scripts/, each written
    whole: the SQLite and PostgreSQL runs may write the same names side by side."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{script}.pdf"
    partial = ARTIFACTS / f".{script}.{id(pdf)}.pdf"
    partial.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", partial, partial.with_suffix("")],
        check=True,
    )
    partial.with_suffix(".png").replace(target.with_suffix(".png"))
    partial.replace(target)
    return target


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.script for s in SAMPLES])
async def test_a_client_in_each_script_prints_in_real_glyphs_and_reads_back_exactly(
    sample: Sample, billing: Billing, owner: Principal, access: WorkspaceAccess, renderer: PdfRenderer
) -> None:
    await _seller(billing, owner, access)
    invoice = await _invoice(billing, access, name=sample.name, address=sample.address, description=sample.description)
    pdf = await _print(billing, access, invoice, renderer)
    path = _keep(sample.script, pdf)

    assert notdef_glyphs(pdf) == [], f"{sample.script}: characters printed as empty boxes"
    text = pdf_text(str(path))
    if sample.rtl:
        words = pdf_words(str(path))
        for value in (sample.name, sample.address, sample.description):
            assert on_one_line(words, visual_words(value)), (value, visual_words(value), [w.text for w in words])
    else:
        lines = [line.strip() for line in text.splitlines()]
        for value in (sample.name, sample.address, sample.description):
            assert value in lines, (value, lines)
    # The unit price as entered, the line and the totals at the currency's two digits.
    assert "€99.995" in text
    assert "€199.99" in text
    assert "€100.00" not in text


async def test_the_check_finds_the_box_of_a_character_no_font_has(renderer: PdfRenderer) -> None:
    """U+0378 is unassigned: no font has it. Drawn in a TrueType font (Liberation Sans, a
    Type0 font in the PDF) and in a CFF one (Noto Sans CJK, a Type3 font), both are found."""
    html = (
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        "<p style=\"font-family: 'Liberation Sans'\">Ab\u0378cd</p>"
        "<p style=\"font-family: 'Noto Sans CJK SC'\">北\u0378京</p></body></html>"
    )
    found = notdef_glyphs(await renderer.print_html(html))
    assert len(found) == 2, found
    assert "Type0" in found[0] or "LiberationSans" in found[0], found
    assert "Type3" in found[1], found


def _stack() -> list[str]:
    """The families the invoice's font stack names, in order (the generic family left out)."""
    css = TEMPLATE.read_text()
    declaration = re.search(r"font-family:([^;]+);", css)
    assert declaration is not None
    cjk = re.search(r":root \{ --cjk:([^;]+);", css)
    assert cjk is not None
    families = declaration[1].replace("var(--cjk)", cjk[1])
    return [f.strip().strip("\"'") for f in families.split(",") if f.strip() not in ("sans-serif", "")]


def _installed(family: str) -> tuple[str, int] | None:
    """The file and face index of ``family`` when fontconfig has that very family."""
    done = subprocess.run(
        ["fc-match", "--format=%{family}\n%{file}\n%{index}", family], capture_output=True, text=True, check=True
    )
    names, file, index = done.stdout.split("\n")
    return (file, int(index)) if family in names.split(",") else None


def test_the_font_stack_names_installed_fonts_that_hold_every_sample_character() -> None:
    maps: dict[str, set[int]] = {}
    for family in _stack():
        found = _installed(family)
        if found is not None:
            with TTFont(found[0], fontNumber=found[1], lazy=True) as font:
                maps[family] = set(font.getBestCmap())
    for family in ("Liberation Sans", "Noto Sans Arabic", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR"):
        assert family in maps, f"{family} is not installed (fonts-liberation2, fonts-noto-core, fonts-noto-cjk)"
    for sample in SAMPLES:
        for char in sample.name + sample.address + sample.description:
            holders = [family for family, cmap in maps.items() if ord(char) in cmap]
            assert holders, f"{sample.script}: no font of the stack has U+{ord(char):04X} {char!r}"


async def test_long_unbroken_words_wrap_inside_their_own_block(
    billing: Billing, owner: Principal, access: WorkspaceAccess, renderer: PdfRenderer, tmp_path: Path
) -> None:
    await _seller(billing, owner, access)
    plain = await _invoice(billing, access, name="Acme Corp", address="12 Main Street", description="Design")
    long = await _invoice(
        billing, access, name=LONG_NAME, address="Hauptstrasse 1", description=LONG_URL, title=LONG_NAME
    )
    (tmp_path / "plain.pdf").write_bytes(await _print(billing, access, plain, renderer))
    pdf = await _print(billing, access, long, renderer)
    _keep("long-words", pdf)
    (tmp_path / "long.pdf").write_bytes(pdf)
    assert notdef_glyphs(pdf) == []
    words = pdf_words(str(tmp_path / "long.pdf"))

    # Printed at its own size: Chromium shrinks a page whose content is wider than the paper,
    # which keeps every word inside the margins but prints everything smaller.
    def heading_height(found: list[Word]) -> float:
        return next(w.y_max - w.y_min for w in found if w.text == "Draft")

    assert heading_height(words) == pytest.approx(heading_height(pdf_words(str(tmp_path / "plain.pdf"))), rel=0.01)
    for word in words:
        assert word.x_min >= MARGIN - 1, word
        assert word.x_max <= A4_WIDTH - MARGIN + 1, word

    # The title (beside the seller's block) and the client's name (beside the number and
    # dates) each wrap over two lines or more, and stay left of the block beside them.
    seller_left = min(w.x_min for w in words if w.text in ("Acme", "London", "billing@acme.example"))
    number_left = min(w.x_min for w in words if w.text == "Number")
    bill_to = min(w.y_min for w in words if w.text == "BILL")
    pieces = [w for w in words if len(w.text) > 3 and w.text in LONG_NAME]
    title = [w for w in pieces if w.y_max < bill_to]
    name = [w for w in pieces if w.y_min > bill_to]
    for part, right_edge in ((title, seller_left), (name, number_left)):
        assert len(part) >= 2, part
        assert "".join(w.text for w in sorted(part, key=lambda w: w.y_min)) == LONG_NAME, part
        assert all(w.x_max < right_edge for w in part), (part, right_edge)

    # The URL wraps inside the description column, left of the quantity.
    url = sorted((w for w in words if len(w.text) > 3 and w.text in LONG_URL), key=lambda w: w.y_min)
    assert len(url) >= 2, url
    assert "".join(w.text for w in url) == LONG_URL, url
    quantity = next(w for w in words if w.text == "2" and abs(w.y_min - url[0].y_min) < 2)
    assert all(w.x_max < quantity.x_min for w in url), (url, quantity)
