"""The web app on a phone, in Chromium against a served Billcraft (issue 18).

- Reflow (WCAG 1.4.10): every page, signed in or not, at 320 and 375 px wide scrolls only up
  and down: ``document.scrollingElement.scrollWidth <= innerWidth``. Wide tables and the
  monthly chart scroll inside their own frame, which is allowed. Full-page screenshots of
  each are kept under ``test-artifacts/web/<database>/``.
- Money first, at 375 x 667 px (the smallest common phone of that width, an iPhone SE: "the
  first screen" is what shows before any scrolling): the dashboard's invoiced, paid,
  outstanding and overdue figures of its first currency, an invoice's total and balance
  due, the first invoice's balance in the list, the client's amount due and how to pay,
  each entirely inside the first screen; no figure sticks out of its card; the overdue list
  comes before the charts; the preview shows every amount of the printed page.
- Header menus: Escape closes the open menu and puts focus back on its button; tabbing out
  of it (forward or back) or clicking elsewhere closes it; the open panel stays inside the
  screen and never covers its button or the control that has focus.
- Names that break layouts (one 60-character word, Arabic, Hebrew) are on every page of the
  owner's workspace; the right-to-left ones are laid out right to left (``dir="auto"``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page

from tests.browsers import chromium
from tests.conftest import ONE_DATABASE
from tests.web.site_pages import (
    ARABIC,
    ARTIFACTS,
    HEBREW,
    OWNER_NAME,
    Owner,
    expected_status,
    make_owner,
    open_page,
    signed_in,
)

pytestmark = ONE_DATABASE
WIDTHS = (320, 375)
PHONE = (375, 667)  # the first screen

# What sticks out sideways, when something does: elements whose right edge passes the
# screen's and that are not inside a frame that scrolls on its own.
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const scrolls = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.checkVisibility() && e.getBoundingClientRect().right > width + 0.5 && !scrolls(e))
    .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
              + ` right=${Math.round(e.getBoundingClientRect().right)}`);
  return {scrollWidth: document.scrollingElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async for launched in chromium():
        yield launched


@pytest.fixture(scope="module")
async def owner(db: Any) -> Owner:
    return await make_owner(db)


async def _sideways(page: Page, name: str, width: int) -> list[str]:
    found: dict[str, Any] = await page.evaluate(SIDEWAYS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{width}-{name}.png"), full_page=True)
    if found["scrollWidth"] <= found["width"]:
        return []
    return [f"{name} at {width} px: the page is {found['scrollWidth']} px wide; sticking out: {found['wide']}"]


async def _box(locator: Locator) -> dict[str, float]:
    box: dict[str, float] = await locator.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"
    )
    return box


async def _on_first_screen(page: Page, locator: Locator, what: str) -> list[str]:
    """``what`` wholly inside the first screen, at the top of the page, not scrolled."""
    await page.evaluate("window.scrollTo(0, 0)")
    if not await locator.is_visible():
        return [f"{what} is not visible"]
    box = await _box(locator)
    width, height = PHONE
    if box["top"] < 0 or box["bottom"] > height or box["left"] < 0 or box["right"] > width:
        return [f"{what} is at {box}, outside the first screen ({width}x{height})"]
    return []


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_every_page_reflows_without_scrolling_sideways(
    browser: Browser, site: str, owner: Owner, width: int
) -> None:
    started = time.monotonic()
    problems: list[str] = []
    client = await browser.new_context(viewport={"width": width, "height": PHONE[1]})
    page = await client.new_page()
    for name, path in owner.public.items():
        await open_page(page, site + path, expected_status(name))
        problems += await _sideways(page, name, width)
    await client.close()

    context = await signed_in(browser, site, owner, width, PHONE[1])
    page = await context.new_page()
    for name, path in owner.pages.items():
        await open_page(page, site + path, expected_status(name))
        problems += await _sideways(page, name, width)
    # With each header menu open, too (they opened off the screen's edges).
    await open_page(page, site + owner.pages["dashboard"])
    for menu in ("switcher", "user-menu"):
        await page.locator(f".{menu} > summary").click()
        panel = await _box(page.locator(f".{menu} .menu-panel"))
        if panel["left"] < 0 or panel["right"] > width:
            problems.append(f"the {menu} panel at {width} px spans {panel['left']:.0f}..{panel['right']:.0f}")
        problems += await _sideways(page, f"dashboard-{menu}-open", width)
        await page.keyboard.press("Escape")
    await context.close()
    assert not problems, "\n".join(problems)
    print(f"reflow at {width} px, {len(owner.pages) + len(owner.public) + 2} pages: {time.monotonic() - started:.1f} s")


async def test_the_money_is_on_the_first_screen_of_a_phone(browser: Browser, site: str, owner: Owner) -> None:
    context = await signed_in(browser, site, owner, *PHONE)
    page = await context.new_page()
    problems: list[str] = []

    # The dashboard: the first currency's figures first, each inside its card; the overdue
    # list before the charts.
    await open_page(page, site + owner.pages["dashboard"])
    first = page.locator(".currency-block").first
    for kpi in ("invoiced", "paid", "outstanding", "overdue"):
        problems += await _on_first_screen(page, first.locator(f"[data-kpi={kpi}]"), f"dashboard {kpi}")
    sticking_out = await page.evaluate(
        """() => [...document.querySelectorAll('.kpi dd')].filter(dd => {
             const card = dd.closest('.kpi').getBoundingClientRect(), r = dd.getBoundingClientRect();
             return r.right > card.right || r.left < card.left || dd.scrollWidth > dd.clientWidth;
           }).map(dd => dd.textContent.trim())"""
    )
    if sticking_out:
        problems.append(f"dashboard figures wider than their cards: {sticking_out}")
    overdue = await _box(page.locator("#overdue-h"))
    charts = await _box(page.locator("figure.chart-card").first)
    if overdue["top"] > charts["top"]:
        problems.append(f"the overdue list starts at {overdue['top']:.0f} px, below a chart at {charts['top']:.0f}")
    await expect_text(page.locator("section[aria-labelledby=overdue-h]"), ARABIC, problems)

    # An invoice: its total and balance due.
    await open_page(page, site + owner.pages["invoice"])
    for kpi in ("total", "balance"):
        problems += await _on_first_screen(page, page.locator(f"[data-kpi={kpi}]"), f"invoice {kpi}")

    # The list: the first invoice's balance on the first screen, and every row's total and
    # balance on the screen rather than off to the side.
    await open_page(page, site + owner.pages["invoices"])
    problems += await _on_first_screen(page, page.locator("td.inv-balance").first, "the first invoice's balance")
    hidden = await page.evaluate(
        """() => [...document.querySelectorAll('td.inv-total, td.inv-balance')]
             .filter(td => !td.checkVisibility() || td.getBoundingClientRect().right > innerWidth)
             .map(td => td.textContent.trim())"""
    )
    if hidden:
        problems.append(f"invoice list amounts off the screen: {hidden}")
    await context.close()

    # The client's page: the amount due, the due date and how to pay.
    client = await browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = await client.new_page()
    await open_page(page, site + owner.public["public-invoice"])
    problems += await _on_first_screen(page, page.locator("[data-amount=balance]"), "the client's amount due")
    problems += await _on_first_screen(page, page.locator("[data-date=due]"), "the client's due date")
    problems += await _on_first_screen(page, page.locator("#pay-h"), "the client's How to pay")
    await client.close()
    assert not problems, "\n".join(problems)


async def expect_text(locator: Locator, text: str, problems: list[str]) -> None:
    if text not in await locator.inner_text():
        problems.append(f"{text!r} not in {locator}")


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_the_preview_shows_every_amount_of_the_printed_page(
    browser: Browser, site: str, owner: Owner, width: int
) -> None:
    context = await signed_in(browser, site, owner, width, PHONE[1])
    page = await context.new_page()
    await open_page(page, site + owner.pages["invoice"])
    frame_element = page.locator("iframe.preview-frame")
    await frame_element.scroll_into_view_if_needed()
    frame = await (await frame_element.element_handle()).content_frame()
    assert frame is not None
    await frame.wait_for_load_state("load")
    inside: dict[str, float] = await frame.evaluate(
        """() => ({scrollWidth: document.scrollingElement.scrollWidth, width: innerWidth,
                  amounts: Math.max(...[...document.querySelectorAll('td.num')]
                                      .map(td => td.getBoundingClientRect().right))})"""
    )
    shown = await _box(frame_element)
    await context.close()
    assert inside["scrollWidth"] <= inside["width"], f"the printed page is cut at {width} px: {inside}"
    assert inside["amounts"] <= inside["width"], f"amounts past the frame's edge at {width} px: {inside}"
    assert shown["left"] >= 0, f"the scaled preview sticks out: {shown}"
    assert shown["right"] <= width, f"the scaled preview sticks out: {shown}"


async def _focus_is_visible(page: Page) -> bool:
    """The focused element is on top where it is drawn: nothing covers its centre."""
    visible: bool = await page.evaluate(
        """() => { const e = document.activeElement; if (!e || e === document.body) return true;
             const r = e.getBoundingClientRect(); const x = r.left + r.width / 2, y = r.top + r.height / 2;
             if (y < 0 || y > innerHeight) return true;  // scrolled away, not covered
             const top = document.elementFromPoint(x, y); return !!top && (e === top || e.contains(top)); }"""
    )
    return visible


async def _in_menu(page: Page, menu: str) -> bool:
    inside: bool = await page.evaluate(f"() => !!document.activeElement.closest('.{menu}')")
    return inside


async def _is_open(page: Page, menu: str) -> bool:
    opened: bool = await page.locator(f".{menu}").evaluate("d => d.open")
    return opened


@pytest.mark.parametrize("width", [375, 1280])
async def test_header_menus_close_on_escape_and_when_focus_leaves(
    browser: Browser, site: str, owner: Owner, width: int
) -> None:
    context: BrowserContext = await signed_in(browser, site, owner, width, 800)
    page = await context.new_page()
    await open_page(page, site + owner.pages["dashboard"])
    label = page.locator(".user-menu .menu-label")
    assert await label.evaluate("e => getComputedStyle(e).direction") == "rtl", "a Hebrew name reads right to left"
    assert await label.inner_text() == OWNER_NAME

    for menu in ("switcher", "user-menu"):
        summary = page.locator(f".{menu} > summary")
        panel = page.locator(f".{menu} .menu-panel")

        # Escape closes it and gives the focus back to its button.
        await summary.focus()
        await page.keyboard.press("Enter")
        assert await _is_open(page, menu)
        button, box = await _box(summary), await _box(panel)
        assert box["left"] >= 0, f"{menu} panel off the screen: {box}"
        assert box["right"] <= width, f"{menu} panel off the screen: {box}"
        assert box["top"] >= button["bottom"], f"{menu} panel covers its button: {box} over {button}"
        await page.keyboard.press("Tab")
        assert await _in_menu(page, menu), "Tab goes into the open panel"
        assert await _focus_is_visible(page)
        await page.keyboard.press("Escape")
        assert not await _is_open(page, menu), f"Escape closes the {menu}"
        assert await summary.evaluate("s => s === document.activeElement"), "focus is back on the menu's button"

        # Tabbing out of it, past its last link, closes it; nothing covers what has focus.
        await page.keyboard.press("Enter")
        assert await _is_open(page, menu)
        for _ in range(12):
            await page.keyboard.press("Tab")
            assert await _focus_is_visible(page), f"the focused control is covered while the {menu} is open"
            if not await _in_menu(page, menu):
                break
        assert not await _in_menu(page, menu), f"focus never left the {menu}"
        assert not await _is_open(page, menu), f"the {menu} stays open after focus left it"

        # Backwards out of it too, and a click elsewhere closes it.
        await summary.focus()
        await page.keyboard.press("Enter")
        await page.keyboard.press("Shift+Tab")
        assert not await _is_open(page, menu), f"Shift+Tab out of the {menu} leaves it open"
        await summary.click()
        assert await _is_open(page, menu)
        await page.mouse.click(2, 795)  # the page's bottom left corner, away from any panel
        assert not await _is_open(page, menu), f"a click elsewhere leaves the {menu} open"

    # One open at a time.
    await page.locator(".switcher > summary").click()
    await page.locator(".user-menu > summary").click()
    assert await _is_open(page, "user-menu")
    assert not await _is_open(page, "switcher"), "opening one menu closes the other"
    await context.close()


async def test_right_to_left_names_read_right_to_left_in_a_left_to_right_page(
    browser: Browser, site: str, owner: Owner
) -> None:
    """``dir="auto"`` on the names people type: an Arabic client and a Hebrew title in the
    invoice list, the editor's title field and the line descriptions of the client's page
    are laid out right to left."""
    context = await signed_in(browser, site, owner, *PHONE)
    page = await context.new_page()
    await open_page(page, site + owner.pages["invoices"])
    for text in (ARABIC, HEBREW):
        element = page.locator("table.invoices").get_by_text(text, exact=True).first
        assert await element.evaluate("e => getComputedStyle(e).direction") == "rtl", text
    # And where they are typed: the draft's Hebrew title in the editor.
    await open_page(page, site + owner.pages["editor"])
    title = page.get_by_label("Title")
    assert await title.input_value() == HEBREW
    assert await title.evaluate("e => getComputedStyle(e).direction") == "rtl"
    await context.close()
    client = await browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = await client.new_page()
    await open_page(page, site + owner.public["public-invoice"])
    line = page.locator("td.item-description", has_text=HEBREW)
    assert await line.evaluate("e => getComputedStyle(e).direction") == "rtl"
    await client.close()
