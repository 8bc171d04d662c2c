"""The PDF renderer's pool survives its renderer dying: the pool's pages share one renderer
process (to save memory), so when it is killed every waiting page dies with it; the next
renders, at once, get fresh pages and print, and no page is lost from the pool."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from app.documents.pdf import POOL_SIZE, PdfRenderer
from tests.conftest import ONE_DATABASE

pytestmark = ONE_DATABASE

HTML = "<html><body><h1>Invoice {n}</h1></body></html>"


def _renderers_under(pid: int) -> list[int]:
    """Chromium renderer processes among the descendants of ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        for child in children.get(current, []):
            pending.append(child)
            try:
                if "--type=renderer" in (Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")):
                    found.append(child)
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


async def test_renders_go_on_after_the_shared_renderer_is_killed(tmp_path: Path) -> None:
    others = set(_renderers_under(os.getpid()))  # other tests' renderers in this process
    async with PdfRenderer(tmp_path) as renderer:
        first = await asyncio.gather(*(renderer.print_html(HTML.format(n=n)) for n in range(POOL_SIZE)))
        assert all(pdf.startswith(b"%PDF") for pdf in first)
        mine = set(_renderers_under(os.getpid())) - others
        assert len(mine) == 1  # one renderer serves the whole pool
        os.kill(mine.pop(), signal.SIGKILL)
        await asyncio.sleep(0.5)  # the crash reaches Playwright
        after = await asyncio.gather(*(renderer.print_html(HTML.format(n=n)) for n in range(POOL_SIZE, 2 * POOL_SIZE)))
        assert all(pdf.startswith(b"%PDF") for pdf in after)
        assert renderer._pages.qsize() == POOL_SIZE
        assert len(set(_renderers_under(os.getpid())) - others) == 1  # a new one took over
