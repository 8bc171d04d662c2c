"""VAT categories, discounts, allowances and charges through REST and on the printed
invoice (issue 21): one German invoice for a service period with early-payment terms, a
discounted line at 19%, a line at 7%, an exempt line, a 10% allowance taken from each VAT
group and a charge, answered with its VAT breakdown and printed with it; a reverse-charge
invoice refused at finalize as a problem naming the client's VAT ID, then issued with its
legal note on the PDF. The PDFs are kept in test-artifacts/documents for a person to look at."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Caller
from tests.workers.test_pdf import text_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


def words(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text with every run of white space as one space (a long label may wrap)."""
    return " ".join(text_of(pdf, tmp_path).split())


def keep(name: str, pdf: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(pdf)


async def test_an_invoice_with_discounts_charges_and_three_vat_groups_is_answered_and_printed_with_its_breakdown(
    caller: Caller, tmp_path: Path
) -> None:
    created = await caller.post(
        "/invoices",
        {
            "title": "Relaunch, phase 1",
            "currency": "EUR",
            "tax_rate": 19,
            "due_date": "2099-03-30",
            "service_period_start": "2026-11-01",
            "service_period_end": "2026-11-30",
            "early_payment_discount": 2,
            "items": [
                # 40 h x 120.00 = 4,800.00, 5% off = 240.00: 4,560.00 at 19%
                {"description": "Development", "quantity": 40, "unit_price": 120, "discount_percent": 5},
                {"description": "Printed style guide", "quantity": 2, "unit_price": "45.50", "tax_rate": 7},
                {
                    "description": "Workshop for the apprentices",
                    "quantity": 1,
                    "unit_price": 600,
                    "tax_category": "E",
                    "exemption_reason": "Steuerfrei nach § 4 Nr. 21 UStG",
                },
            ],
            "adjustments": [
                {"kind": "allowance", "reason": "Framework agreement", "percent": 10},
                {"kind": "charge", "reason": "Travel", "amount": "80.00", "tax_category": "S", "tax_rate": 19},
            ],
        },
    )
    assert created.status_code == 201, created.text
    invoice = created.json()
    # 19%: 4,560.00 - 456.00 + 80.00 = 4,184.00 -> 794.96; 7%: 91.00 - 9.10 = 81.90 -> 5.733
    # -> 5.73; exempt: 600.00 - 60.00 = 540.00. Net 4,805.90, VAT 800.69, total 5,606.59.
    assert [
        (g["tax_category"], g["tax_rate"], g["taxable_amount"], g["tax_amount"]) for g in invoice["vat_breakdown"]
    ] == [
        ("S", "19", "4184.00", "794.96"),
        ("S", "7", "81.90", "5.73"),
        ("E", "0", "540.00", "0.00"),
    ]
    assert (invoice["subtotal"], invoice["allowance_total"], invoice["charge_total"]) == ("5251.00", "525.10", "80.00")
    assert (invoice["net_total"], invoice["tax_amount"], invoice["total"]) == ("4805.90", "800.69", "5606.59")
    assert invoice["legal_notes"] == ["Exempt from VAT: Steuerfrei nach § 4 Nr. 21 UStG."]
    pdf = await caller.get(f"/invoices/{invoice['uuid']}/pdf")
    assert pdf.status_code == 200
    keep("vat-breakdown-draft.pdf", pdf.content)
    text = words(pdf.content, tmp_path)
    for printed in (
        "Service period November 1, 2026 \u2013 November 30, 2026",
        "Discount 5%: -€240.00",
        "Framework agreement (10%, 19%) -€456.00",
        "Framework agreement (10%, 7%) -€9.10",
        "Framework agreement (10%, Exempt) -€60.00",
        "Travel (19%) €80.00",
        "Net €4,805.90",
        "VAT 19% on €4,184.00 €794.96",
        "VAT 7% on €81.90 €5.73",
        "Exempt on €540.00 €0.00",
        "Total €5,606.59",
        "Exempt from VAT: Steuerfrei nach § 4 Nr. 21 UStG.",
        # Skonto: 2% of 5,606.59 = 112.1318 -> 112.13; 5,494.46 within 10 days.
        "2 % discount if paid by",
        "€5,494.46",
    ):
        assert printed in text, (printed, text)


async def test_reverse_charge_is_refused_without_the_clients_vat_id_and_printed_with_its_note_with_it(
    caller: Caller, tmp_path: Path
) -> None:
    client = (await caller.post("/clients", {"name": "Stadtwerke Wien GmbH", "country": "AT"})).json()
    draft = (
        await caller.post(
            "/invoices",
            {
                "title": "Audit",
                "currency": "EUR",
                "tax_rate": 19,
                "tax_category": "AE",
                "client_uuid": client["uuid"],
                "items": [{"description": "Security audit", "quantity": 3, "unit_price": 950}],
            },
        )
    ).json()
    assert (draft["tax_amount"], draft["total"], draft["vat_breakdown"][0]["exemption_code"]) == (
        "0.00",
        "2850.00",
        "VATEX-EU-AE",
    )
    refused = await caller.post(f"/invoices/{draft['uuid']}/finalize")
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"] == [
        {
            "field": "client.tax_number",
            "message": "the client's VAT ID is required on an invoice at category AE (reverse charge)",
        }
    ]
    assert (await caller.get(f"/invoices/{draft['uuid']}")).json()["number"] is None

    await caller.patch(f"/clients/{client['uuid']}", {"tax_number": "ATU13585627"})
    issued = await caller.post(f"/invoices/{draft['uuid']}/finalize")
    assert issued.status_code == 200, issued.text
    pdf = await caller.get(f"/invoices/{draft['uuid']}/pdf")
    keep("reverse-charge.pdf", pdf.content)
    text = words(pdf.content, tmp_path)
    for printed in (
        "Reverse charge on €2,850.00 €0.00",
        "Reverse charge: the recipient is liable for the VAT (Article 196, Directive 2006/112/EC).",
        "Tax ID: ATU13585627",
        issued.json()["number"],
    ):
        assert printed in text, (printed, text)


