"""Chromium for the tests that drive a real browser: the system's (``find_chromium``, as
production prints PDFs with), launched through Playwright. ``tests/conftest.py`` makes a
``browser`` fixture of it for one test; a module that wants one browser for all its tests
makes its own module-scoped fixture from ``chromium()``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from playwright.async_api import Browser, Page, async_playwright, expect

from app.documents.pdf import find_chromium


async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=find_chromium(None, playwright))
        try:
            yield launched
        finally:
            await launched.close()


async def signed_in_at(browser: Browser, url: str, email: str, password: str) -> Page:
    """A fresh page sent to sign in on its way to ``url``: it signs in through the form and
    lands there."""
    page = await (await browser.new_context()).new_page()
    await page.goto(url)
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(url)
    return page
