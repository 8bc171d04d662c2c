"""MCP over stdio: ``billcraft mcp`` started as a subprocess by the SDK's stdio transport,
acting for the owner of BILLCRAFT_TOKEN, runs the same GitScrum workflow as HTTP; and the
command refuses to start without a valid token."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.mcp.conftest import Account, stdio_mcp
from tests.mcp.support import ALL_TOOLS, call, gitscrum_workflow
from tests.processes import BIN, ProcessEnv


async def test_stdio_initialize_lists_25_tools_and_runs_the_gitscrum_workflow(
    process_env: ProcessEnv, owner: Account, tmp_path: Path
) -> None:
    """Over stdio: the initialize handshake, the 25 tools, the whole GitScrum workflow
    (totals, lifecycle, payment, stats), and the history records the MCP channel."""
    async with stdio_mcp(process_env, owner.token, tmp_path / "stdio.log") as client:
        assert client.protocol_version == "2025-11-25"
        assert client.server_info is not None
        assert client.server_info.name == "billcraft"
        tools = (await client.list_tools()).tools
        assert len(tools) == 25
        assert {t.name for t in tools} == ALL_TOOLS
        listed = await call(client, "workspace", action="list")
        assert [w["company_slug"] for w in listed["items"]] == [owner.slug]
        await gitscrum_workflow(client, owner.slug)


def _run_mcp(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "mcp"], env=env, input="", capture_output=True, text=True, timeout=120, check=False
    )


def test_billcraft_mcp_with_an_unknown_token_exits_with_a_message_and_writes_nothing_to_stdout(
    process_env: ProcessEnv,
) -> None:
    """A revoked or mistyped BILLCRAFT_TOKEN fails at start with a message on stderr (exit
    code 1), instead of a server that refuses every call; stdout, the protocol channel, stays empty."""
    done = _run_mcp(process_env.env(token="bc_not-a-real-token"))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "error:" in done.stderr
    assert "token" in done.stderr.lower()


def test_billcraft_mcp_without_a_token_says_how_to_get_one(process_env: ProcessEnv) -> None:
    """Without BILLCRAFT_TOKEN the command is a usage error that names the variable and the
    command that makes a token."""
    done = _run_mcp(process_env.env())
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "BILLCRAFT_TOKEN" in done.stderr
    assert "billcraft tokens create" in done.stderr
