"""E-invoices in the web app (issue 22): the invoice page leads to its e-invoice check, which
names each broken rule with a link to where it is fixed (the settings, the client); once the
fields are given and the invoice finalized, the check offers the download, a valid file.
A supplier's Factur-X PDF uploaded on "Received e-invoices" is read into its page (supplier,
lines, totals) with its verdict; a broken one shows its rule ids."""

from __future__ import annotations

import html
import re

from tests.api.einvoice_support import KIT, LEITWEG, SELLER, validate
from tests.web.conftest import Person
from tests.web.test_pages import Browser, form_at, loaded


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_the_check_page_names_each_broken_rule_with_where_to_fix_it_then_offers_the_file(
    person: Person, browser_of: Browser
) -> None:
    http = await browser_of(person)
    invoice_path = f"/w/{person.slug}/invoices/{person.invoice_uuid}"
    assert f'href="{invoice_path}/einvoice/check"' in await loaded(http, invoice_path)
    check = await loaded(http, f"{invoice_path}/einvoice/check?format=xrechnung-ubl")
    rules = set(re.findall(r'data-rule="([^"]+)"', check))
    assert {"BR-DE-15", "BR-DE-6", "BR-9"} <= rules, rules
    assert f'href="/w/{person.slug}/settings">settings.phone</a>' in check
    assert f'href="/w/{person.slug}/clients/{person.client_uuid}/edit">client.buyer_reference</a>' in check

    settings = form_at(await loaded(http, f"/w/{person.slug}/settings"), f"/w/{person.slug}/settings")
    saved = await http.post(f"/w/{person.slug}/settings", data=settings.data(**SELLER))
    assert saved.status_code == 303, _text(saved.text)[:2000]
    edit = f"/w/{person.slug}/clients/{person.client_uuid}/edit"
    client = form_at(await loaded(http, edit), edit)
    fields = {"address_line1": "Rathausplatz 1", "city": "Musterstadt", "postal_code": "12345", "country": "DE",
              "buyer_reference": LEITWEG, "einvoice_format": "xrechnung-ubl"}  # fmt: skip
    assert (await http.post(edit, data=client.data(**fields))).status_code == 303
    # Standard rated at 0 % is no e-invoice (BR-S-05): the check says so and leads to the editor.
    check = await loaded(http, f"{invoice_path}/einvoice/check")
    assert re.findall(r'data-rule="([^"]+)"', check) == ["BR-S-05"], _text(check)
    assert f'href="{invoice_path}/edit">tax_rate</a>' in check
    editor = form_at(await loaded(http, f"{invoice_path}/edit"), f"{invoice_path}/edit")
    saved = await http.post(f"{invoice_path}/edit", data=editor.data(command="save", tax_rate="19"))
    assert saved.status_code == 303, _text(saved.text)[:2000]
    check = await loaded(http, f"{invoice_path}/einvoice/check")
    assert "data-einvoice-valid" in check, _text(check)

    finalize = form_at(await loaded(http, invoice_path), f"{invoice_path}/finalize")
    assert (await http.post(f"{invoice_path}/finalize", data=finalize.data())).status_code == 303
    check = await loaded(http, f"{invoice_path}/einvoice/check")
    download = re.search(r'href="([^"]+/einvoice\?format=xrechnung-ubl)" data-einvoice-download', check)
    assert download, _text(check)
    xml = await http.get(html.unescape(download.group(1)))
    assert (xml.status_code, xml.headers["content-type"]) == (200, "application/xml")
    assert validate({"web.xml": xml.content})["web.xml"]["valid"]


async def test_a_suppliers_facturx_pdf_is_received_read_and_judged(person: Person, browser_of: Browser) -> None:
    http = await browser_of(person)
    listing = f"/w/{person.slug}/received"
    assert f'href="{listing}" data-received-link' in await loaded(http, f"/w/{person.slug}/invoices")
    form = form_at(await loaded(http, listing), listing)
    pdf = (KIT / "samples" / "valid" / "facturx-en16931.pdf").read_bytes()
    answer = await http.post(listing, data=form.data(), files={"file": ("supplier.pdf", pdf, "application/pdf")})
    assert answer.status_code == 303, _text(answer.text)[:2000]
    page = await loaded(http, answer.headers["location"])
    assert "data-received-valid" in page
    text = _text(page)
    for shown in ("Invoice 12115118", "De Koksmaat", "250.33 EUR", "facturx (CII)"):
        assert shown in text, (shown, text)

    broken = (KIT / "samples" / "invalid" / "en16931-cii-invoice_wrong-line-total.xml").read_bytes()
    answer = await http.post(listing, data=form.data(), files={"file": ("broken.xml", broken, "application/xml")})
    page = await loaded(http, answer.headers["location"])
    assert "data-received-errors" in page
    assert re.findall(r'data-rule="(BR-[A-Z0-9-]+)"', page), page
    listed = re.findall(r'href="/w/[^"]+/received/[0-9a-f-]+">([^<]+)</a>', await loaded(http, listing))
    # Both kept, each under its number, beside the one the person's workspace started with.
    assert sorted(listed) == ["12115118", "12115118", "Snippet1"], listed
