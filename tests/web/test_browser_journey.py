"""The web app in a real browser: Playwright drives Chromium against ``billcraft serve``
(jobs in process, mail to an aiosmtpd server), as a new user would use it.

Screenshots of the main pages are saved under ``test-artifacts/screenshots/``."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.conftest import TARGET, OwnDatabase, unique
from tests.processes import ProcessEnv, serve
from tests.smtp import Mailbox, smtp_server
from tests.web.conftest import PASSWORD, MakePerson
from tests.workers.test_pdf import text_of

# One folder per database kind: the SQLite and PostgreSQL runs may go side by side.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / TARGET
ITEMS = [("UX Design", "20", "120"), ("Frontend Development", "60", "150"), ("Hosting setup", "1", "450")]
# 2,400 + 9,000 + 450 = 11,850; tax 10% = 1,185; total 13,035.
SUBTOTAL, TAX, TOTAL = "$11,850.00", "$1,185.00", "$13,035.00"


# Every control a person can reach must have a name a screen reader reads out.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby') && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 120))"""


async def shot(page: Page, name: str) -> None:
    """Save a screenshot, after checking the page is labelled for assistive technology and
    fits its viewport (nothing sticks out sideways, as on a phone; wide tables scroll inside
    their own frame, as does the monthly chart)."""
    assert await page.evaluate(UNLABELLED) == [], f"unlabelled controls on {page.url}"
    wide = await page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.checkVisibility() && !e.closest('.table-wrap, .scroll-x'))"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"
    )
    assert wide == [], f"wider than the screen on {page.url}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def wait_for_mail(mailbox: Mailbox, address: str) -> str:
    messages = await asyncio.to_thread(mailbox.wait_for, address, 1, 60)
    html = next(p for p in messages[0].walk() if p.get_content_type() == "text/html")
    return str(html.get_content())


async def sign_up(page: Page, base: str, email: str) -> None:
    await page.goto(base)
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Your name").fill("Ada Lovelace")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(f"{base}/workspaces/new")


