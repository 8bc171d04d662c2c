"""Nothing a person does in the browser changes an issued invoice (issue 21): once it is
sent, its editor is refused (the page says what it can do now), and its content stays as
issued while the client is edited; its printed document still names the client as it was."""

from __future__ import annotations

import html

from tests.web.conftest import Person
from tests.web.test_pages import Browser, form_at, loaded


async def test_an_issued_invoice_cannot_be_edited_in_the_browser(person: Person, browser_of: Browser) -> None:
    http = await browser_of(person)
    base = f"/w/{person.slug}/invoices/{person.invoice_uuid}"
    editor = form_at(await loaded(http, f"{base}/edit"), f"{base}/edit")
    send = form_at(await loaded(http, base), f"{base}/send")
    assert (await http.post(f"{base}/send", data=send.data(no_email="on"))).status_code == 303
    preview_before = await loaded(http, f"{base}/preview")

    refused = await http.post(f"{base}/edit", data=editor.data(title="Changed", command="save"))
    assert refused.status_code == 303
    page = html.unescape(await loaded(http, base))
    assert "Changed" not in page
    assert "sent" in page

    client_base = f"/w/{person.slug}/clients/{person.client_uuid}"
    client_form = form_at(await loaded(http, f"{client_base}/edit"), f"{client_base}/edit")
    edited = await http.post(f"{client_base}/edit", data=client_form.data(name="Renamed Client Ltd"))
    assert edited.status_code == 303
    preview_after = await loaded(http, f"{base}/preview")
    assert preview_after == preview_before
    assert "Renamed Client Ltd" not in preview_after
    assert person.client_name in preview_after
