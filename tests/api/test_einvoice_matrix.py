"""Every e-invoice Billcraft makes passes the official rules (issue 22): a matrix of invoices
and credit notes (one currency and several; standard, reduced, zero, exempt, reverse charge,
intra-community supply, export; line and document discounts, a charge, Skonto; credit notes
in full and in part; a buyer reference; JPY and KWD amounts), each downloaded through REST
in the four formats (XRechnung UBL and CII, Peppol BIS, the Factur-X PDF) and held to the
full official rule sets of ``../shared/einvoicing`` (XSD, CEN EN 16931 1.3.16, KoSIT
XRechnung 2.5.0, OpenPEPPOL 3.0.19) by its own ``validate.py``. The files are kept in
test-artifacts/einvoices for a person to look at; the table of verdicts is printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.conftest import Caller
from tests.api.einvoice_support import FORMATS, client, fatal, german_seller, validate

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "einvoices"
DUE = "2099-03-30"


async def _issued(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    created = await caller.post("/invoices", {"currency": "EUR", "tax_rate": 19, "due_date": DUE, **body})
    assert created.status_code == 201, created.text
    finalized = await caller.post(f"/invoices/{created.json()['uuid']}/finalize")
    assert finalized.status_code == 200, finalized.text
    return dict(finalized.json())


async def _matrix(caller: Caller) -> dict[str, tuple[str, str]]:
    """name -> (kind, uuid) of every document of the matrix."""
    await german_seller(caller, vat_currency="EUR")
    city = await client(caller)
    vienna = await client(caller, name="Stadtwerke Wien GmbH", country="AT", tax_number="ATU13585627",
                          city="Wien", postal_code="1010")  # fmt: skip
    paris = await client(caller, name="Régie de Paris", country="FR", tax_number="FR40303265045",
                         city="Paris", postal_code="75001")  # fmt: skip
    boston = await client(caller, name="Boston Widgets Inc.", country="US", city="Boston", postal_code="02110")
    docs: dict[str, tuple[str, str]] = {}
    standard = await _issued(caller, {
        "client_uuid": city["uuid"], "title": "Website",
        "items": [{"description": "Development", "quantity": 12, "unit_price": 120}],
    })  # fmt: skip
    docs["standard-19"] = ("invoices", standard["uuid"])
    mixed = await _issued(caller, {
        "client_uuid": city["uuid"], "title": "Relaunch", "early_payment_discount": 2,
        "service_period_start": "2026-11-01", "service_period_end": "2026-11-30",
        "items": [
            {"description": "Development", "quantity": 40, "unit_price": 120, "discount_percent": 5},
            {"description": "Printed style guide", "quantity": 2, "unit_price": "45.50", "tax_rate": 7},
            {"description": "Newsletter design", "quantity": 1, "unit_price": 300, "discount_amount": "30.00"},
            {"description": "Workshop", "quantity": 1, "unit_price": 600, "tax_category": "E",
             "exemption_reason": "Steuerfrei nach § 4 Nr. 21 UStG"},
        ],
        "adjustments": [
            {"kind": "allowance", "reason": "Framework agreement", "percent": 10},
            {"kind": "charge", "reason": "Travel", "amount": "80.00", "tax_category": "S", "tax_rate": 19},
        ],
    })  # fmt: skip
    docs["mixed-discounts-skonto"] = ("invoices", mixed["uuid"])
    zero = await _issued(caller, {
        "client_uuid": city["uuid"], "title": "Books", "tax_category": "Z",
        "items": [{"description": "Printed books", "quantity": 3, "unit_price": "19.90"}],
    })  # fmt: skip
    docs["zero-rated"] = ("invoices", zero["uuid"])
    reverse = await _issued(caller, {
        "client_uuid": vienna["uuid"], "title": "Audit", "tax_category": "AE",
        "items": [{"description": "Security audit", "quantity": 3, "unit_price": "1250.50"}],
    })  # fmt: skip
    docs["reverse-charge"] = ("invoices", reverse["uuid"])
    intra = await _issued(caller, {
        "client_uuid": paris["uuid"], "title": "Hardware", "tax_category": "K",
        "items": [{"description": "Display units", "quantity": 4, "unit_price": "899.00"}],
    })  # fmt: skip
    docs["intra-community"] = ("invoices", intra["uuid"])
    export = await _issued(caller, {
        "client_uuid": boston["uuid"], "title": "Export", "tax_category": "G",
        "items": [{"description": "Printed catalogues", "quantity": 500, "unit_price": "2.40"}],
    })  # fmt: skip
    docs["export"] = ("invoices", export["uuid"])
    yen = await _issued(caller, {
        "client_uuid": city["uuid"], "title": "Tokyo office", "currency": "JPY", "vat_exchange_rate": "0.0061",
        "items": [{"description": "Consulting", "quantity": 3, "unit_price": 45000}],
    })  # fmt: skip
    docs["jpy-with-eur-vat"] = ("invoices", yen["uuid"])
    dinar = await _issued(caller, {
        "client_uuid": city["uuid"], "title": "Kuwait office", "currency": "KWD", "vat_exchange_rate": "2.98",
        "items": [{"description": "Consulting", "quantity": 2, "unit_price": "412.500"}],
    })  # fmt: skip
    docs["kwd-with-eur-vat"] = ("invoices", dinar["uuid"])
    for sent in (mixed, standard):  # a credit note corrects an invoice that went out
        assert (await caller.post(f"/invoices/{sent['uuid']}/send", {"notify": False})).status_code == 200
    full = await caller.post(f"/invoices/{mixed['uuid']}/credit-notes", {"reason": "Project cancelled"})
    assert full.status_code == 201, full.text
    docs["credit-note-full"] = ("credit-notes", full.json()["credit_notes"][-1]["uuid"])
    part = await caller.post(
        f"/invoices/{standard['uuid']}/credit-notes",
        {"reason": "Two hours billed twice", "lines": [{"line": 1, "quantity": 2}]},
    )
    assert part.status_code == 201, part.text
    docs["credit-note-partial"] = ("credit-notes", part.json()["credit_notes"][-1]["uuid"])
    return docs


async def test_every_output_of_the_matrix_passes_the_official_rules_of_its_format(caller: Caller) -> None:
    docs = await _matrix(caller)
    files: dict[str, bytes] = {}
    for name, (kind, uuid) in docs.items():
        for fmt in FORMATS:
            answer = await caller.get(f"/{kind}/{uuid}/einvoice", params={"format": fmt})
            assert answer.status_code == 200, (name, fmt, answer.text)
            suffix = "pdf" if fmt == "facturx" else "xml"
            files[f"{name}.{fmt}.{suffix}"] = answer.content
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (ARTIFACTS / name).write_bytes(body)
    verdicts = validate(files)
    table = [
        f"{name:50} {'valid' if v['valid'] else 'INVALID'} {','.join(v['rule_sets'])}" for name, v in verdicts.items()
    ]
    print("\n".join(table))
    broken = {name: fatal(v) for name, v in verdicts.items() if not v["valid"]}
    assert not broken, broken
    assert len(verdicts) == len(docs) * len(FORMATS)
