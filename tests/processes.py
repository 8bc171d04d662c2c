"""Running Billcraft as real processes in tests: ``billcraft serve`` on a free loopback
port (until /health answers) and stopped by its own handle, with the settings each test
gives it on top of the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "billcraft"
STARTUP_SECONDS = 60
STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ProcessEnv:
    """What every Billcraft process of this session runs on: the test database and a data
    directory; each process adds its own settings (base URL, tool set, token)."""

    database_url: str
    data_dir: Path
    # Variables of the machine that are not settings (PATH, say), over the test's own.
    machine: tuple[tuple[str, str], ...] = ()

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BILLCRAFT_")}
        env.update(
            BILLCRAFT_DATABASE_URL=self.database_url,
            BILLCRAFT_DATA_DIR=str(self.data_dir),
            BILLCRAFT_SECRET_KEY="test-secret",
            # The suite's accounts make many calls a minute; the limit has tests of its own.
            BILLCRAFT_RATE_LIMIT="100000/minute",
            BILLCRAFT_OAUTH_RATE_LIMIT="100000/minute",
            BILLCRAFT_MAIL_LIMIT_WORKSPACE="100000/hour",
            BILLCRAFT_MAIL_LIMIT_RECIPIENT="100000/day",
            # Jobs only where a test asks for them (jobs="auto"): see tests/conftest.py.
            BILLCRAFT_JOBS="off",
        )
        env.update({f"BILLCRAFT_{k.upper()}": v for k, v in extra.items()})
        env.update(dict(self.machine))
        return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, by its own handle: terminate, then kill after a timeout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


@dataclass(frozen=True)
class Served:
    """A running ``billcraft serve``: its base URL and its process (for its pid, e.g. to
    read its memory)."""

    base: str
    process: subprocess.Popen[bytes]


@contextmanager
def serve(env: ProcessEnv, log_path: Path, **settings: str) -> Iterator[str]:
    """``billcraft serve`` on a free loopback port until /health answers; yields its base URL.
    Its output goes to a file (a pipe nobody reads would block it once full)."""
    with serve_process(env, log_path, **settings) as served:
        yield served.base


@contextmanager
def serve_process(env: ProcessEnv, log_path: Path, **settings: str) -> Iterator[Served]:
    """``serve``, yielding the process beside its base URL."""
    served = start_serve(env, log_path, **settings)
    try:
        wait_until_up(served, log_path)
        yield served
    finally:
        stop(served.process)


def start_serve(env: ProcessEnv, log_path: Path, **settings: str) -> Served:
    """Start ``billcraft serve`` without waiting for it (to start several at once); the
    caller waits with ``wait_until_up`` and stops it with ``stop``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env.env(base_url=base, **settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Served(base, process)


def wait_until_up(served: Served, log_path: Path) -> None:
    """Until /health answers; fails the test with the process's log if it never does."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{served.base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if served.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"billcraft serve did not come up:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.1)
