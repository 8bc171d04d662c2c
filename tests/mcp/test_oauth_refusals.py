"""The OAuth 2.1 authorization server refuses what it must, over real HTTP against a served
Billcraft: authorization requests without PKCE S256, wrong verifiers, replayed codes and
refresh tokens (which revoke what they had issued), redirect URIs other than the registered
ones (never redirected to), foreign resources (RFC 8707), expired, revoked and under-scoped
tokens, denied consent, unknown clients, confidential or incomplete registrations, forms
without their CSRF token, wrong passwords; and the happy paths these refusals guard (state
and iss on the way back, connected apps listed and revoked, client ID metadata documents).

Every refusal is checked for its precise OAuth error and for issuing nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update

from app.db.oauth_models import OAuthToken
from app.domain.accounts import utcnow
from app.domain.tokens import hash_token
from tests.conftest import unique
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.oauth_browser import Browser, code_and_state, forms
from tests.mcp.oauth_support import (
    MCP_ACCEPT,
    PASSWORD,
    REDIRECT,
    Pkce,
    authorize_url,
    challenge_of,
    client_metadata,
    clients_named,
    connect,
    count_issued,
    exchange,
    mcp_status,
    metadata_documents,
    oauth_error,
    refresh,
    register,
    rest_status,
    sign_in,
    through_browser,
    tokens_of,
)
from tests.processes import ProcessEnv, serve

SESSION_COOKIE = "billcraft_session"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A client that, like an OAuth client's back channel, follows no redirects."""
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture
async def account(new_account: NewAccount) -> Account:
    """A user of their own (password "correct horse battery") with a workspace."""
    return await new_account()


def _redirected_back(response: httpx.Response) -> dict[str, str]:
    """A 302 to the registered redirect URI; its query."""
    assert response.status_code in (302, 303), (response.status_code, response.text)
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return code_and_state(location)


def _error_page(response: httpx.Response, error: str) -> None:
    """An HTML error page of the server's own, naming ``error``: no redirect anywhere."""
    assert response.status_code == 400, (response.status_code, response.text)
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert error in response.text
    assert "code=" not in response.text


# --- PKCE -----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["no_challenge", "plain"])
async def test_an_authorization_request_without_s256_pkce_is_refused_without_a_code(
    served: str, http: httpx.AsyncClient, db: Any, variant: str
) -> None:
    """OAuth 2.1: PKCE is required, S256 only. A request with no code_challenge, or with
    code_challenge_method=plain, goes back to the client as error=invalid_request (with its
    state and iss), never as a code, before any sign-in."""
    client_id = await register(http, served)
    pkce = Pkce.new()
    if variant == "no_challenge":
        url = authorize_url(served, client_id, None, state="st-pkce")
    else:
        url = authorize_url(served, client_id, Pkce(pkce.verifier, pkce.verifier), state="st-pkce", method="plain")
    query = _redirected_back(await http.get(url))
    assert query["error"] == "invalid_request", query
    assert "code" not in query
    assert query["state"] == "st-pkce"
    assert query["iss"] == served
    assert await count_issued(db, client_id) == (0, 0)


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"resource": "http://evil.example/api/mcp"}, "invalid_target"),
    ],
    ids=["challenge-removed", "plain-method", "foreign-resource"],
)
async def test_a_tampered_consent_form_is_refused_back_to_the_client(
    served: str, http: httpx.AsyncClient, account: Account, db: Any, tamper: dict[str, str | None], error: str
) -> None:
    """The consent POST is checked like the GET: a signed-in user's form resubmitted without
    its code_challenge, with method plain, or for a foreign resource goes back to the client
    with the precise error, its state and iss, and no code."""
    client_id = await register(http, served)
    async with httpx.AsyncClient(timeout=30) as browser:
        assert (await sign_in(browser, served, account.email)).status_code in (302, 303)
        page = await browser.get(authorize_url(served, client_id, Pkce.new(), state="st-tamper"))
        assert page.status_code == 200, page.text
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[call-overload]
        fields.update(tamper)
        data = {k: v for k, v in fields.items() if v is not None}
        response = await browser.post(f"{served}/oauth/authorize", data={**data, "decision": "approve"})
    query = _redirected_back(response)
    assert query["error"] == error, query
    assert "code" not in query
    assert (query["state"], query["iss"]) == ("st-tamper", served)
    assert await count_issued(db, client_id) == (0, 0)


