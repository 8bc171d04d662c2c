"""Money (DESIGN.md section 2): Decimal end to end, ISO 4217 exponents, ROUND_HALF_UP per
line, tax rounded once per VAT group of the rounded lines, totals as sums of rounded lines. Unit tests of
app.domain.money, then the same rules through the invoice service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import money, vat
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceUpdate
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import create, fresh_billing, item

D = Decimal

# --- app.domain.money ------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3)])
def test_exponent_comes_from_iso_4217(currency: str, digits: int) -> None:
    """Minor-unit digits are ISO 4217's, not a hard-coded 2."""
    assert money.exponent(currency) == digits
    assert money.quantum(currency) == D(1).scaleb(-digits)


@pytest.mark.parametrize("code", ["XYZ", "ABC", "usd"])
def test_exponent_refuses_unknown_codes(code: str) -> None:
    """An unknown code is a validation error on "currency" (exponent expects upper case)."""
    with pytest.raises(ValidationFailed) as refused:
        money.exponent(code)
    assert refused.value.errors[0]["field"] == "currency"


@pytest.mark.parametrize("code", ["XAU", "XXX"])
def test_units_without_minor_unit_cannot_be_invoiced(code: str) -> None:
    """Gold and "no currency" have no exponent in ISO 4217 and are refused."""
    with pytest.raises(ValidationFailed) as refused:
        money.exponent(code)
    assert "no minor unit" in refused.value.errors[0]["message"]


@pytest.mark.parametrize(("given", "code"), [(" usd ", "USD"), ("eur", "EUR"), ("JPY", "JPY")])
def test_check_currency_normalises_case_and_spaces(given: str, code: str) -> None:
    """Currency codes are accepted in any case and trimmed."""
    assert money.check_currency(given) == code


@pytest.mark.parametrize("given", ["US", "USDX", "U$D", "", "12 "])
def test_check_currency_refuses_non_codes(given: str) -> None:
    """Anything but three letters is refused before the ISO lookup."""
    with pytest.raises(ValidationFailed) as refused:
        money.check_currency(given)
    assert refused.value.errors[0]["field"] == "currency"


@pytest.mark.parametrize(
    ("value", "currency", "rounded"),
    [
        ("0.125", "USD", "0.13"),
        ("0.124999", "USD", "0.12"),
        ("0.135", "USD", "0.14"),
        ("-0.125", "USD", "-0.13"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("1.2345", "KWD", "1.235"),
        ("1.2344999", "KWD", "1.234"),
        ("0.005", "EUR", "0.01"),
        ("0.0049", "EUR", "0.00"),
    ],
)
def test_round_money_is_half_up_to_the_currency(value: str, currency: str, rounded: str) -> None:
    """Halves round away from zero (not to even), at the currency's exponent."""
    result = money.round_money(D(value), currency)
    assert str(result) == rounded
    assert result == D(rounded)


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "text"),
    [("12900.00", "USD", 1290000, "12900.00"), ("1234", "JPY", 1234, "1234"), ("0.005", "KWD", 5, "0.005")],
)
def test_minor_units_round_trip(amount: str, currency: str, minor: int, text: str) -> None:
    """Amounts go to integer minor units and back unchanged, and print with exactly the
    currency's digits."""
    assert money.to_minor(D(amount), currency) == minor
    assert money.from_minor(minor, currency) == D(amount)
    assert money.format_amount(minor, currency) == text


def test_format_amount_pads_to_the_currency_digits() -> None:
    """JSON amounts are strings with the currency's digits: 5 cents is "0.05", not "0.05000"."""
    assert money.format_amount(5, "USD") == "0.05"
    assert money.format_amount(0, "KWD") == "0.000"
    assert money.format_amount(-150, "EUR") == "-1.50"


@given(minor=st.integers(min_value=-(10**18), max_value=10**18), currency=st.sampled_from(["JPY", "USD", "KWD", "CLF"]))
def test_format_amount_prints_what_the_decimal_holds(minor: int, currency: str) -> None:
    """The fast integer formatting of amounts says exactly what the Decimal of those minor
    units says, for every exponent (0, 2, 3, 4) and sign."""
    assert money.format_amount(minor, currency) == str(money.from_minor(minor, currency))


def test_line_tax_is_computed_on_the_rounded_line_amount() -> None:
    """1 x 0.145 rounds to 0.15; 10% of 0.15 is 0.015 -> 0.02 (on the unrounded 0.145 it
    would be 0.0145 -> 0.01)."""
    amount = money.to_minor(D(1) * D("0.145"), "USD")
    assert (amount, vat.percent_of(amount, D(10))) == (15, 2)


