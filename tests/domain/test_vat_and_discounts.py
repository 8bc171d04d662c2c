"""VAT by category and rate, line discounts, invoice allowances and charges (issue 21), with
figures worked out by hand: a line discount in JPY and in KWD, a 10% allowance over lines
at 19% and 7% taken and rounded once per VAT group, a charge, the exemption an exempt line
must give, reverse charge refused at finalize without the client's valid VAT ID and
accepted with it, and an invoice priced before VAT groups keeping the tax it was issued
with."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update

from app.db.models import Invoice
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import (
    AdjustmentInput,
    ClientInput,
    ClientUpdate,
    DuplicateInput,
    InvoiceUpdate,
    ItemInput,
    SendInput,
    WorkspaceSettingsUpdate,
)
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import create

D = Decimal
REVERSE_CHARGE_NOTE = "Reverse charge: the recipient is liable for the VAT (Article 196, Directive 2006/112/EC)."


def line(description: str, quantity: str, price: str, **extra: object) -> ItemInput:
    return ItemInput(description=description, quantity=D(quantity), unit_price=D(price), **extra)  # type: ignore[arg-type]


def breakdown(out: InvoiceOut) -> list[tuple[str, str, str, str]]:
    return [(g.tax_category, g.tax_rate, g.taxable_amount, g.tax_amount) for g in out.vat_breakdown]


async def refused(action: object) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        await action  # type: ignore[misc]
    return {e["field"]: e["message"] for e in error.value.errors}


async def test_a_line_discount_in_jpy_is_rounded_to_whole_yen(billing: Billing) -> None:
    # 3 x ¥3,333 = ¥9,999; 12.5% off = 1,249.875 -> ¥1,250; net ¥8,749; 10% VAT 874.9 -> ¥875.
    access = await make_workspace(billing, await make_principal(billing), currency="JPY")
    out = await create(billing, access, tax_rate=10, items=[line("Hosting", "3", "3333", discount_percent=D("12.5"))])
    assert (out.items[0].discount_percent, out.items[0].discount, out.items[0].amount) == ("12.5", "1250", "8749")
    assert (out.subtotal, out.tax_amount, out.total) == ("8749", "875", "9624")
    # An amount off must be whole yen.
    errors = await refused(create(billing, access, items=[line("Hosting", "1", "100", discount_amount=D("0.5"))]))
    assert errors == {"items[0].discount_amount": "JPY amounts have 0 decimal places"}


async def test_a_line_discount_in_kwd_keeps_three_decimals(billing: Billing, access: WorkspaceAccess) -> None:
    # 2 x 1.2345 = 2.469; 7% off = 0.17283 -> 0.173; net 2.296; 5% VAT 0.1148 -> 0.115.
    out = await create(
        billing, access, currency="KWD", tax_rate=5, items=[line("Licence", "2", "1.2345", discount_percent=D(7))]
    )
    assert (out.items[0].discount, out.items[0].amount, out.tax_amount, out.total) == (
        "0.173",
        "2.296",
        "0.115",
        "2.411",
    )
    # An amount off: 0.250 of 2.469 leaves 2.219; 5% = 0.11095 -> 0.111.
    fixed = await create(
        billing, access, currency="KWD", tax_rate=5, items=[line("Licence", "2", "1.2345", discount_amount=D("0.25"))]
    )
    assert (fixed.items[0].discount_percent, fixed.items[0].discount, fixed.total) == (None, "0.250", "2.330")
    errors = await refused(
        create(billing, access, currency="KWD", items=[line("x", "1", "1", discount_amount=D("0.0005"))])
    )
    assert errors == {"items[0].discount_amount": "KWD amounts have 3 decimal places"}
    errors = await refused(create(billing, access, items=[line("x", "1", "10", discount_amount=D("10.01"))]))
    assert errors == {"items[0].discount_amount": "must be at most the line's quantity x unit price (10.00)"}
    errors = await refused(
        create(billing, access, items=[line("x", "1", "10", discount_amount=D(1), discount_percent=D(1))])
    )
    assert list(errors) == ["items[0].discount_amount"]


async def test_a_percent_allowance_is_taken_from_each_vat_group_and_rounded_once_per_group(
    billing: Billing, access: WorkspaceAccess
) -> None:
    # Lines 100.05 at 19% and 50.05 at 7%. 10% off each group: 10.005 -> 10.01 and
    # 5.005 -> 5.01 (15.02 in all; 10% of 150.10 at once would be 15.01). Taxable 90.04
    # and 45.04; VAT 17.1076 -> 17.11 and 3.1528 -> 3.15; total 135.08 + 20.26 = 155.34.
    out = await create(
        billing, access, currency="EUR", tax_rate=19,
        items=[line("Design", "1", "100.05"), line("Books", "1", "50.05", tax_rate=D(7))],
        adjustments=[AdjustmentInput(kind="allowance", reason="Loyalty discount", percent=D(10))],
    )  # fmt: skip
    assert breakdown(out) == [("S", "19", "90.04", "17.11"), ("S", "7", "45.04", "3.15")]
    assert (out.subtotal, out.allowance_total, out.charge_total, out.net_total) == ("150.10", "15.02", "0.00", "135.08")
    assert (out.tax_amount, out.total, out.balance_due) == ("20.26", "155.34", "155.34")
    [allowance] = out.adjustments
    assert (allowance.kind, allowance.reason, allowance.percent, allowance.amount) == (
        "allowance", "Loyalty discount", "10", "15.02",
    )  # fmt: skip
    assert [(p.tax_rate, p.base, p.amount) for p in allowance.parts] == [
        ("19", "100.05", "10.01"),
        ("7", "50.05", "5.01"),
    ]


async def test_a_charge_is_taxed_in_its_group_and_an_amount_over_several_groups_must_name_one(
    billing: Billing, access: WorkspaceAccess
) -> None:
    # 100.00 at 19% plus a 25.00 shipping charge at 19%: taxable 125.00, VAT 23.75.
    out = await create(
        billing, access, tax_rate=19, items=[line("Poster", "1", "100")],
        adjustments=[AdjustmentInput(kind="charge", reason="Shipping", reason_code="fc", amount=D(25))],
    )  # fmt: skip
    assert breakdown(out) == [("S", "19", "125.00", "23.75")]
    assert (out.charge_total, out.net_total, out.total) == ("25.00", "125.00", "148.75")
    assert out.adjustments[0].reason_code == "FC"
    two_groups = [line("Poster", "1", "100"), line("Book", "1", "20", tax_rate=D(7))]
    errors = await refused(
        create(billing, access, tax_rate=19, items=two_groups,
               adjustments=[AdjustmentInput(kind="charge", reason="Shipping", amount=D(25))])
    )  # fmt: skip
    assert list(errors) == ["adjustments[0].tax_category"]
    assert "2 VAT groups" in errors["adjustments[0].tax_category"]
    named = await create(
        billing, access, tax_rate=19, items=two_groups,
        adjustments=[AdjustmentInput(kind="charge", reason="Shipping", amount=D(25), tax_rate=D(7))],
    )  # fmt: skip
    # 19%: 100.00 -> 19.00; 7%: 20.00 + 25.00 = 45.00 -> 3.15.
    assert breakdown(named) == [("S", "19", "100.00", "19.00"), ("S", "7", "45.00", "3.15")]
    errors = await refused(
        create(billing, access, items=[line("x", "1", "10")],
               adjustments=[AdjustmentInput(kind="allowance", amount=D(1))])
    )  # fmt: skip
    assert list(errors) == ["adjustments[0].reason"]
    errors = await refused(
        create(billing, access, items=[line("x", "1", "10")],
               adjustments=[AdjustmentInput(kind="allowance", reason="Too much", amount=D(11))])
    )  # fmt: skip
    assert list(errors) == ["adjustments"]


async def test_an_exempt_line_must_say_why_and_prints_its_reason(billing: Billing, access: WorkspaceAccess) -> None:
    errors = await refused(create(billing, access, tax_rate=19, items=[line("Training", "1", "500", tax_category="E")]))
    assert list(errors) == ["items[0].exemption_reason"]
    out = await create(
        billing, access, tax_rate=19,
        items=[
            line("Consulting", "1", "1000"),
            line("Training", "1", "500", tax_category="E", exemption_reason="Exempt under § 4 Nr. 21 UStG"),
        ],
    )  # fmt: skip
    assert breakdown(out) == [("S", "19", "1000.00", "190.00"), ("E", "0", "500.00", "0.00")]
    assert out.vat_breakdown[1].exemption_reason == "Exempt under § 4 Nr. 21 UStG"
    assert out.legal_notes == ["Exempt from VAT: Exempt under § 4 Nr. 21 UStG."]
    assert (out.items[1].tax_category, out.items[0].tax_category) == ("E", "S")
    errors = await refused(create(billing, access, items=[line("x", "1", "1", tax_category="E", tax_rate=D(7))]))
    assert "carries no VAT" in errors["items[0].tax_rate"]
    errors = await refused(create(billing, access, items=[line("x", "1", "1", tax_category="X")]))
    assert "is not a VAT category" in errors["items[0].tax_category"]


async def test_reverse_charge_is_issued_only_to_a_client_with_a_valid_vat_id(
    billing: Billing, access: WorkspaceAccess
) -> None:
    client = await billing.clients.create_client(access, ClientInput(name="Kunde GmbH"))
    draft = await create(
        billing, access, tax_rate=19, tax_category="AE", client_uuid=client.uuid, items=[line("Audit", "1", "2000")]
    )
    assert breakdown(draft) == [("AE", "0", "2000.00", "0.00")]
    assert (draft.vat_breakdown[0].exemption_code, draft.total) == ("VATEX-EU-AE", "2000.00")
    assert draft.legal_notes == [REVERSE_CHARGE_NOTE]

    errors = await refused(billing.invoices.finalize(access, draft.uuid))
    assert errors == {
        "client.tax_number": "the client's VAT ID is required on an invoice at category AE (reverse charge)"
    }
    await billing.clients.update_client(access, client.uuid, ClientUpdate(tax_number="DE136695977"))
    errors = await refused(billing.invoices.send(access, draft.uuid, SendInput(notify=False)))
    assert errors["client.tax_number"].startswith("'DE136695977' is not a valid VAT ID")
    still = await billing.invoices.get_out(access, draft.uuid)
    assert (still.number, still.finalized_at) == (None, None)

    await billing.clients.update_client(access, client.uuid, ClientUpdate(tax_number="DE 136 695 976"))
    issued = await billing.invoices.finalize(access, draft.uuid)
    assert isinstance(issued, InvoiceOut)
    assert issued.number is not None
    assert issued.legal_notes == [REVERSE_CHARGE_NOTE]


async def test_an_intra_community_supply_needs_the_sellers_vat_id_too(
    billing: Billing, access: WorkspaceAccess
) -> None:
    client = await billing.clients.create_client(access, ClientInput(name="Client SARL", tax_number="FR40303265045"))
    draft = await create(billing, access, tax_category="K", client_uuid=client.uuid, items=[line("Parts", "4", "25")])
    errors = await refused(billing.invoices.finalize(access, draft.uuid))
    assert list(errors) == ["workspace.tax_id"]
    slug = access.workspace.slug
    await billing.workspaces.update_settings(access.principal, slug, WorkspaceSettingsUpdate(tax_id="DE136695976"))
    issued = await billing.invoices.finalize(access, draft.uuid)
    assert isinstance(issued, InvoiceOut)
    assert breakdown(issued) == [("K", "0", "100.00", "0.00")]
    assert issued.legal_notes == ["Intra-community supply, exempt from VAT (Article 138, Directive 2006/112/EC)."]


async def test_edits_and_copies_reprice_with_discounts_and_allowances_kept(
    billing: Billing, access: WorkspaceAccess
) -> None:
    draft = await create(
        billing, access, tax_rate=19,
        items=[line("Design", "10", "100", discount_amount=D(50))],
        adjustments=[AdjustmentInput(kind="allowance", reason="Early client", percent=D(5))],
    )  # fmt: skip
    # 1,000 - 50 = 950; 5% = 47.50; taxable 902.50; 19% = 171.475 -> 171.48.
    assert (draft.net_total, draft.tax_amount, draft.total) == ("902.50", "171.48", "1073.98")
    cheaper = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(tax_rate=D(7)))
    assert isinstance(cheaper, InvoiceOut)
    # The same lines and allowance at 7%: 902.50 x 7% = 63.175 -> 63.18.
    assert (cheaper.items[0].discount, cheaper.allowance_total, cheaper.tax_amount) == ("50.00", "47.50", "63.18")
    copy = await billing.invoices.duplicate(access, draft.uuid, DuplicateInput())
    assert isinstance(copy, InvoiceOut)
    assert (copy.items[0].discount, copy.adjustments[0].percent, copy.total) == ("50.00", "5", cheaper.total)
    cleared = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(adjustments=[]))
    assert isinstance(cleared, InvoiceOut)
    assert (cleared.adjustments, cleared.net_total) == ([], "950.00")


async def test_an_invoice_priced_before_vat_groups_keeps_the_tax_it_was_issued_with(
    billing: Billing, access: WorkspaceAccess
) -> None:
    out = await create(billing, access, tax_rate=10, items=[line(f"Line {n}", "1", "0.125") for n in range(3)])
    sent = await billing.invoices.send(access, out.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    # As the row of an invoice issued before this change: taxed line by line (3 x 0.01).
    await billing.session.execute(
        update(Invoice).where(Invoice.id == out.uuid).values(vat_breakdown=None, tax_minor=3, total_minor=42)
    )
    stored = await billing.session.get(Invoice, out.uuid)
    assert stored is not None
    await billing.session.refresh(stored)
    issued = await billing.invoices.get_out(access, out.uuid)
    assert (issued.tax_amount, issued.total) == ("0.03", "0.42")
    assert breakdown(issued) == [("S", "10", "0.39", "0.03")]


async def test_a_business_in_the_eu_issues_only_invoices_stating_what_the_vat_directive_asks(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """Art. 226: the seller's full name, address and VAT ID or tax number, the client's name and
    address; each missing field is named with why, all at once, and nothing is numbered."""
    slug = access.workspace.slug
    await billing.workspaces.update_settings(access.principal, slug, WorkspaceSettingsUpdate(country="de"))
    client = await billing.clients.create_client(access, ClientInput(name="Kunde GmbH", city="Köln"))
    draft = await create(billing, access, client_uuid=client.uuid, items=[line("Audit", "1", "100")])
    errors = await refused(billing.invoices.finalize(access, draft.uuid))
    assert list(errors) == [
        "workspace.legal_name", "workspace.address", "workspace.tax_id", "client.address_line1", "client.country",
    ]  # fmt: skip
    assert (
        errors["workspace.address"]
        == "your address is missing: the EU VAT directive (art. 226) has every invoice state it"
    )
    assert (await billing.invoices.get_out(access, draft.uuid)).number is None

    # A tax number (Steuernummer) will do; a malformed VAT ID will not.
    seller = WorkspaceSettingsUpdate(legal_name="Studio Ada GmbH", address="Torstraße 1, Berlin", tax_id="DE136695977")
    await billing.workspaces.update_settings(access.principal, slug, seller)
    await billing.clients.update_client(access, client.uuid, ClientUpdate(address_line1="Domplatz 1", country="DE"))
    errors = await refused(billing.invoices.finalize(access, draft.uuid))
    assert list(errors) == ["workspace.tax_id"]
    await billing.workspaces.update_settings(access.principal, slug, WorkspaceSettingsUpdate(tax_id="30/123/45678"))
    issued = await billing.invoices.finalize(access, draft.uuid)
    assert isinstance(issued, InvoiceOut)
    assert issued.number is not None
    # Outside the EU (or with no country set) these are the business's own affair.
    outside = await make_workspace(billing, await make_principal(billing, "us"))
    plain = await create(billing, outside)
    assert isinstance(await billing.invoices.finalize(outside, plain.uuid), InvoiceOut)
