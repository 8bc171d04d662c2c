"""A person confirms what an assistant cannot take back (issue 20): sending, finalizing,
cancelling and deleting, through the official Python SDK client against a served Billcraft
that delivers its mail to a real SMTP server.

The three ways a person is asked: a form in a client that elicits (an ``input_required``
result on the 2026-07-28 revision over HTTP, an ``elicitation/create`` request on the
handshake revision over stdio), and for a client that cannot, a link to the approval page,
approved or declined by the signed-in person in Chromium."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client
from playwright.async_api import Browser, expect

from tests.browsers import signed_in_at
from tests.mcp.conftest import PASSWORD, Account, NewAccount, Person, http_client, stdio_mcp
from tests.mcp.support import call, globex_draft, invoice, ok, refused
from tests.processes import ProcessEnv
from tests.smtp import Mailbox
from tests.web.conftest import form_to, sign_in


@asynccontextmanager
async def connected(
    transport: str, mailing: tuple[str, str, Mailbox], account: Account, person: Person, tmp: Path, env: ProcessEnv
) -> AsyncIterator[Client]:
    base, smtp_url, _ = mailing
    if transport == "http":
        async with http_client(base, account.token, person=person) as client:
            assert client.protocol_version == "2026-07-28", "the stateless revision: input_required"
            yield client
    else:
        log = tmp / "stdio.log"
        async with stdio_mcp(env, account.token, log, person=person, jobs="auto", smtp_url=smtp_url) as client:
            assert client.protocol_version == "2025-11-25", "the handshake revision: elicitation/create"
            yield client


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_a_person_who_confirms_in_the_form_gets_the_email_sent_once(
    transport: str, mailing: tuple[str, str, Mailbox], new_account: NewAccount, tmp_path: Path, process_env: ProcessEnv
) -> None:
    """The person is shown the client, the total, whom it emails and what the invoice becomes,
    says yes, and the email arrives once; the same call again with the same key answers the
    same invoice without asking again or sending again."""
    account, person = await new_account(currency="EUR"), Person(agrees=True)
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    async with connected(transport, mailing, account, person, tmp_path, process_env) as client:
        draft = await globex_draft(client, account.slug, address)
        key = f"send-{uuid.uuid4().hex}"
        sent = await invoice(client, "send", account.slug, uuid=draft["uuid"], idempotency_key=key)
        assert (sent["status"], sent["number"] is not None) == ("sent", True)
        assert len(person.asked) == 1
        question = person.asked[0].message
        for shown in ("Send invoice", "Globex", "1200.00 EUR", address, "sent"):
            assert shown in question, (shown, question)
        await asyncio.to_thread(mailing[2].wait_for, address, 1, 60)
        again = await invoice(client, "send", account.slug, uuid=draft["uuid"], idempotency_key=key)
        assert again == sent
        assert len(person.asked) == 1, "a call already done under its key is not asked again"
    assert await asyncio.to_thread(mailing[2].settled, address) == 1


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_a_person_who_declines_changes_nothing_and_nothing_is_sent(
    transport: str, mailing: tuple[str, str, Mailbox], new_account: NewAccount, tmp_path: Path, process_env: ProcessEnv
) -> None:
    account, person = await new_account(), Person(agrees=False)
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    async with connected(transport, mailing, account, person, tmp_path, process_env) as client:
        draft = await globex_draft(client, account.slug, address)
        for tool, arguments in [
            ("invoice", {"action": "send"}),
            ("send_invoice", {}),
            ("finalize_invoice", {}),
            ("invoice", {"action": "cancel", "reason": "no longer needed"}),
            ("delete_invoice", {}),
        ]:
            result = await client.call_tool(tool, {**arguments, "company_slug": account.slug, "uuid": draft["uuid"]})
            text, error = refused(result)
            assert error["code"] == "confirmation_declined", (tool, error)
            assert "nothing was changed" in text
        assert len(person.asked) == 5
        assert await invoice(client, "get", account.slug, uuid=draft["uuid"]) == draft
        # What the workspace does not ask about goes ahead without a question.
        dry = await invoice(client, "send", account.slug, uuid=draft["uuid"], dry_run=True)
        assert (dry["dry_run"], len(person.asked)) == (True, 5)
    assert await asyncio.to_thread(mailing[2].settled, address) == 0


async def test_a_forged_altered_or_replayed_request_state_is_refused(
    mailing: tuple[str, str, Mailbox], new_account: NewAccount
) -> None:
    """The client drives the 2026-07-28 rounds itself: an altered state, a state given for
    another invoice, and the state of a confirmation already used are each refused, and the
    invoice is sent once, on the one genuine answer."""
    account = await new_account()
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    yes: types.InputResponses = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
    async with http_client(mailing[0], account.token) as client:
        draft = await globex_draft(client, account.slug, address)
        other = await globex_draft(client, account.slug, f"other-{address}")
        arguments = {"action": "send", "company_slug": account.slug, "uuid": draft["uuid"]}
        asked = await client.session.call_tool("invoice", arguments, allow_input_required=True)
        assert isinstance(asked, types.InputRequiredResult)
        assert asked.input_requests is not None
        assert asked.request_state is not None
        form = asked.input_requests["confirm"]
        assert isinstance(form, types.ElicitRequest)
        assert "Globex" in form.params.message
        state = asked.request_state

        head, _, signature = state.rpartition(".")
        altered = f"{head}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
        forged = await client.session.call_tool("invoice", arguments, input_responses=yes, request_state=altered)
        assert refused(forged)[1]["code"] == "confirmation_state_invalid"

        elsewhere = {**arguments, "uuid": other["uuid"]}
        moved = await client.session.call_tool("invoice", elsewhere, input_responses=yes, request_state=state)
        assert refused(moved)[1]["code"] == "confirmation_mismatch"
        assert (await invoice(client, "get", account.slug, uuid=draft["uuid"]))["status"] == "draft"

        done = await client.session.call_tool("invoice", arguments, input_responses=yes, request_state=state)
        assert ok(done)["status"] == "sent"
        replayed = await client.session.call_tool("invoice", arguments, input_responses=yes, request_state=state)
        assert refused(replayed)[1]["code"] == "confirmation_used"
        history = (await invoice(client, "get", account.slug, uuid=draft["uuid"]))["history"]
        assert [h["action"] for h in history].count("send") == 1
        assert "remind" not in [h["action"] for h in history]
    await asyncio.to_thread(mailing[2].wait_for, address, 1, 60)
    assert await asyncio.to_thread(mailing[2].settled, address) == 1


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_client_without_elicitation_gets_a_link_and_the_person_decides_in_the_browser(
    mode: str, mailing: tuple[str, str, Mailbox], new_account: NewAccount, browser: Browser
) -> None:
    """Handshake-era HTTP (stateless: no back-channel) and a 2026-07-28 client that declares
    no elicitation: the tool answers that approval is waiting, with the page's address; the
    same call again is the same approval. Approved in the browser, the email goes out once
    and the call again answers the sent invoice; declined, nothing changes and the call
    again says it was declined."""
    account = await new_account()
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    async with http_client(mailing[0], account.token, mode=mode, elicits=False) as client:
        draft = await globex_draft(client, account.slug, address)
        key = f"send-{uuid.uuid4().hex}"
        waiting = await invoice(client, "send", account.slug, uuid=draft["uuid"], idempotency_key=key)
        assert waiting["status"] == "awaiting_approval"
        approval = waiting["approval"]
        assert (approval["status"], approval["action"]) == ("pending", "send")
        assert approval["url"] in waiting["detail"]
        again = await invoice(client, "send", account.slug, uuid=draft["uuid"], idempotency_key=key)
        assert again["approval"]["uuid"] == approval["uuid"], "a retried call waits on the same approval"
        assert (await invoice(client, "get", account.slug, uuid=draft["uuid"]))["status"] == "draft"

        page = await signed_in_at(browser, approval["url"], account.email, PASSWORD)
        summary = page.get_by_role("region", name=re.compile("Send invoice"))
        await expect(summary).to_contain_text("Globex")
        await expect(summary).to_contain_text(address)
        await page.get_by_role("button", name="Approve").click()
        await expect(page.get_by_text("Approved: done.")).to_be_visible()
        await asyncio.to_thread(mailing[2].wait_for, address, 1, 60)
        answered = await invoice(client, "send", account.slug, uuid=draft["uuid"], idempotency_key=key)
        assert (answered["status"], answered["uuid"]) == ("sent", draft["uuid"])

        # Declined: nothing changes, and asking again under the key says so.
        second = await globex_draft(client, account.slug, f"second-{address}")
        key = f"cancel-{uuid.uuid4().hex}"
        waiting = await invoice(client, "cancel", account.slug, uuid=second["uuid"], idempotency_key=key)
        await page.goto(waiting["approval"]["url"])
        await page.get_by_role("button", name="Decline").click()
        await expect(page.get_by_text("Declined: nothing was changed.")).to_be_visible()
        await expect(page.get_by_role("button", name="Approve")).to_have_count(0)
        retry = await client.call_tool(
            "invoice",
            {"action": "cancel", "company_slug": account.slug, "uuid": second["uuid"], "idempotency_key": key},
        )
        assert refused(retry)[1]["code"] == "confirmation_declined"
        assert await invoice(client, "get", account.slug, uuid=second["uuid"]) == second

        # The approvals page lists what happened.
        await page.goto(f"{mailing[0]}/approvals")
        await expect(page.get_by_role("heading", name="Earlier requests")).to_be_visible()
        await expect(page.get_by_role("cell", name="approved")).to_have_count(1)
        await expect(page.get_by_role("cell", name="declined")).to_have_count(1)
    assert await asyncio.to_thread(mailing[2].settled, address) == 1


async def test_the_workspace_chooses_in_the_web_app_what_needs_a_person_and_an_assistant_cannot(
    mailing: tuple[str, str, Mailbox], new_account: NewAccount
) -> None:
    """An admin unticks sending and ticks recording a payment on the settings page: a send
    from an assistant then goes straight out, a payment waits for the person. The assistant
    can neither see a way to change this nor pass it to the settings tool."""
    account = await new_account()
    address = f"ap-{uuid.uuid4().hex[:8]}@globex.example"
    web = await sign_in(mailing[0], account.email, PASSWORD)
    async with http_client(mailing[0], account.token, elicits=False) as client:
        settings = await web.get(f"/w/{account.slug}/settings")
        action = f"/w/{account.slug}/settings/confirmations"
        ticked = form_to(settings.text, action)
        assert "confirm_actions" in ticked, "sending needs a person by default"
        chosen = {"_csrf_token": ticked["_csrf_token"], "confirm_actions": ["mark_paid"],
                  "confirm_channels": ["mcp_http", "mcp_stdio"]}  # fmt: skip
        saved = await web.post(action, data=chosen)
        assert saved.status_code == 303, saved.text
        workspace = await call(client, "workspace", action="get", company_slug=account.slug)
        assert (workspace["confirm_actions"], workspace["confirm_channels"]) == (
            ["mark_paid"],
            ["mcp_http", "mcp_stdio"],
        )

        draft = await globex_draft(client, account.slug, address)
        sent = await invoice(client, "send", account.slug, uuid=draft["uuid"])
        assert sent["status"] == "sent"
        paid = await invoice(client, "mark_paid", account.slug, uuid=draft["uuid"])
        assert (paid["status"], paid["approval"]["action"]) == ("awaiting_approval", "mark_paid")

        text, error = refused(await client.call_tool(
            "update_business_settings", {"company_slug": account.slug, "confirm_actions": []}
        ))  # fmt: skip
        assert error["code"] == "validation_error"
        assert "unknown argument" in text
    await web.aclose()
    await asyncio.to_thread(mailing[2].wait_for, address, 1, 60)
