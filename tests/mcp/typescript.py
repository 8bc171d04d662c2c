"""The official MCP TypeScript SDK for the tests that use it as a second client
implementation: Node 20 with the SDK pinned in ``tests/mcp/ts/package.json`` (installed
there by ``npm ci`` when missing, under a lock: the SQLite and PostgreSQL halves of the
suite may ask at once), and ``run_script``, which runs one of ``tests/mcp/ts/*.mjs`` and
reads the JSON it prints. A missing Node or npm fails the test: CI must run these."""

from __future__ import annotations

import asyncio
import fcntl
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

TS = Path(__file__).parent / "ts"
SDK = "@modelcontextprotocol/sdk"
INSTALL_SECONDS = 600


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: this test needs Node 20 and npm (CI runs it)")
    return path


def installed_sdk() -> str | None:
    manifest = TS / "node_modules" / SDK / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.exists() else None


def pinned_sdk() -> str:
    return str(json.loads((TS / "package.json").read_text())["dependencies"][SDK])


def node_with_sdk() -> str:
    """Node's path, once the pinned SDK is installed beside the scripts."""
    node, npm = _tool("node"), _tool("npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.fail(f"Node {version} is too old: the scripts need Node 20 or later")
    with (TS / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_sdk() != pinned_sdk():
            installed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=TS, capture_output=True, text=True, timeout=INSTALL_SECONDS
            )
            if installed.returncode != 0:
                pytest.fail(f"npm ci failed in {TS}:\n{installed.stdout}\n{installed.stderr}")
    assert installed_sdk() == pinned_sdk()
    return node


async def run_script(node: str, script: str, *args: str, seconds: float, env: dict[str, str] | None = None) -> Any:
    """Run ``tests/mcp/ts/<script>`` with ``args``; what it printed, as JSON. A script that
    fails, or runs past ``seconds``, fails the test with what it wrote to stderr."""
    process = await asyncio.create_subprocess_exec(
        node, script, *args, cwd=TS, env={"PATH": str(Path(node).parent), **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"the TypeScript client ({script}) did not finish in {seconds} s")
    if process.returncode != 0:
        pytest.fail(f"the TypeScript client ({script}) failed (exit {process.returncode}):\n{err.decode()}")
    return json.loads(out)
