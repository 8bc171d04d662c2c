"""Deleting a draft asks first, without JavaScript too (issue 18): the invoice page's
"Delete draft…" opens a confirmation page, and only that page's form deletes. Driven with
plain HTTP requests, as a browser with scripts off sends them."""

from __future__ import annotations

import html
from typing import Any

import msgspec

from tests.web.conftest import Person
from tests.web.test_pages import (
    Browser,
    badge,
    csrf_of,
    flashes,
    followed,
    form_at,
    invoice_of,
    invoice_path,
    loaded,
    send_quietly,
)


async def test_delete_draft_asks_on_a_page_before_deleting(person: Person, browser_of: Browser, db: Any) -> None:
    """The invoice page offers no form that deletes: its button GETs the confirmation page,
    which names the draft and says it is for good; "Keep it" goes back; its form deletes."""
    http = await browser_of(person)
    base = invoice_path(person)
    page = await loaded(http, base)
    ask = form_at(page, f"{base}/delete")
    assert ask.method == "get", "the invoice page's delete button only asks"
    assert "data-confirm" not in page

    confirm = await loaded(http, ask.action)
    assert "Delete this draft?" in confirm
    assert html.escape(person.invoice_title) in confirm
    assert "cannot be undone" in confirm
    assert f'href="{base}">Keep it</a>' in confirm
    assert (await invoice_of(db, person)).status == "draft", "asking deleted nothing"

    delete = form_at(confirm, f"{base}/delete")
    assert (delete.method, delete.value("confirm")) == ("post", "yes")
    answer = await http.post(delete.action, data=delete.data())
    listing = (await followed(http, answer, f"/w/{person.slug}/invoices")).text
    assert "The draft is deleted." in flashes(listing)
    assert (await http.get(base)).status_code == 404


async def test_a_post_that_did_not_come_from_the_confirmation_deletes_nothing(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """A delete posted without the confirmation (an old page's button, a hand-made form)
    is sent to the confirmation page and deletes nothing."""
    http = await browser_of(person)
    base = invoice_path(person)
    token = csrf_of(await loaded(http, base))
    before = msgspec.to_builtins(await invoice_of(db, person))
    for data in ({"_csrf_token": token}, {"_csrf_token": token, "confirm": "no"}):
        answer = await http.post(f"{base}/delete", data=data)
        assert answer.status_code == 303, answer.text[:2000]
        assert answer.headers["location"] == f"{base}/delete"
    assert msgspec.to_builtins(await invoice_of(db, person)) == before


async def test_an_invoice_that_cannot_be_deleted_is_not_asked_about(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """Once sent, the confirmation page sends back to the invoice saying it can only be
    cancelled; a confirmed post from a stale page is refused and deletes nothing."""
    http = await browser_of(person)
    base = invoice_path(person)
    stale = form_at(await loaded(http, f"{base}/delete"), f"{base}/delete")
    await send_quietly(db, person)
    page = (await followed(http, await http.get(f"{base}/delete"), base)).text
    assert any("cannot be deleted, only cancelled" in m for m in flashes(page)), flashes(page)
    page = (await followed(http, await http.post(stale.action, data=stale.data()), base)).text
    assert any("it was draft and is now sent" in m for m in flashes(page)), flashes(page)
    assert badge(page)[0] == "sent"
    assert (await invoice_of(db, person)).status == "sent"
