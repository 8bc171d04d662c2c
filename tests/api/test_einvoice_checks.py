"""E-invoices are checked before they are issued (issue 22): a client who takes XRechnung
or Peppol has a finalize refused, as a problem naming each broken rule (its id, its message
and the Billcraft field to fix), never half-issued (no number taken, still a draft); the
``validate`` action shows a draft's problems first ("what is missing for XRechnung?"); what
Billcraft's own checks say agrees with the official rule files when those are at hand; and
an invoice finalized once the fields are given downloads as a valid file."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Caller
from tests.api.einvoice_support import KIT, client, german_seller, validate

BODY = {"title": "Website", "currency": "EUR", "tax_rate": 19, "due_date": "2099-03-30",
        "items": [{"description": "Development", "quantity": 10, "unit_price": 120}]}  # fmt: skip


async def _draft(caller: Caller, client_uuid: str, **overrides: Any) -> dict[str, Any]:
    created = await caller.post("/invoices", {**BODY, "client_uuid": client_uuid, **overrides})
    assert created.status_code == 201, created.text
    return dict(created.json())


def _rules(problem: dict[str, Any]) -> dict[str, str]:
    return {e["rule"]: e["field"] for e in problem["errors"]}


async def test_a_finalize_for_an_xrechnung_client_is_refused_naming_each_broken_rule_and_its_field(
    caller: Caller,
) -> None:
    await german_seller(caller, phone="")
    buyer = await client(caller, buyer_reference="", einvoice_format="xrechnung-ubl")
    draft = await _draft(caller, buyer["uuid"])
    refused = await caller.post(f"/invoices/{draft['uuid']}/finalize")
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "einvoice_invalid"
    assert _rules(problem) == {"BR-DE-15": "client.buyer_reference", "BR-DE-6": "settings.phone"}
    assert all(e["message"].startswith(f"[{e['rule']}]") for e in problem["errors"])
    assert "XRechnung (UBL)" in problem["detail"]
    # Never half-issued: still a draft, no number taken.
    after = (await caller.get(f"/invoices/{draft['uuid']}")).json()
    assert (after["status"], after["number"], after["finalized_at"]) == ("draft", None, None)
    assert (await caller.get("/invoices/next-number")).json()["number"].endswith("0001")

    # The draft's report says the same before anyone tries again.
    report = (await caller.post(f"/invoices/{draft['uuid']}/validate")).json()
    assert report["format"] == "xrechnung-ubl"
    assert report["valid"] is False
    assert {e["rule"]: e["field"] for e in report["errors"]} == _rules(problem)

    await caller.patch("", {"phone": "+49 30 1234567"})
    assert (
        await caller.patch(f"/clients/{buyer['uuid']}", {"buyer_reference": "04011000-1234512345-06"})
    ).status_code == 200
    issued = await caller.post(f"/invoices/{draft['uuid']}/finalize")
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"].endswith("0001")
    xml = await caller.get(f"/invoices/{draft['uuid']}/einvoice")
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    assert "attachment" in xml.headers["content-disposition"]
    assert validate({"issued.xml": xml.content})["issued.xml"]["valid"]
    # The client's page offers it too, in their format.
    sent = await caller.post(f"/invoices/{draft['uuid']}/send", {"notify": False})
    public = sent.json()["public_url"].split("://", 1)[1].split("/", 1)[1]
    page = await caller.client.get(f"/{public}")
    assert f'href="/{public}/einvoice" data-einvoice-link>Download e-invoice (XRechnung (UBL))' in page.text
    theirs = await caller.client.get(f"/{public}/einvoice")
    assert (theirs.status_code, theirs.content) == (200, xml.content)


async def test_peppol_needs_both_participant_ids_and_a_kwd_amount_finer_than_two_decimals_is_refused(
    caller: Caller,
) -> None:
    await german_seller(caller, electronic_address="")
    buyer = await client(caller, einvoice_format="peppol", electronic_address="")
    draft = await _draft(caller, buyer["uuid"])
    problem = (await caller.post(f"/invoices/{draft['uuid']}/finalize")).json()
    assert _rules(problem) == {
        "PEPPOL-EN16931-R020": "settings.electronic_address",
        "PEPPOL-EN16931-R010": "client.electronic_address",
    }
    await caller.patch("", {"electronic_address": "9930:DE136695976"})
    await caller.patch(f"/clients/{buyer['uuid']}", {"electronic_address": "0204:04011000-1234512345-06"})
    # EN 16931 allows two decimals; a dinar amount with fils in its third cannot be written.
    dinars = await _draft(caller, buyer["uuid"], currency="KWD", vat_exchange_rate="2.98",
                          items=[{"description": "Consulting", "quantity": 1, "unit_price": "412.345"}])  # fmt: skip
    await caller.patch("", {"vat_currency": "EUR"})
    refused = await caller.post(f"/invoices/{dinars['uuid']}/finalize")
    assert refused.status_code == 422, refused.text
    errors = {e["rule"]: e for e in refused.json()["errors"]}
    assert errors["BR-DEC-23"]["field"] == "items"
    assert "at most two decimals" in errors["BR-DEC-23"]["message"]
    assert errors["BR-DEC-23"]["source"] == "both"  # the official rules break it too
    assert (await caller.post(f"/invoices/{draft['uuid']}/finalize")).status_code == 200


async def test_an_e_invoice_of_a_draft_is_not_downloadable_and_an_unknown_format_is_named(caller: Caller) -> None:
    await german_seller(caller)
    buyer = await client(caller)
    draft = await _draft(caller, buyer["uuid"])
    early = await caller.get(f"/invoices/{draft['uuid']}/einvoice", params={"format": "xrechnung-cii"})
    assert early.status_code == 409
    assert early.json()["code"] == "einvoice_of_draft"
    unknown = await caller.post(f"/invoices/{draft['uuid']}/validate", params={"format": "edifact"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "format"
    assert "xrechnung-ubl, xrechnung-cii, facturx, peppol" in unknown.json()["errors"][0]["message"]
    none = await caller.post(f"/invoices/{draft['uuid']}/validate")
    assert none.status_code == 422  # the client takes none and none was named


@pytest.mark.parametrize("fmt", ["xrechnung-ubl", "xrechnung-cii", "peppol"])
async def test_billcrafts_own_checks_agree_with_the_official_rule_files_run_in_the_application(
    caller: Caller, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``BILLCRAFT_EINVOICE_RULES`` at the official files, the application runs them
    too: every rule Billcraft's own checks name is one the official files break as well."""
    monkeypatch.setenv("BILLCRAFT_EINVOICE_RULES", str(KIT / "xslt"))
    await german_seller(caller, phone="", electronic_address="")
    buyer = await client(caller, buyer_reference="", electronic_address="", email="", postal_code="")
    draft = await _draft(caller, buyer["uuid"])
    report = (await caller.post(f"/invoices/{draft['uuid']}/validate", params={"format": fmt})).json()
    own = {e["rule"] for e in report["errors"] if e["source"] in ("billcraft", "both")}
    confirmed = {e["rule"] for e in report["errors"] if e["source"] == "both"}
    expected = {
        "xrechnung-ubl": {"BR-DE-15", "BR-DE-6", "BR-DE-9", "PEPPOL-EN16931-R010"},
        "xrechnung-cii": {"BR-DE-15", "BR-DE-6", "BR-DE-9", "PEPPOL-EN16931-R010"},
        "peppol": {"PEPPOL-EN16931-R003", "PEPPOL-EN16931-R010", "PEPPOL-EN16931-R020"},
    }[fmt]
    assert expected <= own, report
    assert own == confirmed, report  # each own check fired where the official files fire
