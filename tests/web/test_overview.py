"""The web's overview across all of a person's workspaces (issue 18), what REST gives as
GET /api/v1/stats: per currency (never added across currencies), with each workspace's
share, linked from the dashboard; nothing of workspaces the person is not in."""

from __future__ import annotations

import html
import re
import uuid
from decimal import Decimal
from typing import Any

from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceCreate, ItemInput, SendInput, WorkspaceCreate
from tests.conftest import unique
from tests.web.conftest import MakePerson
from tests.web.test_pages import Browser, domain, loaded


async def _sent(d: Any, access: Any, amount: int, currency: str | None = None) -> None:
    made = await d.billing.invoices.create_invoice(
        access,
        InvoiceCreate(
            title=unique("Work"),
            currency=currency,
            items=[ItemInput(description="Work", quantity=Decimal(1), unit_price=Decimal(amount))],
        ),
    )
    assert isinstance(made, InvoiceOut)
    await d.billing.invoices.send(access, made.uuid, SendInput(notify=False))


def _section(page: str, currency: str) -> str:
    found = re.search(rf'<section class="currency-block"[^>]*data-currency="{currency}">(.*?)</section>', page, re.S)
    assert found, f"no {currency} section"
    return found.group(1)


def _row(section: str, slug: str) -> list[str]:
    row = re.search(rf'<tr data-workspace="{re.escape(slug)}">(.*?)</tr>', section, re.S)
    assert row, f"no row for {slug}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


async def test_the_overview_adds_up_each_currency_across_workspaces_with_each_share(
    make_person: MakePerson, browser_of: Browser, db: Any
) -> None:
    """Two workspaces of one person: USD 300 sent in the first, USD 100 and EUR 50 sent in
    the second. The overview shows USD 400 invoiced with the first at 75 % and the second at
    25 %, EUR apart at 100 %; a stranger's workspace and figures are nowhere; the dashboard
    links to it."""
    person, stranger = await make_person("Ada"), await make_person("Stranger")
    async with domain(db, person) as d:
        await d.billing.invoices.send(d.access, uuid.UUID(person.invoice_uuid), SendInput(notify=False))  # 300.00
        second = await d.billing.workspaces.create_workspace(d.principal, WorkspaceCreate(name=unique("Lab")))
        lab = await d.billing.access(d.principal, second.company_slug)
        await _sent(d, lab, 100)
        await _sent(d, lab, 50, "EUR")
    async with domain(db, stranger) as d:
        await _sent(d, d.access, 777_777)

    http = await browser_of(person)
    dashboard = await loaded(http, f"/w/{person.slug}")
    assert 'href="/account/workspaces"' in dashboard
    page = await loaded(http, "/account/workspaces")
    assert "All your workspaces" in page
    assert stranger.slug not in page
    assert "777,777" not in page

    usd = _section(page, "USD")
    assert re.search(r'data-kpi="invoiced">\$400\.00<', usd)
    assert re.search(r'data-kpi="outstanding">\$400\.00<', usd)
    first, other = _row(usd, person.slug), _row(usd, second.company_slug)
    assert first[:3] == [first[0], "$300.00", "75 %"], first
    assert other[1:3] == ["$100.00", "25 %"], other
    assert first[5] == "75 %", "its share of what is outstanding"
    assert usd.index(f'data-workspace="{person.slug}"') < usd.index(f'data-workspace="{second.company_slug}"')

    eur = _section(page, "EUR")
    assert re.search(r'data-kpi="invoiced">€50\.00<', eur)
    assert _row(eur, second.company_slug)[1:3] == ["€50.00", "100 %"]
    assert f'data-workspace="{person.slug}"' not in eur, "no EUR invoice in the first workspace"


async def test_the_overview_of_someone_without_invoices_says_so(make_person: MakePerson, browser_of: Browser) -> None:
    person = await make_person()  # one draft: nothing invoiced, but an invoice counted
    page = await loaded(await browser_of(person), "/account/workspaces")
    usd = _section(page, "USD")
    assert _row(usd, person.slug)[1:3] == ["$0.00", "—"]
