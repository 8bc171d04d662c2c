"""axe-core over every page of the web app, in Chromium against a served Billcraft: the
signed-in pages of an owner with data (dashboard, invoices, an invoice, the editor, clients,
a client, settings, members, tokens, account, new workspace, a page not found) and the pages
without an account (sign-in, sign-up, the client's invoice page, its not-found page), on a
wide screen and on a phone. No violation of serious or critical impact may remain; a failure
lists them all, page by page.

axe-core is the npm package pinned in ``tests/web/axe/package.json``, installed there with
``npm ci`` when missing (under a lock: the SQLite and PostgreSQL halves of the suite may run
at once), and run in each page and its frames (the invoice preview) through Playwright's
evaluate, which the pages' content security policy does not block."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.browsers import chromium
from tests.conftest import ONE_DATABASE
from tests.web.site_pages import Owner, expected_status, make_owner, open_page, signed_in

pytestmark = ONE_DATABASE

AXE = Path(__file__).parent / "axe"
PACKAGE = "axe-core"
INSTALL_SECONDS = 300
BLOCKING = ("serious", "critical")
VIEWPORTS = {"wide": (1280, 900), "phone": (375, 667)}

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations'], iframes: true});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.map(t => Array.isArray(t) ? t.join(' >> ') : t).join(' >> ')),
  }));
}"""


def _installed() -> str | None:
    manifest = AXE / "node_modules" / PACKAGE / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.exists() else None


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script, the pinned version installed beside its package.json."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: this test installs axe-core with it (CI runs it)")
    pinned = json.loads((AXE / "package.json").read_text())["dependencies"][PACKAGE]
    with (AXE / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed() != pinned:
            installed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=AXE, capture_output=True, text=True, timeout=INSTALL_SECONDS
            )
            if installed.returncode != 0:
                pytest.fail(f"npm ci failed in {AXE}:\n{installed.stdout}\n{installed.stderr}")
    assert _installed() == pinned
    return (AXE / "node_modules" / PACKAGE / "axe.min.js").read_text()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async for launched in chromium():
        yield launched


@pytest.fixture(scope="module")
async def owner(db: Any) -> Owner:
    return await make_owner(db)


async def _violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    for frame in page.frames:  # the page and its preview frame: axe reads each from inside
        await frame.wait_for_load_state("load")
        await frame.evaluate(axe_source + "\n;0")
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return found


def _report(where: str, violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{where}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:6])
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
async def test_no_page_has_a_serious_or_critical_axe_violation(
    browser: Browser, site: str, owner: Owner, axe_source: str, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    started = time.monotonic()
    problems: list[str] = []
    visited = 0

    client = await browser.new_context(viewport={"width": width, "height": height})
    page = await client.new_page()
    for name, path in owner.public.items():
        await open_page(page, site + path, expected_status(name))
        problems += _report(f"{name} {path}", await _violations(page, axe_source))
        visited += 1
    await client.close()

    context = await signed_in(browser, site, owner, width, height)
    page = await context.new_page()
    for name, path in owner.pages.items():
        await open_page(page, site + path, expected_status(name))
        problems += _report(f"{name} {path}", await _violations(page, axe_source))
        visited += 1
    # A header menu open: its panel is part of the page then.
    await open_page(page, site + owner.pages["dashboard"])
    await page.locator(".user-menu > summary").click()
    problems += _report("dashboard with the user menu open", await _violations(page, axe_source))
    await context.close()

    assert visited == len(owner.pages) + len(owner.public)
    assert not problems, f"axe-core at {width}x{height}, serious or critical:\n" + "\n".join(problems)
    print(f"axe-core on {visited + 1} pages at {width}x{height}: {time.monotonic() - started:.1f} s")
