"""The same invoice in the client's language (issue 21): a reverse-charge invoice to a
German client reads "Rechnung", its dates and amounts the German way and the legal note as
German practice words it (§ 13b UStG); to a French client, "Facture", "Autoliquidation" and
French numbers; a client without a language gets the workspace's (English). A language
Billcraft does not write is refused, naming the ones it does. The PDFs are kept in
test-artifacts/documents."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Caller
from tests.api.test_vat_rest import keep, words


async def _reverse_charge_pdf(caller: Caller, tmp_path: Path, name: str, language: str) -> str:
    client = (
        await caller.post(
            "/clients", {"name": name, "tax_number": "ATU13585627", "country": "AT", "language": language}
        )
    ).json()
    draft = (
        await caller.post(
            "/invoices",
            {
                "title": "Audit", "currency": "EUR", "tax_category": "AE", "client_uuid": client["uuid"],
                "issue_date": "2026-11-03", "due_date": "2026-12-03",
                "items": [{"description": "Security audit", "quantity": 3, "unit_price": "1250.50"}],
            },
        )
    ).json()  # fmt: skip
    assert (await caller.post(f"/invoices/{draft['uuid']}/finalize")).status_code == 200
    pdf = await caller.get(f"/invoices/{draft['uuid']}/pdf")
    keep(f"reverse-charge-{language or 'workspace'}.pdf", pdf.content)
    return words(pdf.content, tmp_path)


async def test_an_invoice_speaks_its_clients_language_with_that_countrys_legal_wording(
    caller: Caller, tmp_path: Path
) -> None:
    german = await _reverse_charge_pdf(caller, tmp_path, "Stadtwerke Wien GmbH", "de")
    legal = "Steuerschuldnerschaft des Leistungsempfängers (§ 13b UStG; Art. 196 der Richtlinie 2006/112/EG)."
    for shown in ("Rechnung", "Rechnungsdatum 3. November 2026", "3.751,50 €", legal, "Gesamtbetrag"):
        assert shown in german, (shown, german)
    french = await _reverse_charge_pdf(caller, tmp_path, "Régie de Vienne", "fr")
    legal = "Autoliquidation : la TVA est due par le preneur"
    for shown in ("Facture", "3 novembre 2026", "3\u202f751,50\u00a0€", legal, "Total"):
        assert shown.replace("\u202f", " ").replace("\u00a0", " ") in french, (shown, french)
    english = await _reverse_charge_pdf(caller, tmp_path, "Vienna Utilities", "")
    assert "Reverse charge: the recipient is liable for the VAT" in english
    assert "€3,751.50" in english


async def test_a_language_billcraft_does_not_write_is_refused_naming_those_it_does(caller: Caller) -> None:
    refused = await caller.post("/clients", {"name": "Tokyo KK", "language": "ja"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "language",
            "message": "'ja' is not a language Billcraft writes; use one of en, de, fr, es, it, nl, pt_BR",
        }
    ]
    made = await caller.post("/clients", {"name": "São Paulo Ltda", "language": "pt-br"})
    assert made.json()["language"] == "pt_BR"
