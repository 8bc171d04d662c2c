"""The e-invoice checker's child process never outlives the process that started it (issue
22): a server killed outright (SIGKILL, nothing of its own cleanup run) leaves no checker
behind holding its few hundred megabytes; the child ends within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.api.einvoice_support import KIT

ROOT = Path(__file__).resolve().parents[2]
# A process that checks one e-invoice (starting the checker), says the checker's pid, and
# then waits to be killed.
SCRIPT = f"""
import asyncio, os, sys
from app.einvoice import checker

async def main():
    xml = open({str(KIT / "samples" / "valid" / "peppol-ubl-invoice.xml")!r}, "rb").read()
    await checker.official(xml, "UBL", "peppol")
    pool = checker._executor()
    print(next(iter(pool._processes)), flush=True)
    await asyncio.sleep(600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose; /proc says which.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_a_killed_server_leaves_no_checker_behind(tmp_path: Path) -> None:
    script = tmp_path / "checks.py"
    script.write_text(SCRIPT)
    server = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        child = int(server.stdout.readline().strip())
        assert _alive(child), "the checker runs while its server does"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(child), f"the checker {child} outlived its server"
    finally:
        if server.poll() is None:
            server.kill()
