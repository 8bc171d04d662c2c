"""The API reference at /api/docs works offline (issue 18): a real ``billcraft serve``,
opened in Chromium with every request that leaves the server aborted, shows every
operation of the OpenAPI document, asked nothing of any other host, and its content
security policy (only Billcraft's origin) blocked nothing the page uses.

A screenshot of the page is saved under ``test-artifacts/screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Route, expect

from app.config import Settings
from app.security_headers import DOCS_CSP
from tests.conftest import ONE_DATABASE, TARGET
from tests.processes import ProcessEnv, serve

pytestmark = ONE_DATABASE

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / TARGET
OPERATIONS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def site(migrated: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = ProcessEnv(database_url=database_url, data_dir=tmp_path_factory.mktemp("docs-data"))
    with serve(env, tmp_path_factory.mktemp("docs-serve") / "serve.log") as base:
        yield base


async def test_the_api_docs_load_only_from_billcraft_and_list_every_operation(browser: Browser, site: str) -> None:
    """Offline, the page lists every operation of the document and opens them, and nothing
    it needs is refused: not by the network, not by its content security policy."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        document = (await http.get("/api/openapi.json")).json()
    summaries = sorted(
        operation["summary"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in OPERATIONS
    )
    assert "List invoices with filters and pagination" in summaries

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    async def only_billcraft(route: Route) -> None:
        if route.request.url.startswith(f"{site}/"):
            await route.continue_()
        else:  # the machine may be offline: nothing may be needed from elsewhere
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_billcraft)
    page = await context.new_page()
    complaints: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            complaints.append(f"{message.type}: {message.text}")

    page.on("console", heard)
    page.on("pageerror", lambda error: complaints.append(f"uncaught: {error}"))

    answer = await page.goto(f"{site}/api/docs")
    assert answer is not None
    assert answer.status == 200
    assert answer.headers["content-security-policy"] == DOCS_CSP

    # Swagger UI lists each operation with its summary, grouped by tag and expanded.
    await expect(page.get_by_text("List invoices with filters and pagination", exact=True)).to_be_visible()
    listed = page.locator(".opblock-summary-description")
    await expect(listed).to_have_count(len(summaries))
    assert sorted(await listed.all_inner_texts()) == summaries
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    # Opened, an operation shows its parameters and its answers' examples (highlighted
    # code); the Authorize dialog offers the bearer token and OAuth.
    await page.get_by_text("List invoices with filters and pagination", exact=True).click()
    await expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    await page.get_by_role("button", name="Try it out").click()
    await expect(page.get_by_role("button", name="Execute")).to_be_visible()
    await expect(page.locator(".highlight-code").first).to_be_visible()
    await page.get_by_role("button", name="Authorize").first.click()
    await expect(page.get_by_text("Personal API token")).to_be_visible()
    await page.wait_for_load_state("networkidle")

    assert outside == [], f"asked outside Billcraft: {outside}"
    assert complaints == [], complaints  # a refusal by the CSP is a console error
    await context.close()


async def test_the_docs_assets_are_served_by_billcraft_for_a_year(site: str) -> None:
    """Every asset the page names is Billcraft's, answered with a year of caching (its path
    changes with the Swagger UI release and the starter script); the page and the OAuth
    redirect page carry the docs policy."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        page = await http.get("/api/docs")
        assert page.headers["content-security-policy"] == DOCS_CSP
        assert page.headers["x-frame-options"] == "DENY"
        named = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assets = [url for url in named if url.startswith("/api/docs/assets/")]
        assert len(assets) >= 4, named
        assert [url for url in named if not url.startswith("/")] == []
        for url in assets:
            answer = await http.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["cache-control"] == "max-age=31536000, public, immutable", url
            assert answer.headers["x-content-type-options"] == "nosniff"
        # Swagger UI's OAuth redirect page keeps its address across releases (a client
        # registers it), with its script beside it: no inline script there either.
        assert 'data-oauth2-redirect-url="/api/docs/oauth2-redirect.html"' in page.text
        redirect = await http.get("/api/docs/oauth2-redirect.html")
        assert redirect.status_code == 200
        assert redirect.headers["content-type"].startswith("text/html")
        assert redirect.headers["content-security-policy"] == DOCS_CSP
        assert '<script src="oauth2-redirect.js">' in redirect.text
        script = await http.get("/api/docs/oauth2-redirect.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
