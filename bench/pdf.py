"""The PDF measurements, run in a process of their own that loads what the worker loads (so
its memory is the worker's with Chromium): the worker's renderer warm against WeasyPrint
warm on the same HTML, warm against cold (the browser started for one render), the
proportional memory of the process and its Chromium processes once warm, a burst of
different invoices rendered at once (as one worker's concurrent jobs would) against the
same number one after another, and the memory right after that burst. Then the
e-invoices of the same invoice: an XRechnung generated and checked against the official
rules (in the checker's child process, warm) against the warm PDF, and the Factur-X PDF
(the PDF, then the XML embedded and the PDF/A finish) against the plain PDF.

``python -m bench.pdf DOCUMENT.json ROUNDS [BURST]`` prints one JSON object (``BURST``: PDFs
in the burst, 100 unless given)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import msgspec

import workers.main  # noqa: F401  (the worker's modules, for a faithful memory figure)
from app.documents.html import invoice_html
from app.documents.pdf import PdfRenderer
from app.domain.einvoice_formats import EinvoiceFormat
from app.domain.outputs import InvoiceDocument
from bench.measure import median, tree_pss_mb

WARM_RENDERS = 5
BURST = 100


def _variant(html: str, n: int) -> str:
    """The same page with a different comment: the renderer's cache never answers."""
    return html.replace("</body>", f"<!-- bench {n} --></body>", 1)


async def run(document: InvoiceDocument, rounds: int, burst: int = BURST) -> dict[str, object]:
    html = invoice_html(document)
    chromium = os.environ.get("BILLCRAFT_CHROMIUM_PATH")
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as cache_dir:
        return await _measure(document, html, Path(cache_dir), chromium, rounds, burst)


async def _bursts(renderer: PdfRenderer, html: str, rounds: int, burst: int, n: int) -> dict[str, float]:
    """``burst`` different PDFs started at once against as many one after another, the two
    sides taking turns at going first; the tree's memory after each burst (the highest)."""
    at_once: list[float] = []
    in_turn: list[float] = []
    pss_after: list[float] = []
    for round_ in range(rounds):
        for side in ("gather", "sequence") if round_ % 2 == 0 else ("sequence", "gather"):
            pages = [_variant(html, n + i) for i in range(burst)]
            n += burst
            started = time.perf_counter()
            if side == "gather":
                await asyncio.gather(*(renderer.print_html(page) for page in pages))
                at_once.append(time.perf_counter() - started)
                pss_after.append(tree_pss_mb(os.getpid()))
            else:
                for page in pages:
                    await renderer.print_html(page)
                in_turn.append(time.perf_counter() - started)
    return {
        "concurrent_vs_sequential": median([s / c for s, c in zip(in_turn, at_once, strict=True)]),
        "burst_concurrent_s": median(at_once),
        "burst_sequential_s": median(in_turn),
        "burst_size": burst,
        "worker_pss_after_burst_mb": max(pss_after),
    }


