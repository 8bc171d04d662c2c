"""Billcraft as ``billcraft serve`` runs it (migrations aside), with the benchmark's
hand-written reference endpoints added to the same app, so both are measured on one server:
``python -m bench.server --port P`` with the settings in the environment. ``running()``
starts one as a child process on a free loopback port and stops it by its process id."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from litestar import Litestar

    from bench.data import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent


def bench_app() -> Litestar:
    from app.config import Settings
    from app.logs import configure_logging
    from app.server import create_app
    from bench.reference import REFERENCE_ROUTES

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    app = create_app(settings)
    for route in REFERENCE_ROUTES:
        app.register(route)
    return app


@contextmanager
def running(
    db: BenchDatabase,
    redis_url: str | None,
    work_dir: Path,
    profile: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """A bench server on ``db``: yields its base URL and process id (py-spy's under
    ``profile``, which records the server's stacks for the whole run)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BILLCRAFT_")}
    environment |= db.env(redis_url) | {"BILLCRAFT_BASE_URL": base} | (env or {})
    log = (work_dir / f"server-{db.backend}-{port}.log").open("wb")
    command = [sys.executable, "-m", "bench.server", "--port", str(port)]
    if profile:
        profile.mkdir(parents=True, exist_ok=True)
        stacks = profile / f"server-{db.backend}-{port}.txt"
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        command = [spy, "record", "--format", "raw", "--rate", "200", "-o", str(stacks), "--", *command]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bench server did not start:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGINT if profile else signal.SIGTERM)  # py-spy saves on SIGINT
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def main() -> None:
    import uvicorn

    from app.server import served

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # As `billcraft serve` runs it: one process, request ids and metrics, the same keep-alive.
    uvicorn.run(served(bench_app()), host="127.0.0.1", port=args.port, log_config=None, timeout_keep_alive=75)


if __name__ == "__main__":
    main()
