"""An invoice's ``public_url`` in the JSON is the client's page exactly when that page is
there: null while the invoice is a draft (finalized or not), and for every other status a
URL whose page, ``/i/<token>``, answers 200 without an account. Checked on REST over every
status, and against the page itself for each, so the JSON and the page cannot drift apart."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.config import Settings
from tests.api.conftest import Caller
from tests.api.support import STATES, create_client, create_invoice, get_invoice, invoice_in_state
from tests.api.test_public_invoice import public_token


async def test_a_draft_and_a_finalized_draft_have_no_public_url_and_a_sent_invoice_has_one_that_opens(
    caller: Caller, client: AsyncTestClient[Litestar], settings: Settings, db: Any
) -> None:
    """REST: null on create, still null once finalized (number assigned, nobody sent it),
    then after sending a URL on this server's base whose page answers 200 to anyone."""
    draft = await invoice_in_state(caller, "draft", settings)
    assert draft["public_url"] is None
    finalized = await invoice_in_state(caller, "finalized", settings)
    assert finalized["number"]
    assert finalized["public_url"] is None
    sent = await caller.post(f"/invoices/{finalized['uuid']}/send", json={"notify": False})
    assert sent.status_code == 200, sent.text
    url = sent.json()["public_url"]
    assert url == f"{settings.base_url}/i/{await public_token(db, finalized['uuid'])}"
    client.cookies.clear()
    page = await client.get(urlsplit(url).path)
    assert page.status_code == 200
    assert finalized["number"] in page.text


@pytest.mark.parametrize("state", [*STATES, "cancelled draft"])
async def test_public_url_is_set_exactly_when_the_public_page_answers(
    caller: Caller, client: AsyncTestClient[Litestar], settings: Settings, db: Any, state: str
) -> None:
    """For every status (and a draft cancelled before it was ever sent) the JSON's public_url
    is non-null if and only if the page at the invoice's stored token answers 200, which is
    once the invoice has been sent; when it is set, it is that page."""
    if state == "cancelled draft":
        created = await create_invoice(caller)
        assert (await caller.post(f"/invoices/{created['uuid']}/cancel")).status_code == 200
        invoice = await get_invoice(caller, created["uuid"])
    else:
        customer = await create_client(caller)
        invoice = await invoice_in_state(caller, state, settings, client_uuid=customer["uuid"])
    path = f"/i/{await public_token(db, invoice['uuid'])}"
    client.cookies.clear()
    page = await client.get(path)
    assert page.status_code in (200, 404), page.text
    assert (invoice["public_url"] is not None) == (page.status_code == 200), (invoice["status"], page.status_code)
    if invoice["public_url"] is not None:
        assert invoice["public_url"] == f"{settings.base_url}{path}"
    assert (invoice["public_url"] is None) == (invoice["sent_at"] is None), "shown once sent, and only then"
    if state == "cancelled draft":
        assert invoice["public_url"] is None, "cancelled before anyone was sent it: nobody's to see"