async def test_an_invoice_in_another_currency_states_its_vat_in_the_accounting_currency(
    caller: Caller, tmp_path: Path
) -> None:
    """BT-111: with VAT accounted in EUR, a USD invoice is refused at finalize until the rate
    is given, then states its VAT in EUR at that rate: $190.00 x 0.9215 = €175.085 -> €175.09."""
    await caller.client.patch(caller.url(), json={"vat_currency": "eur"}, headers=caller.headers)
    draft = (
        await caller.post(
            "/invoices",
            {"title": "US client", "currency": "USD", "tax_rate": 19,
             "items": [{"description": "Consulting", "quantity": 10, "unit_price": 100}]},
        )
    ).json()  # fmt: skip
    refused = await caller.post(f"/invoices/{draft['uuid']}/finalize")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["vat_exchange_rate"]
    assert "accounted in EUR" in refused.json()["errors"][0]["message"]
    await caller.patch(f"/invoices/{draft['uuid']}", {"vat_exchange_rate": "0.9215"})
    issued = (await caller.post(f"/invoices/{draft['uuid']}/finalize")).json()
    assert (issued["tax_amount"], issued["vat_accounting"]) == (
        "190.00", {"currency": "EUR", "rate": "0.9215", "tax_amount": "175.09"},
    )  # fmt: skip
    text = words((await caller.get(f"/invoices/{draft['uuid']}/pdf")).content, tmp_path)
    assert "VAT in EUR at 0.9215 €175.09" in text
    # An invoice in the accounting currency itself needs no rate.
    euros = (await caller.post("/invoices", {"title": "EU", "currency": "EUR", "items": [
        {"description": "x", "quantity": 1, "unit_price": 1}]})).json()  # fmt: skip
    assert (await caller.post(f"/invoices/{euros['uuid']}/finalize")).json()["vat_accounting"] is None
