"""Identifiers are checked, not just stored (issue 21, python-stdnum): the workspace's IBAN
(kept in groups of four) and BIC, the client's buyer reference when it is a Leitweg-ID and
its Peppol participant id by its scheme's check digits; each refusal names the field and
shows a valid example. The invoice prints the IBAN and BIC and the client's reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Caller
from tests.api.test_vat_rest import words


async def _settings(caller: Caller, **changes: str) -> tuple[int, dict[str, Any]]:
    response = await caller.client.patch(caller.url(), json=changes, headers=caller.headers)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iban", "DE89 3704 0044 0532 0130 01", "is not a valid IBAN"),
        ("bic", "COBA", "is not a valid BIC"),
    ],
)
async def test_a_wrong_iban_or_bic_is_refused(caller: Caller, field: str, value: str, message: str) -> None:
    status, body = await _settings(caller, **{field: value})
    assert status == 422
    [error] = body["errors"]
    assert error["field"] == field
    assert message in error["message"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("buyer_reference", "04011000-1234512345-07", "is not a valid Leitweg-ID"),
        ("electronic_address", "0088:4012345000008", "is not a valid GLN"),
        ("electronic_address", "9930:DE136695977", "is not a valid VAT ID"),
        ("electronic_address", "4012345000009", "is not a Peppol participant id"),
    ],
)
async def test_a_wrong_client_identifier_is_refused(caller: Caller, field: str, value: str, message: str) -> None:
    refused = await caller.post("/clients", {"name": "Stadt Köln", field: value})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], message in error["message"]) == (field, True)


async def test_checked_identifiers_are_kept_and_printed(caller: Caller, tmp_path: Path) -> None:
    status, settings = await _settings(caller, iban="de89370400440532013000", bic="cobadeffxxx")
    assert status == 200
    assert (settings["iban"], settings["bic"]) == ("DE89 3704 0044 0532 0130 00", "COBADEFFXXX")
    client = (
        await caller.post(
            "/clients",
            {"name": "Stadt Köln", "buyer_reference": "04011000-1234512345-06",
             "electronic_address": "0204:04011000-1234512345-06"},
        )
    ).json()  # fmt: skip
    assert (client["buyer_reference"], client["electronic_address"]) == (
        "04011000-1234512345-06", "0204:04011000-1234512345-06",
    )  # fmt: skip
    draft = (
        await caller.post(
            "/invoices",
            {"title": "Beratung", "client_uuid": client["uuid"],
             "items": [{"description": "Beratung", "quantity": 1, "unit_price": 100}]},
        )
    ).json()  # fmt: skip
    text = words((await caller.get(f"/invoices/{draft['uuid']}/pdf")).content, tmp_path)
    assert "Your reference 04011000-1234512345-06" in text
    assert "IBAN: DE89 3704 0044 0532 0130 00 · BIC: COBADEFFXXX" in text