@pytest.mark.parametrize(
    ("quantity", "price", "rate", "currency", "amount", "tax"),
    [
        ("1", "0.125", "0", "USD", 13, 0),
        ("1", "0.05", "10", "USD", 5, 1),  # tax 0.005 -> 0.01
        ("1", "0.04", "10", "USD", 4, 0),  # tax 0.004 -> 0.00
        ("1", "10.05", "10", "USD", 1005, 101),  # tax 1.005 -> 1.01 (a float would say 1.00)
        ("40", "150", "10", "USD", 600000, 60000),
        ("3", "333.5", "10", "JPY", 1001, 100),  # 1000.5 -> 1001; 100.1 -> 100
        ("1", "1.2345", "5", "KWD", 1235, 62),  # 1.2345 -> 1.235; 0.06175 -> 0.062
        ("0.3333", "3", "0", "EUR", 100, 0),  # 0.9999 -> 1.00
    ],
)
def test_line_amounts_round_half_up(quantity: str, price: str, rate: str, currency: str, amount: int, tax: int) -> None:
    """Line amount and line tax are each rounded half-up to the currency's minor unit (the
    tax of a VAT group is rounded by the same ``percent_of``, on the group's taxable amount)."""
    line = money.to_minor(D(quantity) * D(price), currency)
    assert (line, vat.percent_of(line, D(rate))) == (amount, tax)


# --- through the invoice service ---------------------------------------------------------------


async def test_seed_example_40_hours_at_150_plus_10_percent(billing: Billing, access: WorkspaceAccess) -> None:
    """ "40 hours of development at $150/hour plus 10% tax" = 6000.00 + 600.00 = 6600.00."""
    out = await create(billing, access, tax_rate=10, items=[item("Development Services", 40, 150)])
    assert (out.subtotal, out.tax_amount, out.total) == ("6000.00", "600.00", "6600.00")
    assert (out.amount_paid, out.balance_due) == ("0.00", "6600.00")
    line = out.items[0]
    assert (line.quantity, line.unit_price, line.amount, line.tax_amount) == ("40", "150.00", "6000.00", "600.00")
    assert (out.currency, out.tax_rate, line.tax_rate) == ("USD", "10", None)


async def test_seed_example_phase_1_delivery(billing: Billing, access: WorkspaceAccess) -> None:
    """80 h frontend at 150 and 20 h design at 120 with 10% tax = 14400.00/1440.00/15840.00."""
    out = await create(billing, access, tax_rate=10, items=[item("Frontend", 80, 150), item("Design", 20, 120)])
    assert (out.subtotal, out.tax_amount, out.total) == ("14400.00", "1440.00", "15840.00")
    assert [(i.amount, i.tax_amount) for i in out.items] == [("12000.00", "1200.00"), ("2400.00", "240.00")]


async def test_three_item_seed_example_without_tax(billing: Billing, access: WorkspaceAccess) -> None:
    """UX 20 h at 120, frontend 60 h at 150, QA 15 h at 100 = 2400 + 9000 + 1500 = 12900.00."""
    out = await create(
        billing, access, items=[item("UX Design", 20, 120), item("Frontend Dev", 60, 150), item("QA Testing", 15, 100)]
    )
    assert (out.subtotal, out.tax_amount, out.total) == ("12900.00", "0.00", "12900.00")


async def test_half_cent_unit_price_rounds_up(billing: Billing, access: WorkspaceAccess) -> None:
    """Quantity 1 at 0.125 USD is a 0.13 line; its fine-grained unit price is kept as given."""
    out = await create(billing, access, items=[item("Tiny", 1, "0.125")])
    assert (out.items[0].unit_price, out.items[0].amount, out.total) == ("0.125", "0.13", "0.13")


async def test_tax_is_rounded_once_per_vat_group_of_rounded_lines(billing: Billing, access: WorkspaceAccess) -> None:
    """Three lines of 0.125 are 0.13 each: subtotal 0.39 (not 0.375 -> 0.38). Their VAT
    group is taxed once: 10% of 0.39 = 0.039 -> 0.04 (EN 16931 BR-CO-14), not three line
    taxes of 0.013 -> 0.01 summed to 0.03; each line still shows its own 0.01; total 0.43."""
    out = await create(billing, access, tax_rate=10, items=[item(f"Line {n}", 1, "0.125") for n in range(3)])
    assert [i.amount for i in out.items] == ["0.13", "0.13", "0.13"]
    assert [i.tax_amount for i in out.items] == ["0.01", "0.01", "0.01"]
    assert (out.subtotal, out.tax_amount, out.total) == ("0.39", "0.04", "0.43")
    assert [(g.tax_category, g.tax_rate, g.taxable_amount, g.tax_amount) for g in out.vat_breakdown] == [
        ("S", "10", "0.39", "0.04")
    ]
    assert D(out.subtotal) == sum(D(i.amount) for i in out.items)
    assert D(out.total) == D(out.subtotal) + D(out.tax_amount)


@pytest.mark.parametrize(
    ("price", "tax"),
    [("0.05", "0.01"), ("0.04", "0.00"), ("0.15", "0.02"), ("0.14", "0.01"), ("10.05", "1.01")],
)
async def test_tax_half_cent_boundaries(billing: Billing, access: WorkspaceAccess, price: str, tax: str) -> None:
    """At 10% a 0.005 tax rounds up to 0.01 and 0.004 down to 0.00; 1.005 is 1.01."""
    out = await create(billing, access, tax_rate=10, items=[item("x", 1, price)])
    assert out.tax_amount == tax
    assert D(out.total) == D(price) + D(tax)


