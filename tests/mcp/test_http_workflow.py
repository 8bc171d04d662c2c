"""MCP over Streamable HTTP at /api/mcp against a real ``billcraft serve`` on loopback: the
process-level smoke test CI relies on (start the server, connect, call a tool), and the
GitScrum billing workflow through the ``invoice`` tool."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx
import pytest

from app.domain.access import Channel, Principal
from app.domain.approvals import confirmation_settings
from app.domain.billing import Billing
from app.domain.schemas import ConfirmationSettings
from tests.conftest import unique
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import ALL_TOOLS, call, gitscrum_workflow
from tests.processes import BIN, ProcessEnv


def _cli(env: ProcessEnv, *args: str) -> str:
    done = subprocess.run([str(BIN), *args], env=env.env(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"billcraft {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def test_smoke_served_billcraft_initializes_lists_25_tools_and_answers_a_tool_call(
    served: str, process_env: ProcessEnv
) -> None:
    """Process-level smoke test (CI): a user and token made with the CLI, a workspace made
    over REST, then an MCP client does the initialize handshake against the served process
    at /api/mcp, lists the 25 tools and gets its workspace back from a tool call."""
    email = f"{unique('smoke')}@example.com"
    _cli(process_env, "users", "create", "--email", email, "--password", "correct horse battery", "--name", "Ada")
    token = _cli(process_env, "tokens", "create", "--email", email).strip().splitlines()[-1]
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as rest:
        created = await rest.post(f"{served}/api/v1/workspaces", json={"name": "Smoke Studio"})
    assert created.status_code == 201, created.text
    slug = created.json()["company_slug"]

    async with http_client(served, token, mode="legacy") as client:
        assert client.protocol_version == "2025-11-25", "the handshake revision the server negotiates"
        assert client.server_info is not None
        assert (client.server_info.name, client.server_info.title) == ("billcraft", "Billcraft")
        assert client.instructions
        assert "company_slug" in client.instructions
        tools = (await client.list_tools()).tools
        assert len(tools) == 25
        assert {t.name for t in tools} == ALL_TOOLS
        listed = await call(client, "workspace", action="list")
        assert [(w["company_slug"], w["name"], w["role"]) for w in listed["items"]] == [(slug, "Smoke Studio", "owner")]


async def test_gitscrum_billing_workflow_over_streamable_http(served: str, owner: Account) -> None:
    """The GitScrum docs' workflow (create 3 items + 10% tax = 14190.00, get, note, send, list
    sent, mark paid by wire transfer, stats; and the 15840.00 prompt) over Streamable HTTP on
    the stateless protocol revision the SDK negotiates with newer clients."""
    async with http_client(served, owner.token) as client:
        assert client.protocol_version > "2025-11-25", "the newer client negotiates the stateless revision"
        assert len((await client.list_tools()).tools) == 25
        await gitscrum_workflow(client, owner.slug)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_each_http_request_is_independent_so_a_second_connection_sees_the_first_ones_writes(
    served: str, owner: Account, mode: str
) -> None:
    """Stateless Streamable HTTP: what one connection created, a new connection (any replica)
    reads back, on both protocol revisions."""
    async with http_client(served, owner.token, mode=mode) as first:
        made = await call(first, "create_invoice", company_slug=owner.slug, title=f"Stateless {mode}")
    async with http_client(served, owner.token, mode=mode) as second:
        got = await call(second, "get_invoice", company_slug=owner.slug, uuid=made["uuid"])
    assert (got["uuid"], got["title"], got["status"]) == (made["uuid"], f"Stateless {mode}", "draft")


async def _no_confirmations(db: Any, account: Account) -> None:
    """What a workspace admin does on the settings page: no change needs the person."""
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(account.email)
        person = Principal(user_id=user.id, name=user.name, channel=Channel.WEB)
        choice = ConfirmationSettings(confirm_actions=[], confirm_channels=["mcp_http", "mcp_stdio"])
        await confirmation_settings(billing, person, account.slug, choice)
        await session.commit()


async def test_both_protocol_eras_on_one_endpoint_list_the_same_tools_in_the_same_order_and_run_the_workflow(
    served: str, new_account: NewAccount, db: Any
) -> None:
    """One /api/mcp serves a handshake-era client (2025-11-25, initialize) and a stateless one
    (2026-07-28, server/discover): the same catalogue, tool for tool in the same order, and
    the GitScrum workflow, whose send each client confirms its own way (a form on the
    stateless revision, the approval link on the handshake one, here turned off)."""
    listings: dict[str, list[str]] = {}
    for mode, version in (("legacy", "2025-11-25"), ("auto", "2026-07-28")):
        account = await new_account()
        async with http_client(served, account.token, mode=mode) as client:
            assert client.protocol_version == version
            listings[mode] = [t.name for t in (await client.list_tools()).tools]
            if mode == "legacy":
                # Stateless HTTP on the handshake revision cannot ask (it would answer with
                # the approval link): this workspace's admin has turned confirmations off.
                await _no_confirmations(db, account)
            await gitscrum_workflow(client, account.slug)
    assert listings["legacy"] == listings["auto"]
    assert len(listings["auto"]) == 25
