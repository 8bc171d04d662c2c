"""The API token form starts with the least (issue 18): reading invoices and clients, for
90 days, not every scope (workspace:admin included) forever."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx

from app.domain.access import ALL_SCOPES
from tests.web.conftest import Person
from tests.web.test_pages import Browser, domain, form_at, loaded


async def test_a_new_token_defaults_to_read_scopes_and_90_days(
    person: Person, browser_of: Browser, db: Any, site: str
) -> None:
    """The form as it comes: only invoices:read and clients:read ticked, 90 days chosen
    (with 30 days, 1 year and Never offered). Submitted as is, the token has those two
    scopes, expires in 90 days, reads invoices and cannot write."""
    http = await browser_of(person)
    page = await loaded(http, "/account/tokens")
    form = form_at(page, "/account/tokens")
    assert sorted(form.fields["scopes"]) == ["clients:read", "invoices:read"]
    assert form.value("expires") == "90"
    offered = re.findall(r'<option value="(\d*)"', page)
    assert offered == ["30", "90", "365", ""]
    assert set(re.findall(r'name="scopes" value="([^"]+)"', page)) == ALL_SCOPES, "every scope can still be chosen"

    created = await http.post("/account/tokens", data=form.data(name="read-only export"))
    assert created.status_code == 200, created.text[:2000]
    token = re.search(r'<input id="new-token"[^>]*value="([^"]+)"', created.text)
    assert token, "the new token is not shown"
    async with domain(db, person) as d:
        user = await d.billing.accounts.by_email(person.email)
        [made] = [t for t in await d.billing.accounts.list_tokens(user.id) if t.name == "read-only export"]
    assert sorted(made.scopes.split()) == ["clients:read", "invoices:read"]
    assert made.expires_at is not None
    in_90_days = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    assert abs(made.expires_at - in_90_days) < dt.timedelta(minutes=5)

    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    async with httpx.AsyncClient(base_url=site, timeout=30) as api:
        assert (await api.get(f"/api/v1/workspaces/{person.slug}/invoices", headers=bearer)).status_code == 200
        refused = await api.post(f"/api/v1/workspaces/{person.slug}/clients", json={"name": "x"}, headers=bearer)
        assert refused.status_code == 403, refused.text


async def test_a_refused_token_form_keeps_the_choices_made(person: Person, browser_of: Browser) -> None:
    """No scope ticked: refused, and the form shows nothing ticked again (not every scope)."""
    http = await browser_of(person)
    form = form_at(await loaded(http, "/account/tokens"), "/account/tokens")
    data = form.data(name="nothing", expires="30")
    data.pop("scopes")
    refused = await http.post("/account/tokens", data=data)
    again = form_at(refused.text, "/account/tokens")
    assert "scopes" not in again.fields
    assert again.value("expires") == "30"
    assert "choose at least one scope" in refused.text
