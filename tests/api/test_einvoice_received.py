"""E-invoices read back (issue 22): what Billcraft exports, imported as a supplier's file,
gives the same amounts back in every format (a round trip through the reader), kept
read-only with its check report; the official samples of ``../shared/einvoicing`` are read
and judged as the official rules judge them (a broken one received with its rule ids, never
refused); a file that is no e-invoice is refused with why; another workspace's is not found.
And the Factur-X PDF carries what PDF/A-3b and Factur-X ask of it (checked with pypdf:
veraPDF is not available here): the XML as an associated file, its XMP, an output intent,
every font embedded."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from tests.api.conftest import Caller
from tests.api.einvoice_support import FORMATS, KIT, client, german_seller

MIXED = {
    "title": "Relaunch", "currency": "EUR", "tax_rate": 19, "due_date": "2099-03-30", "early_payment_discount": 2,
    "items": [
        {"description": "Development", "quantity": 40, "unit_price": 120, "discount_percent": 5},
        {"description": "Printed style guide", "quantity": 2, "unit_price": "45.50", "tax_rate": 7},
    ],
    "adjustments": [{"kind": "allowance", "reason": "Framework agreement", "percent": 10}],
}  # fmt: skip


async def _issued(caller: Caller) -> dict[str, Any]:
    await german_seller(caller)
    buyer = await client(caller)
    created = (await caller.post("/invoices", {**MIXED, "client_uuid": buyer["uuid"]})).json()
    finalized = await caller.post(f"/invoices/{created['uuid']}/finalize")
    assert finalized.status_code == 200, finalized.text
    return dict(finalized.json())


async def _receive(caller: Caller, body: bytes, filename: str) -> dict[str, Any]:
    answer = await caller.post("/received-invoices", content=body, params={"filename": filename},
                               headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_what_billcraft_exports_reads_back_with_the_same_amounts_in_every_format(caller: Caller) -> None:
    invoice = await _issued(caller)
    for fmt in FORMATS:
        exported = await caller.get(f"/invoices/{invoice['uuid']}/einvoice", params={"format": fmt})
        assert exported.status_code == 200, exported.text
        received = await _receive(caller, exported.content, f"{invoice['number']}.{fmt}")
        read = received["invoice"]
        assert received["valid"] is True, (fmt, received["report"])
        assert (read["number"], read["currency"], read["issue_date"]) == (
            invoice["number"], "EUR", invoice["issue_date"],
        ), fmt  # fmt: skip
        amounts = ("line_total", "allowance_total", "tax_exclusive", "tax_total", "total", "payable")
        assert [Decimal(read[a]) for a in amounts] == [
            Decimal(invoice[k]) for k in ("subtotal", "allowance_total", "net_total", "tax_amount", "total", "total")
        ], fmt
        assert [Decimal(line["net_amount"]) for line in read["lines"]] == [
            Decimal(i["amount"]) for i in invoice["items"]
        ]
        assert [(g["category"], Decimal(g["taxable"]), Decimal(g["tax"])) for g in read["vat_breakdown"]] == [
            (g["tax_category"], Decimal(g["taxable_amount"]), Decimal(g["tax_amount"]))
            for g in invoice["vat_breakdown"]
        ], fmt
        assert read["seller"]["vat_id"] == "DE136695976"
        assert read["iban"] == "DE89370400440532013000"
        expected = {
            "xrechnung-ubl": "xrechnung",
            "xrechnung-cii": "xrechnung",
            "peppol": "peppol",
            "facturx": "facturx",
        }
        assert received["format"] == expected[fmt]
    listed = (await caller.get("/received-invoices")).json()
    assert listed["total"] == len(FORMATS)
    assert {r["number"] for r in listed["items"]} == {invoice["number"]}


async def test_the_official_samples_are_judged_as_the_official_rules_judge_them(caller: Caller) -> None:
    for name in ("xrechnung-ubl-invoice.xml", "peppol-ubl-creditnote.xml", "facturx-en16931.pdf"):
        received = await _receive(caller, (KIT / "samples" / "valid" / name).read_bytes(), name)
        assert received["valid"] is True, (name, received["report"]["errors"])
    broken = await _receive(
        caller, (KIT / "samples" / "invalid" / "en16931-ubl-invoice_wrong-tax-total.xml").read_bytes(), "broken.xml"
    )
    assert broken["valid"] is False
    assert "BR-CO-14" in {e["rule"] for e in broken["report"]["errors"]}
    stored = await caller.get(f"/received-invoices/{broken['uuid']}/file")
    assert stored.content == (KIT / "samples" / "invalid" / "en16931-ubl-invoice_wrong-tax-total.xml").read_bytes()


async def test_a_file_that_is_no_e_invoice_is_refused_with_why_and_nothing_is_kept(caller: Caller) -> None:
    entity = b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><x>&a;</x>"  # never resolved
    cases = [(b"<html><body>hello</body></html>", "not an e-invoice"), (b"%PDF-1.7 broken", "PDF"),
             (b"", "empty"), (entity, "")]  # fmt: skip
    for body, says in cases:
        answer = await caller.post("/received-invoices", content=body, headers={"Content-Type": "application/xml"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "file"
        assert says in answer.json()["detail"]
        assert "root:" not in answer.text
    assert (await caller.get("/received-invoices")).json()["total"] == 0


async def test_the_facturx_pdf_carries_its_xml_xmp_output_intent_and_embedded_fonts(caller: Caller) -> None:
    invoice = await _issued(caller)
    answer = await caller.get(f"/invoices/{invoice['uuid']}/einvoice", params={"format": "facturx"})
    assert answer.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.content))
    root: Any = reader.trailer["/Root"]
    # The XML as an associated file (PDF/A-3: /AF with /AFRelationship), named factur-x.xml.
    associated: list[Any] = [spec.get_object() for spec in root["/AF"]]
    assert [(spec["/F"], spec["/AFRelationship"]) for spec in associated] == [("factur-x.xml", "/Data")]
    assert associated[0]["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    xml = reader.attachments["factur-x.xml"][0]
    assert f"<ram:ID>{invoice['number']}</ram:ID>".encode() in xml
    # The XMP says PDF/A-3B and Factur-X EN 16931.
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part[^0-9]*3", xmp)
    assert re.search(r"pdfaid:conformance[^A-Z]*B", xmp)
    assert "EN 16931" in xmp
    assert "factur-x.xml" in xmp
    # An output intent with an ICC profile of three components (sRGB).
    intent: Any = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    # Every font embedded; not encrypted; a document id.
    assert not reader.is_encrypted
    assert "/ID" in reader.trailer
    fonts = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for reference in resources["/Font"].values():
            font: Any = reference.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            fonts.append(described["/FontDescriptor"].get_object())
    assert fonts
    assert all(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in fonts)


async def test_a_file_whose_dtd_names_an_external_entity_is_refused_and_nothing_is_read(
    caller: Caller, tmp_path: Path
) -> None:
    """A supplier's XML with a DOCTYPE that names a file on the server (XXE) is refused before
    any parser could fetch it: the file's contents appear nowhere, nothing is kept."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    sample = (KIT / "samples" / "valid" / "xrechnung-ubl-invoice.xml").read_text()
    body = sample.replace(
        "<ubl:Invoice", f'<!DOCTYPE ubl:Invoice [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n<ubl:Invoice', 1
    )
    body = body.replace("<cbc:Note>", "<cbc:Note>&x;", 1)
    assert "&x;" in body
    answer = await caller.post("/received-invoices", content=body.encode(), headers={"Content-Type": "application/xml"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "file"
    assert "DOCTYPE" in answer.json()["detail"]
    assert "TOP-SECRET-MARKER" not in answer.text
    assert (await caller.get("/received-invoices")).json()["total"] == 0
