"""The email caps hold whichever face asks for the send, and each says so clearly: REST a
429 problem (``email_limit_reached``, the cap, ``Retry-After``), MCP a tool error with the
same, the web app a message on the invoice; and the web's forms count in the per-user
request limit that REST and MCP share.

One ``billcraft serve`` of this module's own on loopback, with caps small enough to reach."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.db.models import Invoice
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import refused
from tests.processes import ProcessEnv, serve
from tests.web.conftest import form_to, sign_in

ITEMS = [{"description": "Design", "quantity": "2", "unit_price": "120.00"}]


@pytest.fixture(scope="module")
def capped_site(process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("capped") / "serve.log"
    with serve(process_env, log, mail_limit_workspace="3/hour", rate_limit="40/minute") as base:
        yield base


def _rest(base: str, account: Account) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{base}/api/v1/workspaces/{account.slug}",
        headers={"Authorization": f"Bearer {account.token}"},
        timeout=30,
    )


async def _draft(rest: httpx.AsyncClient) -> dict[str, Any]:
    created = await rest.post("/invoices", json={"title": "Retainer", "items": ITEMS})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_past_the_workspace_cap_rest_mcp_and_web_refuse_the_send_and_say_when(
    capped_site: str, new_account: NewAccount
) -> None:
    """Three emails fill this workspace's hour: a fourth is refused by every face with the
    cap and the wait, and the invoice stays a draft."""
    account = await new_account()
    async with _rest(capped_site, account) as rest:
        first, second = await _draft(rest), await _draft(rest)
        to = ["a@example.com", "b@example.com", "c@example.com"]
        assert (await rest.post(f"/invoices/{first['uuid']}/send", json={"to": to})).status_code == 200

        response = await rest.post(f"/invoices/{second['uuid']}/send", json={"to": ["d@example.com"]})
        assert response.status_code == 429, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "email_limit_reached"
        assert "at most 3 emails per hour" in problem["limit"]
        assert 3000 < int(response.headers["Retry-After"]) <= 3600
        assert problem["retry_after"] == int(response.headers["Retry-After"])
        assert (await rest.get(f"/invoices/{second['uuid']}")).json()["status"] == "draft"

    async with http_client(capped_site, account.token) as client:
        result = await client.call_tool(
            "invoice",
            {"action": "send", "company_slug": account.slug, "uuid": second["uuid"], "to": ["d@example.com"]},
        )
        _, error = refused(result)
        assert error["code"] == "email_limit_reached"
        assert error["retry_after"] > 3000

    browser = await sign_in(capped_site, account.email)
    try:
        page = await browser.get(f"/w/{account.slug}/invoices/{second['uuid']}")
        base = f"/w/{account.slug}/invoices/{second['uuid']}"
        fields = form_to(page.text, f"{base}/send")
        done = await browser.post(f"{base}/send", data={**fields, "to": "d@example.com"})
        assert done.status_code == 303
        shown = await browser.get(done.headers["location"])
        assert "The action was not done" in shown.text
        assert "at most 3 emails per hour" in shown.text
        assert 'data-status="draft"' in shown.text
    finally:
        await browser.aclose()


async def test_the_web_forms_count_in_the_per_user_limit_rest_and_mcp_share(
    capped_site: str, new_account: NewAccount, db: Any
) -> None:
    """The send form is no way around the 40 requests a minute: once REST has used them,
    the next form post is a 429 page with Retry-After, and nothing was sent."""
    account = await new_account()
    async with _rest(capped_site, account) as rest:
        draft = await _draft(rest)
        browser = await sign_in(capped_site, account.email)
        try:
            base = f"/w/{account.slug}/invoices/{draft['uuid']}"
            fields = form_to((await browser.get(base)).text, f"{base}/send")
            while (await rest.get("/invoices")).status_code != 429:
                pass
            done = await browser.post(f"{base}/send", data={**fields, "to": "d@example.com"})
            assert done.status_code == 429, done.text
            assert 1 <= int(done.headers["Retry-After"]) <= 60
            assert "Too many requests" in done.text
        finally:
            await browser.aclose()
    async with db.create_session_maker()() as session:
        invoice = await session.get_one(Invoice, uuid.UUID(draft["uuid"]))
        assert (invoice.status, invoice.sent_at) == ("draft", None)