async def test_a_new_user_signs_up_invoices_a_client_and_sees_the_payment_on_the_dashboard(
    browser: Browser, own_database: OwnDatabase, tmp_path: Path
) -> None:
    """The whole journey of the issue: sign up, create a workspace and a client, write an
    invoice with three items and see the server's totals as the lines are typed, preview
    the PDF, send it (the mail arrives), open the client's public page, record the payment,
    and find the figures on the dashboard."""
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    email = f"{unique('ada')}@studio.example"
    with (
        smtp_server() as (smtp_url, mailbox),
        serve(env, tmp_path / "serve.log", jobs="auto", smtp_url=smtp_url) as base,
    ):
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        # The content security policy must not block anything the pages use (script, styles,
        # the preview frame, the chart): Chromium reports each refusal on the console.
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

        await sign_up(page, base, email)
        await shot(page, "01-new-workspace")
        await page.get_by_label("Business name").fill("Northwind Studio")
        await page.get_by_role("button", name="Create workspace").click()
        await expect(page.get_by_role("heading", name="Northwind Studio")).to_be_visible()
        slug = page.url.rstrip("/").rsplit("/", 1)[1]
        await expect(page.get_by_role("heading", name="Get started")).to_be_visible()

        # A client.
        await page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Clients").click()
        await page.get_by_role("link", name="New client").first.click()
        await page.get_by_label("Name").fill("Globex Corporation")
        await page.get_by_label("Email").fill("ap@globex.example")
        await page.get_by_label("City").fill("Springfield")
        await page.get_by_role("button", name="Add client").click()
        await expect(page.get_by_role("heading", name="Globex Corporation")).to_be_visible()

        # An invoice with three items: the totals follow the typing, priced by the server.
        await page.get_by_role("link", name="New invoice").click()
        await expect(page.get_by_label("Client", exact=True)).to_have_value(re.compile(r"[0-9a-f-]{36}"))
        await page.get_by_label("Title").fill("Website redesign, March")
        await page.get_by_label("Tax rate (%)").fill("10")
        for n, (description, quantity, price) in enumerate(ITEMS, start=1):
            if n > 1 and not await page.get_by_label(f"Description, line {n}").count():
                await page.get_by_role("button", name="Add line").click()
            await page.get_by_label(f"Description, line {n}").fill(description)
            await page.get_by_label(f"Quantity, line {n}").fill(quantity)
            await page.get_by_label(f"Unit price, line {n}").fill(price)
        totals = page.locator("#totals")
        await expect(totals.locator("[data-total=subtotal]")).to_have_text(SUBTOTAL)
        await expect(totals.locator("[data-total=tax]")).to_have_text(TAX)
        await expect(totals.locator("[data-total=total]")).to_have_text(TOTAL)
        await expect(page.locator("[data-line-amount='1']")).to_have_text("$9,000.00")
        await shot(page, "02-invoice-editor")
        await page.get_by_role("button", name="Create draft").click()

        # The invoice, its preview and its PDF.
        await expect(page.locator("[data-status]")).to_have_text("Draft")
        await expect(page.locator("[data-kpi=total]")).to_have_text(TOTAL)
        preview = page.frame_locator("iframe.preview-frame")
        await expect(preview.get_by_text("DRAFT").first).to_be_visible()
        await expect(preview.get_by_text(TOTAL).first).to_be_visible()
        pdf = await context.request.get(base + (await page.locator("[data-pdf-link]").get_attribute("href") or ""))
        assert pdf.headers["content-type"] == "application/pdf"
        pdf_text = text_of(await pdf.body(), tmp_path)
        for words in ("Website redesign, March", "13,035.00", "DRAFT"):
            assert words in pdf_text
        await shot(page, "03-invoice-draft")

        # Send it: the mail arrives with the link to the client's page.
        await expect(page.get_by_label("To", exact=True)).to_have_value("ap@globex.example")
        await page.get_by_label("Message").fill("Thanks for a great quarter!")
        await page.get_by_role("button", name="Send invoice").click()
        await expect(page.get_by_role("status")).to_contain_text("sent to ap@globex.example")
        await expect(page.locator("[data-status]")).to_have_text("Sent")
        number = (await page.get_by_role("heading", level=1).inner_text()).split()[0]
        assert re.fullmatch(r"INV-\d{4}-0001", number), number
        mail = await wait_for_mail(mailbox, "ap@globex.example")
        link = re.search(r'href="([^"]+/i/[^"]+\?d=[^"]+)"', mail)
        assert link, mail
        public_url = link.group(1).replace("&amp;", "&")

        # The client opens the emailed link: no account needed.
        client_view = await browser.new_context(viewport={"width": 390, "height": 844})
        client_page = await client_view.new_page()
        client_page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        await client_page.goto(public_url)
        await expect(client_page.get_by_text("Awaiting payment")).to_be_visible()
        await expect(client_page.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()
        await expect(client_page.get_by_text(TOTAL).first).to_be_visible()
        download = await client_view.request.get(
            base + (await client_page.get_by_role("link", name="Download PDF").get_attribute("href") or "")
        )
        assert download.headers["content-type"] == "application/pdf"
        assert "DRAFT" not in text_of(await download.body(), tmp_path)
        await shot(client_page, "04-public-invoice-phone")
        await client_view.close()

        await page.reload()
        delivery = page.locator("tr[data-delivery='ap@globex.example']")
        await expect(delivery).to_contain_text("Opened")
        await shot(page, "05-invoice-sent")

        # The payment.
        await expect(page.get_by_label(re.compile(r"^Amount"))).to_have_value("13035.00")
        await page.get_by_label("Method").fill("bank transfer")
        await page.get_by_role("button", name="Record payment").click()
        await expect(page.get_by_role("status")).to_contain_text("paid in full")
        await expect(page.locator("[data-status]")).to_have_text("Paid")
        await expect(page.locator("[data-kpi=balance]")).to_have_text("$0.00")
        await expect(page.get_by_role("button", name="Record payment")).to_have_count(0)
        await expect(page.get_by_text("Cancel invoice")).to_have_count(0)

        # The dashboard.
        await page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Dashboard").click()
        await expect(page.locator("[data-kpi=invoiced]")).to_have_text(TOTAL)
        await expect(page.locator("[data-kpi=paid]")).to_have_text(TOTAL)
        await expect(page.locator("[data-kpi=outstanding]")).to_have_text("$0.00")
        await expect(page.locator("[data-kpi=overdue]")).to_have_text("$0.00")
        paid_bars = page.locator("svg.chart-monthly rect.bar-paid")
        values = [Decimal(v or "0") for v in await paid_bars.evaluate_all("(bars) => bars.map(b => b.dataset.value)")]
        assert sum(values) == Decimal("13035.00")
        await expect(page.locator("svg.chart-status rect.status-paid[data-count]")).to_have_attribute("data-count", "1")
        await shot(page, "06-dashboard")
        await page.set_viewport_size({"width": 390, "height": 844})
        await shot(page, "07-dashboard-phone")
        await page.get_by_role("link", name=number).first.click()
        await shot(page, "08-invoice-paid-phone")
        assert slug in page.url
        await context.close()
        assert refused == []


async def test_the_invoice_editor_works_without_javascript(
    browser: Browser, site: str, make_person: MakePerson
) -> None:
    """With scripts off, the editor still prices lines on the server (Update totals), adds
    and removes lines, marks a bad number next to its field, and saves."""
    person = await make_person()
    context = await browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site}/signin")
    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()

    await page.goto(f"{site}/w/{person.slug}/invoices/new")
    rows = page.locator("table.editor-lines tbody tr")
    blank_rows = await rows.count()
    await page.get_by_label("Title").fill("Security audit")
    await page.get_by_label("Description, line 1").fill("Audit days")
    await page.get_by_label("Quantity, line 1").fill("2")
    await page.get_by_label("Unit price, line 1").fill("abc")
    await page.get_by_role("button", name="Update totals").click()
    price = page.get_by_label("Unit price, line 1")
    await expect(price).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#item_unit_price_0-error")).to_contain_text("must be a number")
    await expect(page.locator("#totals [data-priced=false]")).to_be_visible()

    await price.fill("250.5")
    await page.get_by_role("button", name="Add line").click()
    await expect(rows).to_have_count(blank_rows + 1)
    await expect(page.locator("[data-total=total]")).to_have_text("$501.00")
    await expect(page.locator("[data-line-amount='0']")).to_have_text("$501.00")

    await page.get_by_label("Description, line 2").fill("Report")
    await page.get_by_label("Quantity, line 2").fill("1")
    await page.get_by_label("Unit price, line 2").fill("99")
    await page.get_by_role("button", name="Update totals").click()
    await expect(page.locator("[data-total=total]")).to_have_text("$600.00")
    await page.get_by_role("button", name="Remove line 1").click()
    await expect(page.get_by_label("Description, line 1")).to_have_value("Report")
    await expect(page.locator("[data-total=total]")).to_have_text("$99.00")

    await page.get_by_role("button", name="Create draft").click()
    await expect(page.locator("[data-status]")).to_have_text("Draft")
    await expect(page.locator("[data-kpi=total]")).to_have_text("$99.00")
    await expect(page.get_by_role("link", name="Edit draft")).to_be_visible()
    await context.close()
