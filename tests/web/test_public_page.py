"""The client's invoice page (``/i/<token>``) as a client without an account reads it: the
issue and due dates, the payment date once paid, countries by name rather than code, how to
pay before the lines, names that may be right to left marked ``dir="auto"``, and no link to
Billcraft's home, which would only ask a client to sign in."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from babel import Locale
from babel.dates import format_date

from app.web.public import country_name
from tests.web.site_pages import HEBREW, LONG_WORD, Owner, make_owner

LOCALE = "en_US"  # the workspace's default language and formats


@pytest.fixture(scope="module")
async def owner(db: Any) -> Owner:
    return await make_owner(db)


async def _page(site: str, path: str, status: int = 200) -> str:
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        answer = await http.get(path)
    assert answer.status_code == status, answer.text
    return answer.text


def _no_way_to_sign_in(html: str) -> None:
    links = re.findall(r'href="([^"]*)"', html)
    assert "/" not in links, "the page links to Billcraft's home, a sign-in page for a client"
    assert not [link for link in links if link.startswith(("/signin", "/signup", "/w/", "/account"))], links


async def test_an_open_invoice_shows_its_dates_how_to_pay_first_and_countries_by_name(site: str, owner: Owner) -> None:
    html = await _page(site, owner.public["public-invoice"])
    issued = format_date(owner.dates["issued"], "long", locale=LOCALE)
    due = format_date(owner.dates["due"], "long", locale=LOCALE)
    assert re.search(rf"<dt>Issued</dt><dd[^>]*>{issued}</dd>", html), issued
    assert re.search(rf"<dt>Due</dt><dd[^>]*>{due}</dd>", html), due
    assert "Awaiting payment" in html
    assert re.search(r'data-amount="balance">\$993,549\.86<', html)

    # How to pay comes before the parties and the lines.
    assert html.index("How to pay") < html.index("Bill to") < html.index('class="items"')
    assert "GB29NWBK60161331926819" in html

    # The client in Germany: the country by name, not its code.
    assert '<span dir="auto">Germany</span>' in html
    assert '<span dir="auto">DE</span>' not in html
    # Names people type are isolated and take their own direction.
    assert f'<strong dir="auto">{LONG_WORD}</strong>' in html
    assert f'<td class="item-description" role="cell" dir="auto">{HEBREW}</td>' in html
    _no_way_to_sign_in(html)


async def test_a_paid_invoice_says_when_it_was_paid(site: str, owner: Owner) -> None:
    html = await _page(site, owner.public["public-invoice-paid"])
    paid_on = format_date(owner.dates["paid_on"], "long", locale=LOCALE)
    issued = format_date(owner.dates["paid_issued"], "long", locale=LOCALE)
    assert re.search(rf"<dt>Paid on</dt><dd[^>]*>{paid_on}</dd>", html), paid_on
    assert re.search(rf"<dt>Issued</dt><dd[^>]*>{issued}</dd>", html), issued
    assert re.search(r'data-amount="paid">\$3,600\.00<', html)
    assert "How to pay" not in html, "nothing is left to pay"
    _no_way_to_sign_in(html)


async def test_the_not_found_page_sends_a_client_nowhere_they_cannot_go(site: str) -> None:
    html = await _page(site, "/i/no-such-invoice", status=404)
    assert "Invoice not found" in html
    _no_way_to_sign_in(html)


def test_country_names_come_from_babel_in_the_business_language() -> None:
    assert country_name("DE", Locale.parse("en_US")) == "Germany"
    assert country_name("de", Locale.parse("fr_FR")) == "Allemagne"
    assert country_name("AE", Locale.parse("ar")) == "الإمارات العربية المتحدة"
    assert country_name("XX", Locale.parse("en_US")) == "XX", "a code babel does not know stays as it is"
    assert country_name("", Locale.parse("en_US")) == ""