async def _einvoices(renderer: PdfRenderer, document: InvoiceDocument, html: str, rounds: int) -> dict[str, float]:
    """An e-invoice built and checked (XRechnung in UBL; Factur-X's CII, whose rules take
    longest) against the warm PDF; the Factur-X PDF against the plain one."""
    from app.einvoice import checker, facturx, render

    for fmt in (EinvoiceFormat.XRECHNUNG_UBL, EinvoiceFormat.FACTURX):
        await render.check(document, fmt)  # the checker's child started, its rules compiled
    times: dict[str, list[float]] = {"ubl": [], "cii": [], "pdf": [], "embed": []}
    ratios: dict[str, list[float]] = {"ubl": [], "cii": [], "facturx": []}
    n = 10_000
    for _ in range(rounds):
        for _ in range(WARM_RENDERS):
            for key, fmt in (("ubl", EinvoiceFormat.XRECHNUNG_UBL), ("cii", EinvoiceFormat.FACTURX)):
                started = time.perf_counter()
                checked = await render.check(document, fmt)
                times[key].append(time.perf_counter() - started)
            n += 1
            started = time.perf_counter()
            pdf = await renderer.print_html(_variant(html, n))
            times["pdf"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await asyncio.to_thread(facturx.embed, pdf, checked.xml, title="Invoice", author="Bench", language="en")
            times["embed"].append(time.perf_counter() - started)
        plain = median(times["pdf"][-WARM_RENDERS:])
        ratios["ubl"].append(median(times["ubl"][-WARM_RENDERS:]) / plain)
        ratios["cii"].append(median(times["cii"][-WARM_RENDERS:]) / plain)
        ratios["facturx"].append((plain + median(times["embed"][-WARM_RENDERS:])) / plain)
    checker.shutdown()
    return {
        "einvoice_ubl_vs_pdf": median(ratios["ubl"]),
        "einvoice_cii_vs_pdf": median(ratios["cii"]),
        "facturx_vs_pdf": median(ratios["facturx"]),
        "einvoice_ubl_ms": median(times["ubl"]) * 1000,
        "einvoice_cii_ms": median(times["cii"]) * 1000,
        "embed_ms": median(times["embed"]) * 1000,
    }


async def _measure(
    document: InvoiceDocument, html: str, cache: Path, chromium: str | None, rounds: int, burst: int
) -> dict[str, object]:
    warm_vs_weasy: list[float] = []
    cold_vs_warm: list[float] = []
    warm_times: list[float] = []
    weasy_times: list[float] = []
    cold_times: list[float] = []
    n = 0
    async with PdfRenderer(cache, chromium) as renderer:
        # The worker's memory first, as a live worker has it: the browser up, a few renders
        # done, and nothing of the comparison (WeasyPrint) loaded yet.
        for n in range(WARM_RENDERS * 2):
            await renderer.print_html(_variant(html, n))
        pss = tree_pss_mb(os.getpid())
        # Still before WeasyPrint is loaded: the memory after the burst is the worker's too.
        bursts = await _bursts(renderer, html, rounds, burst, n + 1)
        n += 1 + 2 * burst * rounds

        import weasyprint

        weasyprint.HTML(string=html).write_pdf()  # WeasyPrint warm: fonts and styles loaded once
        for _ in range(rounds):
            warm = []
            for _ in range(WARM_RENDERS):
                n += 1
                started = time.perf_counter()
                await renderer.print_html(_variant(html, n))
                warm.append(time.perf_counter() - started)
            weasy = []
            for _ in range(WARM_RENDERS):
                n += 1
                started = time.perf_counter()
                weasyprint.HTML(string=_variant(html, n)).write_pdf()
                weasy.append(time.perf_counter() - started)
            async with PdfRenderer(cache, chromium) as cold_renderer:
                n += 1
                started = time.perf_counter()
                await cold_renderer.print_html(_variant(html, n))
                cold = time.perf_counter() - started
            warm_times.append(median(warm))
            weasy_times.append(median(weasy))
            cold_times.append(cold)
            warm_vs_weasy.append(median(warm) / median(weasy))
            cold_vs_warm.append(cold / median(warm))
        einvoices = await _einvoices(renderer, document, html, rounds)
    return {
        **einvoices,
        **bursts,
        "warm_vs_weasyprint": median(warm_vs_weasy),
        "cold_vs_warm": median(cold_vs_warm),
        "warm_ms": median(warm_times) * 1000,
        "weasyprint_ms": median(weasy_times) * 1000,
        "cold_ms": median(cold_times) * 1000,
        "worker_pss_mb": pss,
    }


def main() -> None:
    document = msgspec.json.decode(Path(sys.argv[1]).read_bytes(), type=InvoiceDocument)
    burst = int(sys.argv[3]) if len(sys.argv) > 3 else BURST
    result = asyncio.run(run(document, int(sys.argv[2]), burst))
    sys.stdout.write(msgspec.json.encode(result).decode() + "\n")


if __name__ == "__main__":
    main()
