"""What the e-invoice tests share: a German seller with every detail XRechnung and Peppol
ask for, clients of each kind, and the official oracle of ``../shared/einvoicing``
(``validate.py``: the XSDs and the full CEN EN 16931, KoSIT XRechnung and OpenPEPPOL rule
sets), run in a child process so that its Saxon never meets the application's."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.api.conftest import Caller

KIT = Path(__file__).resolve().parents[3] / "shared" / "einvoicing"
FORMATS = ("xrechnung-ubl", "xrechnung-cii", "peppol", "facturx")
SELLER = {
    "legal_name": "Muster Agentur GmbH",
    "address": "Friedrichstraße 1\n10117 Berlin",
    "country": "DE",
    "tax_id": "DE136695976",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "email": "billing@muster-agentur.example",
    "phone": "+49 30 1234567",
    "electronic_address": "9930:DE136695976",
}
LEITWEG = "04011000-1234512345-06"


def oracle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("einvoicing_validate", KIT / "validate.py")
    assert spec is not None, f"the validation kit is missing at {KIT}"
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def validate(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Each file's verdict by the official rule sets its format needs (chosen by its
    specification identifier, as the kit does), keyed by name."""
    results = oracle().validate_many(list(files.items()), use_subprocess=True)
    return {r["file"]: r for r in results}


def fatal(result: dict[str, Any]) -> list[str]:
    return [f"{f['id']}: {f.get('text', '')[:200]}" for f in result["findings"] if f["flag"] == "fatal"]


async def german_seller(caller: Caller, **overrides: Any) -> None:
    answer = await caller.patch("", {**SELLER, **overrides})
    assert answer.status_code == 200, answer.text


async def client(caller: Caller, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Stadtverwaltung Musterstadt",
        "email": "rechnungen@musterstadt.example",
        "address_line1": "Rathausplatz 1",
        "city": "Musterstadt",
        "postal_code": "12345",
        "country": "DE",
        "buyer_reference": LEITWEG,
        "electronic_address": f"0204:{LEITWEG}",
        **fields,
    }
    answer = await caller.post("/clients", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())
