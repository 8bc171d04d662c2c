"""No silent stall (issue 18): when an invoice's email waits because its last attempt
failed (the worker's ``retry_later``, e.g. Chromium could not start), the invoice page says
so at the top (what is wrong, that it retries, when next), and the workspace's dashboard
counts its waiting emails with the latest reason; another workspace sees none of it."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

from app.domain.deliveries import DeliveryService, backoff
from app.domain.outputs import InvoiceOut
from app.domain.schemas import SendInput
from tests.web.conftest import MakePerson, Person
from tests.web.test_pages import Browser, domain, loaded

CHROMIUM = "PDF rendering is not available: Chromium could not be started"


async def _send_and_stall(db: Any, who: Person) -> InvoiceOut:
    """Send the person's draft to its client, then fail the email's first attempt the way
    the worker does: claim it, then retry it later with the reason."""
    async with domain(db, who) as d:
        sent = await d.billing.invoices.send(d.access, uuid.UUID(who.invoice_uuid), SendInput())
        assert isinstance(sent, InvoiceOut)
    async with db.create_session_maker()() as session:
        deliveries = DeliveryService(session)
        [delivery] = sent.deliveries
        assert await deliveries.claim(delivery.uuid, dt.timedelta(seconds=60))
        await deliveries.retry_later(delivery.uuid, 1, CHROMIUM)
        await session.commit()
    return sent


def _notice(page: str) -> str:
    found = re.search(r"<div class=\"alert\" data-stalled-emails>(.*?)</div>", page, re.S)
    assert found, "no notice of the waiting emails"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


async def test_a_stalled_email_shows_on_the_invoice_and_the_dashboard(
    person: Person, make_person: MakePerson, browser_of: Browser, db: Any
) -> None:
    http = await browser_of(person)
    base = f"/w/{person.slug}/invoices/{person.invoice_uuid}"
    assert "data-stalled-emails" not in await loaded(http, base)
    assert "data-stalled-emails" not in await loaded(http, f"/w/{person.slug}")

    before = dt.datetime.now(dt.UTC)
    await _send_and_stall(db, person)

    page = await loaded(http, base)
    notice = _notice(page)
    assert "This invoice's email is waiting: the last attempt failed." in notice
    assert CHROMIUM in notice
    assert "Billcraft tries again on its own: next try" in notice
    assert "after 1 of 6 attempts" in notice
    assert page.index("data-stalled-emails") < page.index("<h1>"), "said at the top of the page"
    async with domain(db, person) as d:
        [row] = (await d.invoice(person.invoice_uuid)).deliveries
    assert row.next_attempt_at is not None
    assert before + backoff(1) <= row.next_attempt_at <= dt.datetime.now(dt.UTC) + backoff(1)

    dashboard = _notice(await loaded(http, f"/w/{person.slug}"))
    assert "1 email is waiting to be sent: the last attempt failed." in dashboard
    assert f"Latest reason: {CHROMIUM}" in dashboard
    assert f'href="{base}">See the latest invoice waiting</a>' in await loaded(http, f"/w/{person.slug}")

    stranger = await make_person("Stranger")
    theirs = await browser_of(stranger)
    assert "data-stalled-emails" not in await loaded(theirs, f"/w/{stranger.slug}")
