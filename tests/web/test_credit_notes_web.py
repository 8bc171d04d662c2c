"""Credit notes in the web app (issue 21): a sent invoice's page offers "Issue a credit
note"; too much is refused with the form shown again and the reason kept; a net amount is
credited with VAT at the invoice's rate, the invoice page lists the credit note, and its
page and PDF say what it credits and which invoice it corrects."""

from __future__ import annotations

import html
import re

from tests.web.conftest import Person
from tests.web.test_pages import Browser, form_at, loaded


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_a_credit_note_is_issued_from_the_invoice_page(person: Person, browser_of: Browser) -> None:
    http = await browser_of(person)
    invoice_path = f"/w/{person.slug}/invoices/{person.invoice_uuid}"
    send = form_at(await loaded(http, invoice_path), f"{invoice_path}/send")
    sent = await http.post(f"{invoice_path}/send", data=send.data(no_email="on"))
    assert sent.status_code == 303, sent.text[:1000]

    page = await loaded(http, invoice_path)
    credit = form_at(page, f"{invoice_path}/credit")
    too_much = await http.post(f"{invoice_path}/credit", data=credit.data(reason="Goodwill", amount="300.01"))
    assert too_much.status_code == 422
    assert "more than is left to credit at category S 0% (300.00 USD net left)" in html.unescape(too_much.text)
    assert "Goodwill</textarea>" in too_much.text, "the reason typed is kept"

    issued = await http.post(f"{invoice_path}/credit", data=credit.data(reason="Goodwill", amount="50"))
    assert issued.status_code == 303, issued.text[:1000]
    page = _text(await loaded(http, invoice_path))
    year = re.search(r"CN-(\d{4})-0002", page)
    assert year, page  # CN-<year>-0001 is the workspace's invoice sent by mistake, credited in full
    assert f"Credit note CN-{year.group(1)}-0002 is issued for 50.00 USD." in page

    notes = await loaded(http, f"/w/{person.slug}/credit-notes")
    link = re.search(rf'href="(/w/{person.slug}/credit-notes/[0-9a-f-]+)">CN-{year.group(1)}-0002<', notes)
    assert link, notes
    note = _text(await loaded(http, link.group(1)))
    assert f"Credit note CN-{year.group(1)}-0002" in note
    assert "Goodwill" in note
    assert "Total credited $50.00" in note
    pdf = await http.get(f"{link.group(1)}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    mail = form_at(await loaded(http, link.group(1)), f"{link.group(1)}/send")
    assert (await http.post(f"{link.group(1)}/send", data=mail.data())).status_code == 303
    assert "The credit note is on its way to billing@client.example." in _text(await loaded(http, link.group(1)))


async def test_a_refund_due_after_a_credit_note_is_recorded_from_the_invoice_page(
    person: Person, browser_of: Browser
) -> None:
    http = await browser_of(person)
    invoice_path = f"/w/{person.slug}/invoices/{person.invoice_uuid}"
    send = form_at(await loaded(http, invoice_path), f"{invoice_path}/send")
    await http.post(f"{invoice_path}/send", data=send.data(no_email="on"))
    pay = form_at(await loaded(http, invoice_path), f"{invoice_path}/pay")
    assert (await http.post(f"{invoice_path}/pay", data=pay.data())).status_code == 303
    credit = form_at(await loaded(http, invoice_path), f"{invoice_path}/credit")
    await http.post(f"{invoice_path}/credit", data=credit.data(reason="Returned", amount="40"))
    page = await loaded(http, invoice_path)
    assert "Refund due:" in _text(page)
    refund = form_at(page, f"{invoice_path}/refund")
    assert refund.value("amount") == "40.00"
    done = await http.post(f"{invoice_path}/refund", data=refund.data(payment_method="Bank transfer"))
    assert done.status_code == 303
    after = _text(await loaded(http, invoice_path))
    assert "The refund of 40.00 USD is recorded." in after
    assert "Refund due:" not in after
    assert "-$40.00" in after
