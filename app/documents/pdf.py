"""Invoice PDFs: the invoice's HTML printed by Chromium through Playwright.

One browser per process, started on first use and reused; pages are reused from a small
pool, all served by one renderer process (the pool keeps its main thread busy while the
results of other pages travel back); every render has a hard timeout, after which the page
is thrown away, as is a page whose renderer crashed. PDFs are cached on disk by the SHA-256
of their HTML, so an unchanged invoice is never rendered twice.

The printing fetches nothing: the browser context refuses every request (the HTML is set
on the page, which needs none), and the printed HTML carries a content security policy
that allows no source but its inline styles, so a template that one day lets raw HTML
through still cannot make the server reach another address.

Browser: ``BILLCRAFT_CHROMIUM_PATH``, else Playwright's own Chromium, else the system's headless shell
(Debian's ``chromium-headless-shell``) or ``chromium``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from app import browser
from app.documents.html import document_html
from app.domain.errors import Unavailable
from app.domain.outputs import CreditNoteDocument, InvoiceDocument

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, ViewportSize

log = structlog.get_logger("billcraft.pdf")

# Chromium as a server process: no sandbox (containers run it as a user without one), and
# nothing that reaches for the network on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    # Memory: one renderer process for the whole pool, the GPU thread inside the browser
    # process, no zygote kept for starting renderers, and V8 (which runs only Playwright's
    # own scripts here) collecting eagerly instead of growing by about 1 MB a render.
    "--renderer-process-limit=1",
    "--in-process-gpu",
    "--no-zygote",
    "--js-flags=--optimize-for-size",
]
POOL_SIZE = 3
# Nobody looks at the screen view: a tiny one is cheap to paint. Printing lays the page out
# at the paper size, so the PDF is the same byte for byte in its content.
VIEWPORT: ViewportSize = {"width": 100, "height": 100}
RENDER_TIMEOUT_S = 20.0
# The invoice template needs its inline styles and nothing else: no images, no web fonts.
PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_POLICY_META = f'<meta http-equiv="Content-Security-Policy" content="{PRINT_CSP}">'
# A policy applies only to what the parser meets after it: it goes right after the opening
# <head> (else <html>, else the doctype), ahead of anything that could fetch.
_POLICY_PLACES = [
    re.compile(pattern, re.IGNORECASE) for pattern in (r"<head(?:\s[^>]*)?>", r"<html(?:\s[^>]*)?>", r"<!doctype[^>]*>")
]


def with_print_policy(html: str) -> str:
    """``html`` with ``PRINT_CSP`` as its first head element."""
    for place in _POLICY_PLACES:
        if match := place.search(html):
            return html[: match.end()] + _POLICY_META + html[match.end() :]
    return _POLICY_META + html


async def _refuse(route: Route) -> None:
    await route.abort("blockedbyclient")


def find_chromium(configured: str | None, playwright: Playwright) -> str | None:
    """The browser to drive (``app.browser``'s order): ``None`` lets Playwright launch its
    own build; raises ``Unavailable`` naming what to install when the machine has none."""
    own = playwright.chromium.executable_path
    found = browser.find(configured, own=own if own and os.path.exists(own) else "")
    if found is None:
        missing = f"BILLCRAFT_CHROMIUM_PATH={configured} does not exist" if configured else "no Chromium is installed"
        raise Unavailable(f"PDF rendering is not available: {missing}; run {browser.install_command()}")
    return found.path


class PdfRenderer:
    def __init__(self, cache_dir: Path, chromium_path: str | None = None, timeout: float = RENDER_TIMEOUT_S) -> None:
        self.cache_dir = cache_dir
        self.chromium_path = chromium_path
        self.timeout = timeout
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._pages: asyncio.Queue[Page] = asyncio.Queue()
        self._crashed: set[Page] = set()  # pages whose renderer died while they waited in the pool
        self._lock = asyncio.Lock()
        self.renders = 0  # Chromium renders, not cache hits: for tests and benchmarks

    async def _ensure_context(self) -> BrowserContext:
        """The pool's browser context, starting the browser if it is not running."""
        async with self._lock:
            if self._browser is not None and self._browser.is_connected() and self._context is not None:
                return self._context
            if self._playwright is None:
                # Imported on first use: a web process that prints nothing never loads it (~30 MB).
                from playwright.async_api import async_playwright

                self._playwright = await async_playwright().start()
            path = find_chromium(self.chromium_path, self._playwright)
            try:
                self._browser = await self._playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            except Exception as exc:
                log.error("chromium did not start", path=path, error=str(exc))
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                raise Unavailable(
                    f"PDF rendering is not available: Chromium ({path or 'Playwright'}) could not be started: {first}; "
                    f"`billcraft doctor` says what is missing"
                ) from exc
            # One context for the pool, without JavaScript: an invoice has no script, and text
            # that someone typed can never run in the renderer.
            self._context = await self._browser.new_context(java_script_enabled=False, viewport=VIEWPORT)
            # No request leaves the renderer: set_content needs none, and anything the HTML
            # names (images, style sheets, frames, a meta refresh) is refused before it starts.
            await self._context.route("**/*", _refuse)
            self._pages = asyncio.Queue()
            self._crashed = set()
            for _ in range(POOL_SIZE):
                self._pages.put_nowait(await self._new_page(self._context))
            return self._context

    async def _new_page(self, context: BrowserContext) -> Page:
        page = await context.new_page()
        # The pool's pages share a renderer: when it dies, the pages that were waiting die too.
        page.on("crash", lambda crashed: self._crashed.add(crashed))
        return page

    async def render(self, html: str) -> bytes:
        digest = hashlib.sha256(html.encode()).hexdigest()
        cached = self.cache_dir / f"{digest}.pdf"
        if cached.exists():
            return cached.read_bytes()
        pdf = await self.print_html(html)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(pdf)
        partial.replace(cached)  # atomic: a reader never sees half a file
        return pdf

    async def print_html(self, html: str) -> bytes:
        """Print the HTML in Chromium, past the cache (``render`` is the cached way)."""
        context = await self._ensure_context()
        page = await self._pages.get()
        if page in self._crashed or page.is_closed():
            try:
                fresh = await self._new_page(context)
            except Exception:
                self._pages.put_nowait(page)  # the pool keeps its size for the next try
                raise
            self._crashed.discard(page)
            with contextlib.suppress(Exception):
                await page.close()
            page = fresh
        healthy = True
        try:
            async with asyncio.timeout(self.timeout):
                await page.set_content(with_print_policy(html), wait_until="load")
                pdf = await page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            self.renders += 1
            return pdf
        except TimeoutError:
            healthy = False
            raise Unavailable(f"the PDF took longer than {self.timeout:.0f} s to render") from None
        except Exception:
            healthy = False
            raise
        finally:
            if healthy:
                self._pages.put_nowait(page)
            else:
                self._crashed.discard(page)
                with contextlib.suppress(Exception):
                    await page.close()
                self._pages.put_nowait(await self._new_page(context))

    async def close(self) -> None:
        """Close the browser and Playwright's driver (no process is left behind)."""
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.close()
            self._browser = None
            self._context = None
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None

    async def __aenter__(self) -> PdfRenderer:
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.close()


class InvoicePdfs:
    """The invoice-to-PDF service the faces are given at the composition root."""

    def __init__(self, cache_dir: Path, chromium_path: str | None = None) -> None:
        self.renderer = PdfRenderer(cache_dir, chromium_path)

    async def __call__(self, document: InvoiceDocument | CreditNoteDocument) -> bytes:
        return await self.renderer.render(document_html(document))

    async def close(self) -> None:
        await self.renderer.close()
