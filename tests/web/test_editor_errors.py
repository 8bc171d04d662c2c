"""The invoice editor names the line it shows (issue 18): the error summary above the form
says "Line 3, quantity" for the third row as the form numbers it (it used to say "line
quantity 1" for line 2), and the totals area says which line to check without repeating
the raw error that the field and the summary already show."""

from __future__ import annotations

import html
import re

from tests.web.conftest import Person
from tests.web.test_pages import Browser, form_at, loaded

BAD = "must be a number, such as 150 or 150.00"


def _summary(page: str) -> list[str]:
    box = re.search(r'<div class="alert" role="alert">(.*?)</div>', page, re.S)
    assert box, "no error summary"
    return [html.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", box.group(1))]


def _totals(page: str) -> str:
    found = re.search(r'<div id="totals"[^>]*>(.*?)</div>', page, re.S)
    assert found, "no totals area"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _rows(quantities: list[str]) -> dict[str, list[str]]:
    filled = [q != "" for q in quantities]
    return {
        "item_description": ["Design" if f else "" for f in filled],
        "item_quantity": quantities,
        "item_unit_price": ["100" if f else "" for f in filled],
        "item_tax_rate": ["" for _ in quantities],
    }


async def test_the_summary_names_the_line_as_the_form_numbers_it(person: Person, browser_of: Browser) -> None:
    """Line 1 fine, line 2 left blank, line 3's quantity not a number: "Update totals" shows
    the summary "Line 3, quantity: must be a number...", linked to that field, and the field
    its own error; the totals area asks to check Line 3, quantity, without the raw message."""
    http = await browser_of(person)
    path = f"/w/{person.slug}/invoices/new"
    form = form_at(await loaded(http, path), path)
    answer = await http.post(path, data=form.data(title="March", command="recalc", **_rows(["2", "", "lots"])))
    assert answer.status_code == 200, answer.text[:2000]
    page = answer.text
    assert _summary(page) == [f"Line 3, quantity: {BAD}"]
    assert 'href="#f-item_quantity_2"' in page
    assert re.search(r'<p class="field-error" id="item_quantity_2-error">\s*' + re.escape(BAD), page)
    totals = _totals(page)
    assert BAD not in totals, "the totals area repeats the raw error"
    assert "check Line 3, quantity" in totals


async def test_a_refused_save_names_the_line_of_the_domains_error(person: Person, browser_of: Browser) -> None:
    """A quantity of 0 on line 2 is refused by the domain on save (422): the summary says
    "Line 2, quantity", the totals area does not repeat the domain's message."""
    http = await browser_of(person)
    path = f"/w/{person.slug}/invoices/new"
    form = form_at(await loaded(http, path), path)
    answer = await http.post(path, data=form.data(title="March", command="save", **_rows(["1", "0"])))
    assert answer.status_code == 422, answer.text[:2000]
    [line] = _summary(answer.text)
    assert line.startswith("Line 2, quantity: must be greater than 0"), line
    assert "greater than" not in _totals(answer.text)


async def test_the_running_totals_name_the_line_without_the_raw_error(person: Person, browser_of: Browser) -> None:
    """What the page's script fetches as you type: the totals block for the form as typed
    says which line to check and leaves the message to the field."""
    http = await browser_of(person)
    path = f"/w/{person.slug}/invoices/new"
    form = form_at(await loaded(http, path), path)
    answer = await http.post(f"/w/{person.slug}/invoices/totals", data=form.data(title="x", **_rows(["1", "lots"])))
    assert answer.status_code == 200, answer.text[:2000]
    text = html.unescape(re.sub(r"<[^>]+>", "", answer.text))
    assert "check Line 2, quantity" in text
    assert BAD not in text
