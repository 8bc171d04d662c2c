"""The invoice editor speaks discounts, VAT categories and invoice-level allowances and
charges (issue 21): a line's discount typed as "5%" or as an amount, a line's own VAT
category, the invoice's exemption reason, and a discount on the whole invoice added with
its own button, priced by the server as the person types and saved as the domain prices
them; opened again, the editor shows what was saved, so saving again changes nothing."""

from __future__ import annotations

import html
import re

from tests.web.conftest import Person
from tests.web.test_pages import Browser, form_at, loaded


def _text(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found, pattern
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


async def test_the_editor_saves_line_discounts_categories_and_an_invoice_discount(
    person: Person, browser_of: Browser
) -> None:
    http = await browser_of(person)
    path = f"/w/{person.slug}/invoices/new"
    form = form_at(await loaded(http, path), path)
    rows = {
        "item_description": ["Design", "Training", ""],
        "item_quantity": ["10", "1", ""],
        "item_unit_price": ["100", "500", ""],
        "item_discount": ["5%", "50", ""],
        "item_tax_rate": ["", "", ""],
        "item_tax_category": ["", "E", ""],
    }
    fields = {
        "title": "Spring",
        "currency": "EUR",
        "tax_rate": "19",
        "exemption_reason": "Exempt under § 4 Nr. 21 UStG",
    }
    added = await http.post(path, data=form.data(command="add-adjustment", **fields, **rows))
    assert added.status_code == 200, added.text[:2000]
    form = form_at(added.text, path)
    assert form.fields["adj_kind"] == ["allowance"]
    # 10 x 100 = 1,000 - 5% = 950.00 at 19%; 500 - 50 = 450.00 exempt. 10% off each: 95.00
    # and 45.00. VAT: 855.00 x 19% = 162.45. Total 855.00 + 405.00 + 162.45 = 1,422.45.
    priced = await http.post(path, data=form.data(command="recalc", adj_reason="Partner", adj_value="10%"))
    totals = _text(priced.text, r'<div id="totals"[^>]*>(.*?)</div>')
    assert "Discounts -€140.00" in totals
    assert "Tax €162.45" in totals
    assert "Total €1,422.45" in totals
    saved = await http.post(path, data=form_at(priced.text, path).data(command="save"))
    assert saved.status_code == 303, saved.text[:2000]
    invoice_path = saved.headers["location"]
    edit = form_at(await loaded(http, f"{invoice_path}/edit"), f"{invoice_path}/edit")
    assert edit.fields["item_discount"][:2] == ["5%", "50.00"]
    assert edit.fields["item_tax_category"][:2] == ["", "E"]
    assert (edit.value("adj_reason"), edit.value("adj_value"), edit.value("tax_category")) == ("Partner", "10%", "S")
    assert edit.value("exemption_reason") == "Exempt under § 4 Nr. 21 UStG"
    again = await http.post(f"{invoice_path}/edit", data=edit.data(command="recalc"))
    assert "Total €1,422.45" in _text(again.text, r'<div id="totals"[^>]*>(.*?)</div>')

    # An exempt line with no reason anywhere: the summary names the line and what it needs.
    refused = await http.post(f"{invoice_path}/edit", data=edit.data(command="save", exemption_reason=""))
    assert refused.status_code == 422
    summary = _text(refused.text, r'<div class="alert" role="alert">(.*?)</div>')
    assert "Line 2, exemption reason" in summary
    assert "an exempt line (category E) needs the reason it is exempt" in summary
    assert 'href="#f-item_tax_category_1"' in refused.text, "the summary links to the line's VAT category"