async def test_a_wrong_code_verifier_is_invalid_grant(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """The token endpoint checks the verifier against the S256 challenge: another verifier
    is invalid_grant and no token is issued."""
    client_id = await register(http, served)
    pkce = Pkce.new()
    query = await through_browser(served, account, authorize_url(served, client_id, pkce))
    response = await exchange(http, served, client_id, query["code"], Pkce.new().verifier)
    oauth_error(response, "invalid_grant")
    assert await count_issued(db, client_id) == (1, 0)


async def test_a_code_used_twice_is_refused_and_revokes_the_tokens_of_its_first_use(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """RFC 6749 4.1.2 / OAuth 2.1: a second use of a code is invalid_grant, and the access
    and refresh tokens the first use issued are revoked (the code may have been stolen)."""
    client_id = await register(http, served)
    pkce = Pkce.new()
    query = await through_browser(served, account, authorize_url(served, client_id, pkce))
    first = tokens_of(client_id, await exchange(http, served, client_id, query["code"], pkce.verifier))
    assert (await mcp_status(http, served, first.access)).status_code == 200

    oauth_error(await exchange(http, served, client_id, query["code"], pkce.verifier), "invalid_grant")
    assert await count_issued(db, client_id) == (1, 1), "the second use issued nothing"

    assert 'error="invalid_token"' in challenge_of(await mcp_status(http, served, first.access))
    oauth_error(await refresh(http, served, client_id, first.refresh), "invalid_grant")


# --- redirect URI, client, resource ---------------------------------------------------------


async def test_an_unregistered_redirect_uri_is_shown_an_error_page_never_redirected_to(
    served: str, http: httpx.AsyncClient, db: Any
) -> None:
    """An authorization request naming a redirect URI the client did not register gets the
    server's own error page; nothing is sent to that address."""
    client_id = await register(http, served)
    evil = "http://127.0.0.1:53682/elsewhere"
    response = await http.get(authorize_url(served, client_id, Pkce.new(), redirect_uri=evil))
    _error_page(response, "invalid_request")
    assert evil not in response.headers.get("location", "")
    assert await count_issued(db, client_id) == (0, 0)


async def test_a_redirect_uri_differing_at_the_token_endpoint_is_invalid_grant(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """The code is bound to the redirect URI it was issued for: exchanging it with another
    is invalid_grant, and no token is issued."""
    client_id = await register(http, served)
    pkce = Pkce.new()
    query = await through_browser(served, account, authorize_url(served, client_id, pkce))
    response = await exchange(
        http, served, client_id, query["code"], pkce.verifier, redirect_uri="http://127.0.0.1:53682/other"
    )
    oauth_error(response, "invalid_grant")
    assert await count_issued(db, client_id) == (1, 0)


async def test_an_unknown_client_id_is_shown_an_error_page_never_redirected(
    served: str, http: httpx.AsyncClient, db: Any
) -> None:
    """A client_id the server does not know cannot vouch for any redirect URI: the answer is
    an error page (invalid_client), not a redirect, and nothing is issued to that id."""
    response = await http.get(authorize_url(served, "bcc_no-such-client", Pkce.new()))
    _error_page(response, "invalid_client")
    assert await count_issued(db, "bcc_no-such-client") == (0, 0)


async def test_a_foreign_resource_is_refused_with_invalid_target(served: str, http: httpx.AsyncClient, db: Any) -> None:
    """RFC 8707: resource=http://evil.example/api/mcp is not one this server protects; the
    client is told invalid_target (with state and iss) and gets no code."""
    client_id = await register(http, served)
    url = authorize_url(served, client_id, Pkce.new(), state="st-target", resource="http://evil.example/api/mcp")
    query = _redirected_back(await http.get(url))
    assert query["error"] == "invalid_target", query
    assert "code" not in query
    assert (query["state"], query["iss"]) == ("st-target", served)
    assert await count_issued(db, client_id) == (0, 0)


async def test_a_token_for_the_rest_api_is_refused_at_mcp_and_works_at_the_rest_api(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """RFC 8707: a token issued for {base}/api/v1 opens /api/v1/workspaces but is refused
    (401 invalid_token, with resource_metadata) at /api/mcp, and the other way round."""
    rest = await connect(http, served, account, resource=f"{served}/api/v1")
    listed = await rest_status(http, served, rest.access)
    assert listed.status_code == 200, listed.text
    assert [w["company_slug"] for w in listed.json()["items"]] == [account.slug]
    header = challenge_of(await mcp_status(http, served, rest.access))
    assert 'error="invalid_token"' in header
    assert f'resource_metadata="{served}/.well-known/oauth-protected-resource/api/mcp"' in header

    mcp = await connect(http, served, account)
    assert (await mcp_status(http, served, mcp.access)).status_code == 200
    assert 'error="invalid_token"' in challenge_of(await rest_status(http, served, mcp.access))


async def test_a_code_exchanged_for_another_resource_is_invalid_target(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """The resource asked for at the token endpoint must be the one authorized: a code
    granted for /api/mcp cannot be turned into a token for /api/v1."""
    client_id = await register(http, served)
    pkce = Pkce.new()
    query = await through_browser(served, account, authorize_url(served, client_id, pkce))
    response = await exchange(http, served, client_id, query["code"], pkce.verifier, resource=f"{served}/api/v1")
    oauth_error(response, "invalid_target")
    assert (await count_issued(db, client_id))[1] == 0


# --- expired, rotated, revoked and under-scoped tokens --------------------------------------


async def test_an_expired_access_token_gets_401_invalid_token_with_resource_metadata(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """After its hour the access token is refused: 401 with WWW-Authenticate naming
    error="invalid_token" and where the resource metadata is (RFC 6750, RFC 9728)."""
    tokens = await connect(http, served, account)
    assert (await mcp_status(http, served, tokens.access)).status_code == 200
    async with db.create_session_maker()() as session:
        await session.execute(
            update(OAuthToken)
            .where(OAuthToken.access_hash == hash_token(tokens.access))
            .values(access_expires_at=utcnow())
        )
        await session.commit()
    response = await mcp_status(http, served, tokens.access)
    header = challenge_of(response)
    assert 'error="invalid_token"' in header
    assert f'resource_metadata="{served}/.well-known/oauth-protected-resource/api/mcp"' in header
    assert response.json()["code"] == "invalid_token"
    assert "jsonrpc" not in response.text


async def test_a_refresh_token_replayed_after_rotation_revokes_the_whole_family(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """Refresh tokens rotate; presenting a rotated one again is invalid_grant and revokes
    every token of the grant, so the newest access and refresh tokens stop working too."""
    first = await connect(http, served, account)
    second = tokens_of(first.client_id, await refresh(http, served, first.client_id, first.refresh))
    assert second.refresh != first.refresh
    assert (await mcp_status(http, served, second.access)).status_code == 200

    oauth_error(await refresh(http, served, first.client_id, first.refresh), "invalid_grant")
    assert (await count_issued(db, first.client_id))[1] == 2, "the replay issued nothing"

    assert 'error="invalid_token"' in challenge_of(await mcp_status(http, served, second.access))
    assert 'error="invalid_token"' in challenge_of(await mcp_status(http, served, first.access))
    oauth_error(await refresh(http, served, first.client_id, second.refresh), "invalid_grant")


async def test_a_revoked_token_is_refused_and_revoking_an_unknown_token_answers_200(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """RFC 7009: after POST /oauth/revoke the access token gets 401 and its refresh token
    invalid_grant; an unknown token is answered 200 all the same (nothing to learn)."""
    tokens = await connect(http, served, account)
    assert (await mcp_status(http, served, tokens.access)).status_code == 200
    revoked = await http.post(f"{served}/oauth/revoke", data={"token": tokens.access, "client_id": tokens.client_id})
    assert revoked.status_code == 200, revoked.text
    assert 'error="invalid_token"' in challenge_of(await mcp_status(http, served, tokens.access))
    oauth_error(await refresh(http, served, tokens.client_id, tokens.refresh), "invalid_grant")

    unknown = await http.post(
        f"{served}/oauth/revoke", data={"token": "bco_never-issued", "client_id": tokens.client_id}
    )
    assert unknown.status_code == 200, unknown.text


async def test_a_token_without_the_write_scope_is_challenged_to_step_up_over_mcp_and_refused_over_rest(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """A grant for scope invoices:read only. Over MCP, creating an invoice is answered HTTP 403
    with a step-up challenge (MCP authorization 2025-11-25): error="insufficient_scope",
    scope= what was granted plus invoices:write, and where the resource's metadata is; the
    person is asked again, the consent page marks invoices:write as new, and with the new
    token the same call works. Over REST a 403 whose WWW-Authenticate says
    error="insufficient_scope" scope="invoices:write"; reading still works."""
    mcp = await connect(http, served, account, scope="invoices:read")
    assert mcp.scope.split() == ["invoices:read"]
    async with http_client(served, mcp.access) as client:
        listed = await client.call_tool("invoice", {"action": "list", "company_slug": account.slug})
        assert not listed.is_error, listed.content
    create = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
              "params": {"name": "invoice", "arguments": {"action": "create", "company_slug": account.slug,
                                                          "title": "Stepped up"}}}  # fmt: skip
    headers = {"Authorization": f"Bearer {mcp.access}", **MCP_ACCEPT, "MCP-Protocol-Version": "2025-11-25"}
    challenged = await http.post(f"{served}/api/mcp", json=create, headers=headers)
    assert challenged.status_code == 403, challenged.text
    header = challenged.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in header
    assert 'scope="invoices:read invoices:write"' in header
    assert f'resource_metadata="{served}/.well-known/oauth-protected-resource/api/mcp"' in header
    assert challenged.json()["error"]["data"]["required_scope"] == "invoices:write"

    more = "invoices:read invoices:write"
    browser = Browser(served, account.email, PASSWORD)
    pkce = Pkce.new()
    async with browser.http:
        landed = await browser.visit(authorize_url(served, mcp.client_id, pkce, scope=more))
    consent = browser.pages[-1]
    assert "now asks for more" in consent
    assert re.search(r'<strong class="badge">new</strong> <code>invoices:write</code>', consent)
    assert not re.search(r'<strong class="badge">new</strong> <code>invoices:read</code>', consent)
    stepped = tokens_of(mcp.client_id, await exchange(http, served, mcp.client_id, code_and_state(landed)["code"],
                                                      pkce.verifier))  # fmt: skip
    async with http_client(served, stepped.access) as client:
        made = await client.call_tool("invoice", {"action": "create", "company_slug": account.slug, "title": "Up"})
        assert not made.is_error, made.content

    rest = await connect(http, served, account, scope="invoices:read", resource=f"{served}/api/v1")
    response = await http.post(
        f"{served}/api/v1/workspaces/{account.slug}/invoices",
        json={"title": "No"},
        headers={"Authorization": f"Bearer {rest.access}"},
    )
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"
    header = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in header
    assert 'scope="invoices:write"' in header
    invoices = await http.get(
        f"{served}/api/v1/workspaces/{account.slug}/invoices", headers={"Authorization": f"Bearer {rest.access}"}
    )
    assert invoices.status_code == 200, invoices.text
    titles = [i["title"] for i in invoices.json()["items"]]
    assert titles == ["Up"], "only the call made after stepping up created anything"


# --- the authorization response -------------------------------------------------------------


async def test_denying_consent_redirects_with_access_denied_state_and_iss(
    served: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """The user clicks Deny: the client gets error=access_denied with its state and the
    issuer (RFC 9207), and no code exists."""
    client_id = await register(http, served)
    url = authorize_url(served, client_id, Pkce.new(), state="st-deny")
    query = await through_browser(served, account, url, decision="deny")
    assert query["error"] == "access_denied", query
    assert "code" not in query
    assert (query["state"], query["iss"]) == ("st-deny", served)
    assert await count_issued(db, client_id) == (0, 0)


async def test_a_successful_authorization_returns_the_state_and_the_issuer(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """On success the redirect carries the code, the client's exact state and iss = the
    server's issuer (RFC 9207), and the code is exchanged for a token bound to MCP."""
    client_id = await register(http, served)
    pkce = Pkce.new()
    state = "st-ok-Ünïcode &=?"
    query = await through_browser(served, account, authorize_url(served, client_id, pkce, state=state))
    assert set(query) == {"code", "state", "iss"}
    assert query["state"] == state
    assert query["iss"] == served
    tokens = tokens_of(client_id, await exchange(http, served, client_id, query["code"], pkce.verifier))
    assert (await mcp_status(http, served, tokens.access)).status_code == 200


# --- registration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"token_endpoint_auth_method": "client_secret_basic"}, "invalid_client_metadata"),
        ({"redirect_uris": None}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
    ],
    ids=["confidential-client", "no-redirect-uris", "empty-redirect-uris"],
)
async def test_registration_refuses_confidential_clients_and_missing_redirect_uris(
    served: str, http: httpx.AsyncClient, db: Any, overrides: dict[str, Any], error: str
) -> None:
    """Only public clients with redirect URIs may register (RFC 7591 3.2.2): a client asking
    for client_secret_basic, or with no redirect URI, is refused with no client_id, and the
    server remembers no such client."""
    name = unique("Refused")
    metadata = {k: v for k, v in client_metadata(name, **overrides).items() if v is not None}
    response = await http.post(f"{served}/oauth/register", json=metadata)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error, body
    assert "client_id" not in body
    assert "client_secret" not in body
    assert await clients_named(db, name=name) == 0


# --- browser pages: CSRF, sign-in -----------------------------------------------------------


async def test_the_consent_and_sign_in_forms_without_the_sessions_csrf_token_are_forbidden(
    served: str, account: Account, db: Any
) -> None:
    """POST /oauth/authorize and POST /oauth/signin need the session's _csrf_token: without
    it, or with another, they answer 403 and neither sign in nor issue a code."""
    async with httpx.AsyncClient(timeout=30) as http:
        client_id = await register(http, served)
        credentials = {"email": account.email, "password": PASSWORD}
        for extra in ({}, {"_csrf_token": "forged"}):
            cold = await http.post(f"{served}/oauth/signin", data={**credentials, **extra})
            assert cold.status_code == 403, cold.text
            assert cold.json()["code"] == "csrf"
        assert (await http.get(f"{served}/account/apps", follow_redirects=False)).status_code in (302, 303)

        assert (await sign_in(http, served, account.email)).status_code in (302, 303)
        page = await http.get(authorize_url(served, client_id, Pkce.new()))
        assert page.status_code == 200, page.text
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[call-overload]
        assert fields["_csrf_token"]
        for token in (None, "forged"):
            data = {k: v for k, v in fields.items() if k != "_csrf_token"}
            if token is not None:
                data["_csrf_token"] = token
            response = await http.post(
                f"{served}/oauth/authorize", data={**data, "decision": "approve"}, follow_redirects=False
            )
            assert response.status_code == 403, response.text
            assert "location" not in response.headers
            assert response.json()["code"] == "csrf"
    assert await count_issued(db, client_id) == (0, 0)


async def test_a_wrong_password_shows_the_page_again_and_sign_in_renews_the_session(
    served: str, account: Account
) -> None:
    """A wrong password: the sign-in page again with 401 and no signed-in session. A right
    one: signed in under a new session id (a planted or earlier id is not promoted)."""
    async with httpx.AsyncClient(timeout=30) as http:
        wrong = await sign_in(http, served, account.email, "not the password")
        assert wrong.status_code == 401
        assert "Wrong email or password" in wrong.text
        assert forms(wrong.text)[0]["fields"]["_csrf_token"]  # type: ignore[index]
        assert (await http.get(f"{served}/account/apps")).status_code in (302, 303), "not signed in"
        before = http.cookies.get(SESSION_COOKIE)
        assert before

        right = await sign_in(http, served, account.email)
        assert right.status_code in (302, 303), right.text
        after = http.cookies.get(SESSION_COOKIE)
        assert after
        assert after != before, "sign-in renews the session id"
        assert (await http.get(f"{served}/account/apps")).status_code == 200

        # The id from before sign-in opens nothing.
        async with httpx.AsyncClient(timeout=30, cookies={SESSION_COOKIE: before}) as planted:
            assert (await planted.get(f"{served}/account/apps")).status_code in (302, 303)


# --- connected apps -------------------------------------------------------------------------


async def test_connected_apps_are_listed_and_revoked_through_the_api(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """GET /api/v1/oauth/apps (personal token) lists the client with the scopes granted;
    DELETE /api/v1/oauth/apps/{client_id} revokes its access and refresh tokens."""
    bearer = {"Authorization": f"Bearer {account.token}"}
    tokens = await connect(http, served, account, scope="invoices:read clients:read")
    listed = await http.get(f"{served}/api/v1/oauth/apps", headers=bearer)
    assert listed.status_code == 200, listed.text
    apps = {a["client_id"]: a for a in listed.json()}
    assert apps[tokens.client_id]["scopes"] == ["clients:read", "invoices:read"]
    assert apps[tokens.client_id]["client_name"] == "Refusal Tester"

    deleted = await http.delete(f"{served}/api/v1/oauth/apps/{tokens.client_id}", headers=bearer)
    assert deleted.status_code == 204, deleted.text
    assert 'error="invalid_token"' in challenge_of(await mcp_status(http, served, tokens.access))
    oauth_error(await refresh(http, served, tokens.client_id, tokens.refresh), "invalid_grant")
    after = await http.get(f"{served}/api/v1/oauth/apps", headers=bearer)
    assert tokens.client_id not in [a["client_id"] for a in after.json()]
    again = await http.delete(f"{served}/api/v1/oauth/apps/{tokens.client_id}", headers=bearer)
    assert again.status_code == 404


async def test_an_app_without_workspace_admin_can_neither_list_nor_revoke_connected_apps(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """An app granted only ``invoices:read`` (for the REST API) once listed every app of the
    account and could revoke them: it now gets 403 ``insufficient_scope`` naming
    ``workspace:admin``, and the other app keeps working."""
    other = await connect(http, served, account, scope="invoices:read")
    reader = await connect(http, served, account, scope="invoices:read", resource=f"{served}/api/v1")
    bearer = {"Authorization": f"Bearer {reader.access}"}
    for response in (
        await http.get(f"{served}/api/v1/oauth/apps", headers=bearer),
        await http.delete(f"{served}/api/v1/oauth/apps/{other.client_id}", headers=bearer),
    ):
        assert response.status_code == 403, response.text
        assert (response.json()["code"], response.json()["required_scope"]) == ("insufficient_scope", "workspace:admin")
    assert (await mcp_status(http, served, other.access)).status_code == 200
    assert (await rest_status(http, served, reader.access)).status_code == 200


async def test_the_connected_apps_page_lists_the_app_and_revokes_it_with_the_csrf_token(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """The signed-in /account/apps page lists the client; its revoke form refuses a post
    without the CSRF token (403) and with it revokes the app's tokens."""
    tokens = await connect(http, served, account, scope="invoices:read")
    async with httpx.AsyncClient(timeout=30) as browser:
        assert (await sign_in(browser, served, account.email)).status_code in (302, 303)
        page = await browser.get(f"{served}/account/apps")
        assert page.status_code == 200, page.text
        assert "Refusal Tester" in page.text
        assert "invoices:read" in page.text
        revoke_forms = [f for f in forms(page.text) if f["action"] == "/account/apps/revoke"]
        fields = next(
            dict(f["fields"])  # type: ignore[call-overload]
            for f in revoke_forms
            if f["fields"]["client_id"] == tokens.client_id  # type: ignore[index]
        )

        forged = await browser.post(f"{served}/account/apps/revoke", data={"client_id": tokens.client_id})
        assert forged.status_code == 403
        assert (await mcp_status(http, served, tokens.access)).status_code == 200, "not revoked without CSRF"

        done = await browser.post(f"{served}/account/apps/revoke", data=fields)
        assert done.status_code in (302, 303), done.text
        assert urlsplit(done.headers["location"]).path == "/account/apps"
        assert tokens.client_id not in (await browser.get(f"{served}/account/apps")).text
    assert 'error="invalid_token"' in challenge_of(await mcp_status(http, served, tokens.access))
    oauth_error(await refresh(http, served, tokens.client_id, tokens.refresh), "invalid_grant")


# --- client ID metadata documents -----------------------------------------------------------


@pytest.fixture(scope="module")
def served_local(process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Billcraft that fetches client metadata documents from this machine (the
    development setting): the documents below are served on a loopback port."""
    log = tmp_path_factory.mktemp("serve-local") / "serve.log"
    with serve(process_env, log, allow_local_client_metadata="true") as base:
        yield base


async def test_a_client_id_metadata_document_works_end_to_end_and_a_mismatched_one_is_refused(
    served_local: str, http: httpx.AsyncClient, account: Account, db: Any
) -> None:
    """A client ID that is the URL of its own metadata document (served here on loopback,
    which BILLCRAFT_ALLOW_LOCAL_CLIENT_METADATA allows) is fetched, checked and used: code,
    then token. A document whose client_id is not its own URL is refused with an error
    page, and no client is remembered for it."""

    def good(base: str) -> dict[str, Any]:
        return client_metadata("Document Client", client_id=f"{base}/client.json")

    def bad(base: str) -> dict[str, Any]:
        return client_metadata("Impostor", client_id=f"{base}/client.json")

    with metadata_documents({"/client.json": good, "/impostor.json": bad}) as docs:
        client_id = f"{docs}/client.json"
        pkce = Pkce.new()
        browser = Browser(served_local, account.email, PASSWORD)
        async with browser.http:
            landed = await browser.visit(authorize_url(served_local, client_id, pkce, state="st-doc"))
        assert "Document Client" in browser.pages[-1]
        query = code_and_state(landed)
        assert (query["state"], query["iss"]) == ("st-doc", served_local)
        tokens = tokens_of(client_id, await exchange(http, served_local, client_id, query["code"], pkce.verifier))
        assert (await mcp_status(http, served_local, tokens.access)).status_code == 200

        impostor = f"{docs}/impostor.json"
        _error_page(await http.get(authorize_url(served_local, impostor, Pkce.new())), "invalid_client")
        missing = f"{docs}/missing.json"
        _error_page(await http.get(authorize_url(served_local, missing, Pkce.new())), "invalid_client")
    assert await clients_named(db, client_id=client_id) == 1
    assert await clients_named(db, client_id=impostor) == 0
    assert await clients_named(db, client_id=missing) == 0
    assert await count_issued(db, impostor) == (0, 0)


async def test_the_consent_page_names_each_workspace_the_app_could_reach_with_the_persons_role(
    served: str, http: httpx.AsyncClient, account: Account
) -> None:
    """What is granted is said before it is granted: the signed-in person's workspaces, by
    name and slug, with their role in each (read through the domain, as every face does)."""
    client_id = await register(http, served)
    async with httpx.AsyncClient(timeout=30) as browser:
        assert (await sign_in(browser, served, account.email)).status_code in (302, 303)
        page = await browser.get(authorize_url(served, client_id, Pkce.new()))
    assert page.status_code == 200, page.text
    assert f"({account.slug})</span> — your role: owner" in page.text
