"""The PDF renderer fetches nothing: HTML that names other addresses (images, style sheets,
@import and url() in CSS, fonts, frames, objects, media posters, a meta refresh, prefetch
and preconnect hints) is printed in real Chromium while a loopback listener of the test's
own counts every connection made to it; the PDF comes out and the listener saw none."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from app.documents.pdf import PRINT_CSP, PdfRenderer, with_print_policy
from tests.conftest import ONE_DATABASE

pytestmark = ONE_DATABASE

MARKER = "Printed without the network"


@dataclass
class Listener:
    """What reached the listener: connections accepted and request lines read."""

    base: str
    connections: int = 0
    requests: list[str] = field(default_factory=list)


@contextmanager
def listening() -> Iterator[Listener]:
    """An HTTP listener on a free loopback port that counts every TCP connection (even one
    that never sends a request, such as a preconnect) and answers anything with a tiny
    valid body."""
    seen = Listener(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.requests.append(self.path)
            body = b"body{}" if self.path.endswith(".css") else b"x"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def verify_request(self, request: Any, client_address: Any) -> bool:
            seen.connections += 1
            return True

    server = Server(("127.0.0.1", 0), Handler)
    seen.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hostile_html(base: str) -> str:
    """A page that reaches for ``base`` every way a document can without running script."""
    return f"""<!doctype html>
<html><head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={base}/refresh">
<link rel="stylesheet" href="{base}/sheet.css">
<link rel="preconnect" href="{base}">
<link rel="dns-prefetch" href="{base}">
<link rel="prefetch" href="{base}/prefetch">
<link rel="preload" as="image" href="{base}/preload.png">
<link rel="icon" href="{base}/favicon.ico">
<style>
  @import url("{base}/import.css");
  @font-face {{ font-family: Remote; src: url("{base}/font.woff2"); }}
  body {{ background-image: url("{base}/background.png"); font-family: Remote, sans-serif; }}
</style>
<script src="{base}/script.js"></script>
</head><body>
<h1>{MARKER}</h1>
<img src="{base}/image.png" alt="">
<img srcset="{base}/srcset.png 2x" alt="">
<picture><source srcset="{base}/source.png"><img alt=""></picture>
<div style="background: url('{base}/inline.png')">styled</div>
<iframe src="{base}/frame"></iframe>
<object data="{base}/object"></object>
<embed src="{base}/embed">
<video poster="{base}/poster.png" src="{base}/video.mp4"></video>
<audio src="{base}/audio.mp3"></audio>
<svg width="10" height="10"><image href="{base}/svg.png" width="10" height="10"/></svg>
<input type="image" src="{base}/input.png">
</body></html>"""


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "printed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_printing_html_that_names_other_addresses_fetches_nothing(tmp_path: Path) -> None:
    """Every request the printed page would make (sub-resources, frames, a meta refresh,
    hints) is blocked: the listener they all point at sees no connection at all, and the
    PDF of the page itself is still produced, twice over on the same pooled pages."""
    with listening() as listener:
        async with PdfRenderer(tmp_path / "cache") as renderer:
            for _ in range(2):
                pdf = await renderer.print_html(hostile_html(listener.base))
                assert pdf.startswith(b"%PDF-")
                assert MARKER in text_of(pdf, tmp_path)
            # A meta refresh or a late load would fire after the print: give it the time.
            await asyncio.sleep(1.5)
        assert listener.requests == []
        assert listener.connections == 0


def test_the_printed_document_carries_a_policy_that_allows_no_fetch_before_anything_else() -> None:
    """The policy goes into the head ahead of every element that could fetch (a policy
    applies only to what follows it), and forbids every source but inline styles."""
    html = "<!doctype html><html lang=en><head><link rel=stylesheet href=x.css></head><body></body></html>"
    printed = with_print_policy(html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{PRINT_CSP}">'
    assert printed.index(meta) < printed.index("<link")
    assert printed.startswith("<!doctype html><html lang=en><head>")
    assert "default-src 'none'" in PRINT_CSP
    assert "http" not in PRINT_CSP
    assert "*" not in PRINT_CSP

    bare = with_print_policy("<p>no head at all</p>")
    assert bare.index(meta) < bare.index("<p>")
