"""The official MCP TypeScript SDK's client (``tests/mcp/ts/confirm_flow.mjs``, pinned in
``tests/mcp/ts/package.json``) meets the confirmation of issue 20 as a second
implementation: over stdio with elicitation, the person agrees (the email arrives once) or
declines (nothing changes, nothing is sent); over Streamable HTTP without elicitation, the
tool answers with the approval link, the signed-in person approves it in Chromium, and the
email arrives."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browsers import signed_in_at
from tests.mcp.conftest import PASSWORD, NewAccount, http_client
from tests.mcp.support import globex_draft, invoice
from tests.mcp.typescript import run_script
from tests.processes import BIN, ProcessEnv
from tests.smtp import Mailbox

RUN_SECONDS = 120


async def run_client(node: str, config: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = await run_script(node, "confirm_flow.mjs", json.dumps(config), seconds=RUN_SECONDS)
    return seen


@pytest.mark.parametrize("answer", ["accept", "decline"])
async def test_the_typescript_client_over_stdio_shows_the_form_and_the_answer_decides(
    answer: str, node: str, mailing: tuple[str, str, Mailbox], new_account: NewAccount, process_env: ProcessEnv
) -> None:
    base, smtp_url, mailbox = mailing
    account = await new_account(currency="EUR")
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    async with http_client(base, account.token) as python:
        draft = await globex_draft(python, account.slug, address)
    env = process_env.env(token=account.token, jobs="auto", smtp_url=smtp_url)
    seen = await run_client(node, {
        "transport": "stdio", "command": str(BIN), "env": env, "answer": answer,
        "arguments": {"action": "send", "company_slug": account.slug, "uuid": draft["uuid"]},
    })  # fmt: skip
    assert len(seen["asked"]) == 1
    question = seen["asked"][0]
    for shown in ("Globex", address, "1200.00 EUR"):
        assert shown in question["message"]
    assert question["schema"]["properties"]["confirm"]["type"] == "boolean"
    async with http_client(base, account.token) as python:
        after = await invoice(python, "get", account.slug, uuid=draft["uuid"])
    if answer == "accept":
        assert (seen["isError"], seen["structured"]["status"]) == (False, "sent")
        await asyncio.to_thread(mailbox.wait_for, address, 1, 60)
        assert after["status"] == "sent"
        assert await asyncio.to_thread(mailbox.settled, address) == 1
    else:
        assert seen["isError"] is True
        assert seen["structured"]["error"]["code"] == "confirmation_declined"
        assert after == draft
        assert await asyncio.to_thread(mailbox.settled, address) == 0


async def test_the_typescript_client_without_elicitation_gets_the_link_and_the_person_approves(
    node: str, mailing: tuple[str, str, Mailbox], new_account: NewAccount, browser: Browser
) -> None:
    base, _, mailbox = mailing
    account = await new_account()
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    async with http_client(base, account.token) as python:
        draft = await globex_draft(python, account.slug, address)
    seen = await run_client(node, {
        "transport": "http", "url": f"{base}/api/mcp", "token": account.token, "answer": "none",
        "arguments": {"action": "send", "company_slug": account.slug, "uuid": draft["uuid"]},
    })  # fmt: skip
    assert (seen["isError"], seen["asked"]) == (False, [])
    waiting = seen["structured"]
    assert (waiting["status"], waiting["approval"]["action"]) == ("awaiting_approval", "send")
    assert mailbox.to(address) == []

    page = await signed_in_at(browser, waiting["approval"]["url"], account.email, PASSWORD)
    await expect(page.get_by_role("region", name="Send invoice")).to_contain_text(address)
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_text("Approved: done.")).to_be_visible()
    await asyncio.to_thread(mailbox.wait_for, address, 1, 60)
    async with http_client(base, account.token) as python:
        assert (await invoice(python, "get", account.slug, uuid=draft["uuid"]))["status"] == "sent"
    assert await asyncio.to_thread(mailbox.settled, address) == 1
