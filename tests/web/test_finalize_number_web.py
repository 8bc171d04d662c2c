"""The finalize form takes a number of one's own (issue 18), as REST and MCP take one on
create and update: left empty it is the pattern's next (shown as the hint); typed, the
invoice takes it; a number in use or malformed is refused on the page, as typed, and the
draft stays unfinalized."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceCreate, ItemInput
from tests.conftest import unique
from tests.web.conftest import Person
from tests.web.test_pages import Browser, badge, domain, flashes, followed, form_at, invoice_of, invoice_path, loaded


def _number_error(page: str) -> str:
    found = re.search(r'<p class="field-error" id="finalize-number-error">(.*?)</p>', page, re.S)
    assert found, "the number field says why"
    assert re.search(r'<input id="finalize-number"[^>]*aria-invalid="true"', page)
    return html.unescape(found.group(1)).strip()


async def test_finalize_with_a_number_of_ones_own(person: Person, browser_of: Browser, db: Any) -> None:
    http = await browser_of(person)
    base = invoice_path(person)
    page = await loaded(http, base)
    async with domain(db, person) as d:
        suggested = (await d.billing.invoices.suggest_number(d.access)).number
    assert f'placeholder="{suggested}"' in page
    finalize = form_at(page, f"{base}/finalize")
    assert finalize.value("number") == ""

    own = unique("ACME-2026")
    answer = await http.post(f"{base}/finalize", data=finalize.data(number=f" {own} "))
    page = (await followed(http, answer, base)).text
    assert any(f"its number is {own}" in m for m in flashes(page)), flashes(page)
    assert badge(page) == ("draft", "Finalized")
    done = await invoice_of(db, person)
    assert (done.number, done.history[-1].action) == (own, "finalize")


async def test_an_empty_number_takes_the_patterns_next(person: Person, browser_of: Browser, db: Any) -> None:
    http = await browser_of(person)
    base = invoice_path(person)
    async with domain(db, person) as d:
        suggested = (await d.billing.invoices.suggest_number(d.access)).number
    finalize = form_at(await loaded(http, base), f"{base}/finalize")
    await followed(http, await http.post(f"{base}/finalize", data=finalize.data()), base)
    assert (await invoice_of(db, person)).number == suggested


async def test_a_number_in_use_or_malformed_is_refused_on_the_page(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """Another invoice's number: 422, the invoice page with the typed number kept and the
    refusal on the field; nothing changed. Then a number with ".." the same, naming the rule."""
    async with domain(db, person) as d:
        other = await d.billing.invoices.create_invoice(
            d.access,
            InvoiceCreate(
                title="Other", items=[ItemInput(description="x", quantity=Decimal(1), unit_price=Decimal(1))]
            ),
        )
        assert isinstance(other, InvoiceOut)
        taken = await d.billing.invoices.finalize(d.access, other.uuid, number=unique("TAKEN"))
        assert isinstance(taken, InvoiceOut)
    http = await browser_of(person)
    base = invoice_path(person)
    finalize = form_at(await loaded(http, base), f"{base}/finalize")
    before = await invoice_of(db, person)

    for number, said in ((taken.number, "already used"), ("INV/../1", "characters")):
        assert number
        refused = await http.post(f"{base}/finalize", data=finalize.data(number=number))
        assert refused.status_code == 422, refused.text[:2000]
        assert form_at(refused.text, f"{base}/finalize").value("number") == number
        assert said in _number_error(refused.text)
        assert badge(refused.text) == ("draft", "Draft")
        assert await invoice_of(db, person) == before
