"""VAT categories, discounts and allowances through MCP (issue 21), as an assistant would
be asked: "Invoice Stadtwerke Wien for the 3-day audit at €950 a day, reverse charge, and
give them 10% off the whole invoice". Reverse charge is refused at finalize as a tool error
naming the client's VAT ID; once the client has one, the person confirms and the invoice is
issued with its legal note."""

from __future__ import annotations

from tests.mcp.conftest import NewAccount, http_client
from tests.mcp.support import call, invoice, refused

REVERSE_CHARGE_NOTE = "Reverse charge: the recipient is liable for the VAT (Article 196, Directive 2006/112/EC)."


async def test_reverse_charge_with_an_invoice_discount_through_mcp(served: str, new_account: NewAccount) -> None:
    account = await new_account(currency="EUR")
    async with http_client(served, account.token) as client:
        customer = await call(
            client, "client", action="create", company_slug=account.slug, name="Stadtwerke Wien GmbH", country="AT"
        )
        draft = await invoice(
            client, "create", account.slug, title="Audit", client_uuid=customer["uuid"], tax_rate=19,
            tax_category="AE", items=[{"description": "Security audit (days)", "quantity": 3, "unit_price": 950}],
        )  # fmt: skip
        assert (draft["tax_amount"], draft["total"], draft["legal_notes"]) == ("0.00", "2850.00", [REVERSE_CHARGE_NOTE])
        discounted = await invoice(
            client, "update", account.slug, uuid=draft["uuid"],
            adjustments=[{"kind": "allowance", "reason": "Framework agreement", "percent": 10}],
        )  # fmt: skip
        # 10% of 2,850.00 = 285.00 off the reverse-charge group: 2,565.00, no VAT.
        assert [(g["tax_category"], g["taxable_amount"], g["tax_amount"]) for g in discounted["vat_breakdown"]] == [
            ("AE", "2565.00", "0.00")
        ]
        assert (discounted["allowance_total"], discounted["total"]) == ("285.00", "2565.00")

        _, error = refused(
            await client.call_tool("finalize_invoice", {"company_slug": account.slug, "uuid": draft["uuid"]})
        )
        assert error["code"] == "validation_error"
        assert [e["field"] for e in error["errors"]] == ["client.tax_number"]
        assert "reverse charge" in error["errors"][0]["message"]

        await call(
            client, "client", action="update", company_slug=account.slug, uuid=customer["uuid"],
            tax_number="ATU13585627",
        )  # fmt: skip
        issued = await call(client, "finalize_invoice", company_slug=account.slug, uuid=draft["uuid"])
    assert issued["number"] is not None
    assert (issued["total"], issued["legal_notes"]) == ("2565.00", [REVERSE_CHARGE_NOTE])
