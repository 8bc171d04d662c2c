"""The invoice page's send form with nobody to send to (issue 18): "Send invoice" with an
empty To for a client without an email is refused before anything changes, and shows the
form again as typed with what to do; "Mark as sent without emailing anyone" is the explicit
way to record the send. Plain HTTP posts, as a browser without scripts sends them."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import msgspec

from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, ItemInput
from tests.web.conftest import Person
from tests.web.test_pages import Browser, badge, domain, flashes, followed, form_at, invoice_of, loaded


async def _draft_for_a_client_without_email(db: Any, who: Person) -> str:
    async with domain(db, who) as d:
        paper = await d.billing.clients.create_client(d.access, ClientInput(name="Paper Post Ltd"))
        draft = await d.billing.invoices.create_invoice(
            d.access,
            InvoiceCreate(
                title="Sent by post",
                client_uuid=paper.uuid,
                items=[ItemInput(description="Work", quantity=Decimal(2), unit_price=Decimal(50))],
            ),
        )
        assert isinstance(draft, InvoiceOut)
        return str(draft.uuid)


async def test_send_without_recipients_is_refused_keeps_what_was_typed_and_changes_nothing(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """To left empty (the client has no email), a message typed: 422, the invoice page again
    with the message still in its box, the To field marked with what to do (type an address
    or tick the box); the draft keeps no number, no new history, no email."""
    key = await _draft_for_a_client_without_email(db, person)
    base = f"/w/{person.slug}/invoices/{key}"
    http = await browser_of(person)
    page = await loaded(http, base)
    send = form_at(page, f"{base}/send")
    assert send.value("to") == "", "nothing to prefill: the client has no email"
    assert "no_email" not in send.fields, "the no-email box starts unticked"
    before = msgspec.to_builtins(await invoice_of(db, person, key))

    message = "Thank you for the March work, see the attached invoice."
    refused = await http.post(f"{base}/send", data=send.data(message=message))
    assert refused.status_code == 422, refused.text[:2000]
    shown = form_at(refused.text, f"{base}/send")
    assert (shown.value("to"), shown.value("message")) == ("", message)
    error = re.search(r'<p class="field-error" id="send-to-error">(.*?)</p>', refused.text, re.S)
    assert error, "the To field says why"
    said = html.unescape(error.group(1))
    assert "Nobody to email" in said
    assert "Mark as sent without emailing anyone" in said
    assert 'id="send-to" name="to"' in refused.text
    assert re.search(r'<input id="send-to"[^>]*aria-invalid="true"', refused.text)
    assert badge(refused.text) == ("draft", "Draft")

    after = await invoice_of(db, person, key)
    assert msgspec.to_builtins(after) == before, "a refused send changed the invoice"
    assert (after.status, after.number, after.finalized_at, after.deliveries) == ("draft", None, None, [])


async def test_a_bad_address_is_shown_on_the_to_field_as_typed(person: Person, browser_of: Browser, db: Any) -> None:
    """A malformed address: refused on the To field, what was typed still there."""
    key = await _draft_for_a_client_without_email(db, person)
    base = f"/w/{person.slug}/invoices/{key}"
    http = await browser_of(person)
    send = form_at(await loaded(http, base), f"{base}/send")
    refused = await http.post(f"{base}/send", data=send.data(to="ap@acme.example, not-an-address"))
    assert refused.status_code == 422, refused.text[:2000]
    assert form_at(refused.text, f"{base}/send").value("to") == "ap@acme.example, not-an-address"
    assert re.search(r'<p class="field-error" id="send-to-error">[^<]+</p>', refused.text)
    assert (await invoice_of(db, person, key)).status == "draft"


async def test_mark_as_sent_without_emailing_anyone_records_the_send(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """The box ticked: the invoice is finalized, numbered and marked sent, no email is
    queued, the page says nobody was emailed, and the history says the send notified nobody."""
    key = await _draft_for_a_client_without_email(db, person)
    base = f"/w/{person.slug}/invoices/{key}"
    http = await browser_of(person)
    send = form_at(await loaded(http, base), f"{base}/send")
    answer = await http.post(f"{base}/send", data=send.data(no_email="yes"))
    page = (await followed(http, answer, base)).text
    assert "The invoice is marked sent; nobody was emailed." in flashes(page)
    assert badge(page)[0] == "sent"
    done = await invoice_of(db, person, key)
    assert (done.status, done.deliveries) == ("sent", [])
    assert done.number
    assert done.history[-1].data == {"recipients": [], "notify": False}

    # A reminder the same way: recorded, nobody emailed, the status kept.
    reminder = form_at(page, f"{base}/send")
    assert "Record the reminder without emailing anyone" in page
    answer = await http.post(f"{base}/send", data=reminder.data(no_email="yes"))
    page = (await followed(http, answer, base)).text
    assert "The reminder is recorded; nobody was emailed." in flashes(page)
    reminded = await invoice_of(db, person, key)
    assert (reminded.status, reminded.history[-1].action, reminded.deliveries) == ("sent", "remind", [])


async def test_the_clients_email_is_still_sent_to(person: Person, browser_of: Browser, db: Any) -> None:
    """The ordinary send is unchanged: the To prefilled with the client's email sends to it."""
    base = f"/w/{person.slug}/invoices/{person.invoice_uuid}"
    http = await browser_of(person)
    send = form_at(await loaded(http, base), f"{base}/send")
    assert send.value("to") == "billing@client.example"
    page = (await followed(http, await http.post(f"{base}/send", data=send.data()), base)).text
    assert "The invoice is sent to billing@client.example." in flashes(page)
    sent = await invoice_of(db, person)
    assert [d.to for d in sent.deliveries] == ["billing@client.example"]
