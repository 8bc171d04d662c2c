"""Sending several drafts at once from the invoice list ("send all draft invoices")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import InvoiceCreate, ItemInput
from tests.web.conftest import Person, form_to


async def _draft_without_client(db: Any, owner: Person) -> str:
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(owner.email)
        access = await billing.access(Principal(user_id=user.id, name=user.name, channel=Channel.WEB), owner.slug)
        draft = await billing.invoices.create_invoice(
            access,
            InvoiceCreate(
                title="Nobody to send to",
                items=[ItemInput(description="x", quantity=Decimal(1), unit_price=Decimal(5))],
            ),
        )
        await session.commit()
    return str(draft.uuid)  # type: ignore[union-attr]


async def test_selected_drafts_are_sent_each_on_its_own(person: Person, browser_of: Any, db: Any) -> None:
    """The list's drafts can be ticked and sent together: the one with a client email is
    finalized, numbered and emailed; the one without is refused by name and stays a draft,
    without holding the other back."""
    lonely = await _draft_without_client(db, person)
    http = await browser_of(person)
    page = await http.get(f"/w/{person.slug}/invoices?status=draft")
    assert page.status_code == 200
    fields = form_to(page.text, f"/w/{person.slug}/invoices/send-drafts")
    ticked = re.findall(r'name="uuid" value="([0-9a-f-]{36})"', page.text)
    assert set(ticked) == {person.invoice_uuid, lonely}

    done = await http.post(
        f"/w/{person.slug}/invoices/send-drafts",
        data={"_csrf_token": fields["_csrf_token"], "uuid": ticked},
    )
    assert done.status_code == 303
    listing = await http.get(done.headers["location"])
    assert re.search(r"Sent 1: INV-\d{4}-\d{4} \(" + re.escape(person.invoice_title) + r"\)", listing.text)
    assert "Not sent (1): Nobody to send to: its client has no email address" in listing.text

    sent = await http.get(f"/w/{person.slug}/invoices/{person.invoice_uuid}")
    assert 'data-status="sent"' in sent.text
    assert 'data-delivery="billing@client.example"' in sent.text
    still = await http.get(f"/w/{person.slug}/invoices/{lonely}")
    assert 'data-status="draft"' in still.text


async def test_sending_with_nothing_selected_says_so(person: Person, browser_of: Any) -> None:
    """An empty selection changes nothing and tells the user to select drafts."""
    http = await browser_of(person)
    page = await http.get(f"/w/{person.slug}/invoices")
    fields = form_to(page.text, f"/w/{person.slug}/invoices/send-drafts")
    done = await http.post(f"/w/{person.slug}/invoices/send-drafts", data={"_csrf_token": fields["_csrf_token"]})
    followed = await http.get(done.headers["location"])
    assert "Select the drafts to send first." in followed.text
    assert 'data-status="draft"' in (await http.get(f"/w/{person.slug}/invoices/{person.invoice_uuid}")).text