async def test_jpy_has_no_decimals(billing: Billing) -> None:
    """A JPY workspace invoices whole yen: 3 x 333.5 = 1000.5 -> 1001, 10% tax 100.1 -> 100."""
    access = await make_workspace(billing, await make_principal(billing), currency="JPY")
    out = await create(billing, access, tax_rate=10, items=[item("Consulting", 3, "333.5")])
    assert out.currency == "JPY"
    assert (out.subtotal, out.tax_amount, out.total, out.balance_due) == ("1001", "100", "1101", "1101")
    assert out.items[0].unit_price == "333.5"


async def test_kwd_has_three_decimals(billing: Billing, access: WorkspaceAccess) -> None:
    """KWD amounts carry fils: 1 x 1.2345 -> 1.235, 5% tax 0.06175 -> 0.062, total 1.297."""
    out = await create(billing, access, currency="kwd", tax_rate=5, items=[item("Licence", 1, "1.2345")])
    assert out.currency == "KWD"
    assert (out.subtotal, out.tax_amount, out.total) == ("1.235", "0.062", "1.297")
    assert out.items[0].unit_price == "1.2345"


async def test_invoice_currency_defaults_to_the_workspace_currency(billing: Billing) -> None:
    """No currency given: the workspace default is used, with its exponent."""
    access = await make_workspace(billing, await make_principal(billing), currency="KWD")
    out = await create(billing, access, items=[item("x", 2, "0.0005")])
    assert (out.currency, out.total) == ("KWD", "0.001")


async def test_per_item_tax_rate_overrides_the_invoice_rate(billing: Billing, access: WorkspaceAccess) -> None:
    """An item's own tax_rate wins over the invoice's, including an explicit 0."""
    out = await create(
        billing,
        access,
        tax_rate=10,
        items=[item("Taxed at invoice rate", 1, 100), item("Exempt", 1, 100, tax_rate=0), item("Luxury", 1, 50, 20)],
    )
    assert [(i.tax_rate, i.tax_amount) for i in out.items] == [(None, "10.00"), ("0", "0.00"), ("20", "10.00")]
    assert (out.subtotal, out.tax_amount, out.total) == ("250.00", "20.00", "270.00")


async def test_changing_the_tax_rate_recomputes_lines_without_override(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """Updating tax_rate alone reprices every line that follows the invoice rate."""
    draft = await create(billing, access, tax_rate=10, items=[item("A", 1, 100), item("B", 1, 100, tax_rate=5)])
    assert draft.tax_amount == "15.00"
    updated = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(tax_rate=D("20.5")))
    assert isinstance(updated, InvoiceOut)
    assert [i.tax_amount for i in updated.items] == ["20.50", "5.00"]
    assert (updated.tax_rate, updated.tax_amount, updated.total) == ("20.5", "25.50", "225.50")


async def test_changing_the_currency_recomputes_with_its_exponent(billing: Billing, access: WorkspaceAccess) -> None:
    """USD 100.50 becomes JPY 101 (whole yen) and KWD 100.500 when only the currency changes."""
    draft = await create(billing, access, items=[item("Work", 1, "100.5")])
    assert draft.total == "100.50"
    yen = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(currency="JPY"))
    assert isinstance(yen, InvoiceOut)
    assert (yen.currency, yen.subtotal, yen.total) == ("JPY", "101", "101")
    fils = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(currency="KWD"))
    assert isinstance(fils, InvoiceOut)
    assert (fils.currency, fils.total, fils.items[0].unit_price) == ("KWD", "100.500", "100.500")


async def test_replacing_items_recomputes_totals(billing: Billing, access: WorkspaceAccess) -> None:
    """``items`` on update replaces the whole list; totals follow the new lines only."""
    draft = await create(billing, access, tax_rate=10, items=[item("Old", 1, 999)])
    updated = await billing.invoices.update_invoice(
        access, draft.uuid, InvoiceUpdate(items=[item("Frontend", 80, 150), item("Design", 20, 120)])
    )
    assert isinstance(updated, InvoiceOut)
    assert [i.description for i in updated.items] == ["Frontend", "Design"]
    assert (updated.subtotal, updated.tax_amount, updated.total) == ("14400.00", "1440.00", "15840.00")
    emptied = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(items=[]))
    assert isinstance(emptied, InvoiceOut)
    assert (emptied.items, emptied.total) == ([], "0.00")


async def test_amounts_survive_a_round_trip_through_the_database(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """Quantities, prices and rates come back exactly as stored (text, not floats)."""
    out = await create(billing, access, tax_rate="7.25", items=[item("Precise", "1.3333", "0.0001")])
    await billing.session.commit()
    async with fresh_billing(db) as other:
        again = await other.invoices.get_out(await other.access(access.principal, access.workspace.slug), out.uuid)
    line = again.items[0]
    assert (line.quantity, line.unit_price, again.tax_rate) == ("1.3333", "0.0001", "7.25")
    assert (again.subtotal, again.total) == ("0.00", "0.00")
