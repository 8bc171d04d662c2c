"""Authentication, token scopes and workspace roles over REST (DESIGN section 5): 401 with
WWW-Authenticate without a valid token, 403 insufficient_scope naming the scope a token
lacks, 403 role_insufficient for a role too low, and reading allowed to viewers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from app.config import Settings
from app.db.engine import database_config
from app.domain.access import Scope
from app.domain.billing import Billing
from tests.api.conftest import Caller, make_caller
from tests.api.support import assert_problem, create_client, create_invoice, get_invoice, invoice_body

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
PUBLIC = {"/health", "/ready"}
# Keyed by a signed, short-lived link instead of a token (app/api/downloads.py).
LINK_KEYED = {("GET", "/api/v1/downloads/{token:str}")}


def api_routes(app: Litestar) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/v1"):
            found |= {(m, route.path) for m in route.methods - {"OPTIONS", "HEAD"}}
    return found


def _fill(path: str, slug: str, some_uuid: str) -> str:
    return _PARAM.sub(lambda m: slug if m.group(1) == "company_slug" else some_uuid, path)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bc_token-without-scheme"],
    ids=["absent", "empty", "scheme-only", "blank-token", "basic", "no-scheme"],
)
async def test_every_api_route_needs_a_bearer_token(
    app: Litestar, client: AsyncTestClient[Litestar], caller: Caller, authorization: str | None
) -> None:
    """Generated from the route table: every /api/v1 route and method without a usable
    bearer token answers 401 unauthenticated with a WWW-Authenticate: Bearer challenge;
    the one keyed by a signed link instead gives nothing for a link that is not one."""
    invoice = await create_invoice(caller)
    headers = {} if authorization is None else {"Authorization": authorization}
    routes = api_routes(app)
    assert len(routes) >= 20
    assert LINK_KEYED.issubset(routes)
    for method, path in sorted(LINK_KEYED):
        response = await client.request(method, _fill(path, caller.slug, invoice["uuid"]), headers=headers)
        assert_problem(response, 404, "download_link_invalid")
    for method, path in sorted(routes - LINK_KEYED):
        response = await client.request(method, _fill(path, caller.slug, invoice["uuid"]), headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer "), (method, path)
        assert 'realm="billcraft"' in response.headers["www-authenticate"]
    assert (await get_invoice(caller, invoice["uuid"]))["status"] == "draft"


@pytest.mark.parametrize("token", ["nope", "bc_" + "A" * 43, "bc_"], ids=["no-prefix", "unknown-token", "prefix-only"])
async def test_a_bad_token_is_401_invalid_token(client: AsyncTestClient[Litestar], caller: Caller, token: str) -> None:
    """A token that is not one of ours answers 401 invalid_token with a challenge."""
    response = await client.get(caller.url("/invoices"), headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "invalid_token")
    assert "invalid_token" in response.headers["www-authenticate"]


async def test_the_bearer_scheme_is_case_insensitive(client: AsyncTestClient[Litestar], caller: Caller) -> None:
    """RFC 7235: the auth scheme is case-insensitive ("bearer" works as "Bearer")."""
    response = await client.get(caller.url("/invoices"), headers={"Authorization": f"bearer {caller.token}"})
    assert response.status_code == 200, response.text


async def test_a_revoked_token_stops_working_at_once(client: AsyncTestClient[Litestar], migrated: Settings) -> None:
    """After revocation the same token answers 401 invalid_token."""
    caller = await make_caller(client, migrated)
    assert (await caller.get("/invoices")).status_code == 200
    config = database_config(migrated)
    try:
        async with config.create_session_maker()() as session:
            billing = Billing(session)
            user = await billing.accounts.by_email(caller.email)
            for token in await billing.accounts.list_tokens(user.id):
                await billing.accounts.revoke_token(user.id, token.id)
            await session.commit()
    finally:
        await config.get_engine().dispose()
    assert_problem(await caller.get("/invoices"), 401, "invalid_token")


async def test_a_read_only_token_reads_but_cannot_write(client: AsyncTestClient[Litestar], migrated: Settings) -> None:
    """A token limited to invoices:read can list and get invoices, stats and the next
    number, but every invoice mutation answers 403 insufficient_scope naming the scope
    it lacks, and nothing changes."""
    caller = await make_caller(client, migrated, scopes={Scope.INVOICES_READ})
    # An invoice in the read-only caller's workspace, made with the owner's full token.
    owner = Caller(caller.email, await _full_token(migrated, caller.email), caller.slug, client)
    invoice = await create_invoice(owner)
    uuid = invoice["uuid"]
    await owner.post(f"/invoices/{uuid}/finalize")
    before = await get_invoice(caller, uuid)

    for path in ("/invoices", f"/invoices/{uuid}", "/invoices/next-number", "/stats", ""):
        response = await caller.get(path)
        assert response.status_code == 200, (path, response.text)
    assert (await client.get("/api/v1/stats", headers=caller.headers)).status_code == 200

    attempts: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("POST", "/invoices", invoice_body(), "invoices:write"),
        ("PATCH", f"/invoices/{uuid}", {"title": "x"}, "invoices:write"),
        ("DELETE", f"/invoices/{uuid}", None, "invoices:write"),
        ("POST", f"/invoices/{uuid}/finalize", None, "invoices:write"),
        ("POST", f"/invoices/{uuid}/send", None, "invoices:send"),
        ("POST", f"/invoices/{uuid}/payments", None, "payments:write"),
        ("POST", f"/invoices/{uuid}/cancel", None, "invoices:write"),
        ("POST", f"/invoices/{uuid}/duplicate", None, "invoices:write"),
        ("GET", "/clients", None, "clients:read"),
        ("POST", "/clients", {"name": "Acme"}, "clients:write"),
        ("PATCH", "", {"name": "Renamed"}, "workspace:admin"),
        ("GET", "/members", None, "workspace:admin"),
    ]
    for method, path, body, scope in attempts:
        kwargs: dict[str, Any] = {"headers": caller.headers}
        if body is not None:
            kwargs["json"] = body
        response = await client.request(method, caller.url(path), **kwargs)
        problem = assert_problem(response, 403, "insufficient_scope")
        assert problem["required_scope"] == scope, (method, path, problem)
        assert scope in problem["detail"]
    created = await client.post("/api/v1/workspaces", json={"name": "Nope"}, headers=caller.headers)
    assert assert_problem(created, 403, "insufficient_scope")["required_scope"] == "workspace:admin"

    assert await get_invoice(caller, uuid) == before
    assert (await caller.get("/invoices")).json()["total"] == 1


async def _full_token(settings: Settings, email: str) -> str:
    config = database_config(settings)
    try:
        async with config.create_session_maker()() as session:
            billing = Billing(session)
            user = await billing.accounts.by_email(email)
            _, token = await billing.accounts.create_token(user, "full", None)
            await session.commit()
            return token
    finally:
        await config.get_engine().dispose()


async def test_each_lifecycle_action_needs_its_own_scope(client: AsyncTestClient[Litestar], migrated: Settings) -> None:
    """invoices:write does not send and does not record payments: send needs invoices:send,
    payments need payments:write."""
    caller = await make_caller(client, migrated, scopes={Scope.INVOICES_READ, Scope.INVOICES_WRITE, Scope.CLIENTS_READ})
    invoice = await create_invoice(caller)
    uuid = invoice["uuid"]
    problem = assert_problem(await caller.post(f"/invoices/{uuid}/send"), 403, "insufficient_scope")
    assert problem["required_scope"] == "invoices:send"
    assert (await get_invoice(caller, uuid))["status"] == "draft"
    sender = Caller(caller.email, await _full_token(migrated, caller.email), caller.slug, client)
    assert (await sender.post(f"/invoices/{uuid}/send", {"notify": False})).status_code == 200
    problem = assert_problem(await caller.post(f"/invoices/{uuid}/payments"), 403, "insufficient_scope")
    assert problem["required_scope"] == "payments:write"
    assert (await caller.post(f"/invoices/{uuid}/cancel")).status_code == 200


async def _add_member(owner: Caller, member: Caller, role: str) -> None:
    response = await owner.post("/members", {"email": member.email, "role": role})
    assert response.status_code == 201, response.text
    assert response.json()["role"] == role


async def test_a_viewer_reads_the_workspace_but_cannot_change_anything(
    client: AsyncTestClient[Litestar], migrated: Settings
) -> None:
    """A viewer (added by the owner) lists and reads invoices and clients of the workspace,
    sees it among their workspaces with the role viewer, and gets 403 role_insufficient on
    every mutation; nothing changes."""
    owner = await make_caller(client, migrated)
    viewer_home = await make_caller(client, migrated)
    customer = await create_client(owner)
    invoice = await create_invoice(owner, client_uuid=customer["uuid"])
    uuid = invoice["uuid"]
    await _add_member(owner, viewer_home, "viewer")
    viewer = Caller(viewer_home.email, viewer_home.token, owner.slug, client)

    listed = await viewer.get("/invoices")
    assert listed.status_code == 200, listed.text
    assert [i["uuid"] for i in listed.json()["items"]] == [uuid]
    assert await get_invoice(viewer, uuid) == await get_invoice(owner, uuid)
    assert (await viewer.get(f"/clients/{customer['uuid']}")).status_code == 200
    assert (await viewer.get("/stats")).status_code == 200
    assert (await viewer.get("/invoices/next-number")).status_code == 200
    mine = (await client.get("/api/v1/workspaces", headers=viewer.headers)).json()["items"]
    assert {w["company_slug"]: w["role"] for w in mine} == {owner.slug: "viewer", viewer_home.slug: "owner"}
    across = (await client.get("/api/v1/stats", headers=viewer.headers)).json()
    assert sorted(across["workspaces"]) == sorted([owner.slug, viewer_home.slug])

    before = await get_invoice(owner, uuid)
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/invoices", invoice_body()),
        ("POST", "/invoices/from-previous", {"client_uuid": customer["uuid"]}),
        ("PATCH", f"/invoices/{uuid}", {"title": "viewer edit"}),
        ("DELETE", f"/invoices/{uuid}", None),
        ("POST", f"/invoices/{uuid}/finalize", None),
        ("POST", f"/invoices/{uuid}/send", None),
        ("POST", f"/invoices/{uuid}/payments", None),
        ("POST", f"/invoices/{uuid}/cancel", None),
        ("POST", f"/invoices/{uuid}/duplicate", None),
        ("POST", "/clients", {"name": "viewer's client"}),
        ("PATCH", f"/clients/{customer['uuid']}", {"name": "viewer edit"}),
        ("DELETE", f"/clients/{customer['uuid']}", None),
        ("PATCH", "", {"name": "viewer edit"}),
        ("GET", "/members", None),
        ("POST", "/members", {"email": viewer.email, "role": "owner"}),
    ]
    for method, path, body in attempts:
        kwargs: dict[str, Any] = {"headers": viewer.headers}
        if body is not None:
            kwargs["json"] = body
        response = await client.request(method, viewer.url(path), **kwargs)
        problem = assert_problem(response, 403, "role_insufficient")
        assert "viewer" in problem["detail"], (method, path, problem)
    assert await get_invoice(owner, uuid) == before
    assert (await owner.get("/invoices")).json()["total"] == 1
    members = (await owner.get("/members")).json()["items"]
    assert {m["email"]: m["role"] for m in members}[viewer.email] == "viewer"


async def test_a_member_works_on_invoices_but_not_on_settings_or_members(
    client: AsyncTestClient[Litestar], migrated: Settings
) -> None:
    """The member role creates, sends and is paid for invoices and manages clients, but
    business settings and members need admin."""
    owner = await make_caller(client, migrated)
    home = await make_caller(client, migrated)
    await _add_member(owner, home, "member")
    member = Caller(home.email, home.token, owner.slug, client)
    invoice = await create_invoice(member, client_uuid=(await create_client(member))["uuid"])
    assert (await member.post(f"/invoices/{invoice['uuid']}/send")).json()["status"] == "sent"
    assert (await member.post(f"/invoices/{invoice['uuid']}/payments")).json()["status"] == "paid"
    paid = await get_invoice(owner, invoice["uuid"])
    assert {e["actor"]["name"] for e in paid["history"]} == {home.email.split("@")[0]}
    problem = assert_problem(await member.patch("", {"name": "member edit"}), 403, "role_insufficient")
    assert (problem["role"], problem["required_role"]) == ("member", "admin")
    assert_problem(await member.get("/members"), 403, "role_insufficient")


async def test_an_admin_manages_members_but_cannot_grant_owner(
    client: AsyncTestClient[Litestar], migrated: Settings
) -> None:
    """An admin adds members and changes settings; granting owner, or demoting an owner,
    is refused with 403 role_insufficient."""
    owner = await make_caller(client, migrated)
    admin_home = await make_caller(client, migrated)
    newcomer = await make_caller(client, migrated)
    await _add_member(owner, admin_home, "admin")
    admin = Caller(admin_home.email, admin_home.token, owner.slug, client)
    assert (await admin.patch("", {"legal_name": "Agency Ltd"})).json()["legal_name"] == "Agency Ltd"
    assert_problem(await admin.post("/members", {"email": newcomer.email, "role": "owner"}), 403, "role_insufficient")
    assert_problem(await admin.post("/members", {"email": owner.email, "role": "viewer"}), 403, "role_insufficient")
    added = await admin.post("/members", {"email": newcomer.email, "role": "member"})
    assert added.status_code == 201, added.text
    roles = {m["email"]: m["role"] for m in (await owner.get("/members")).json()["items"]}
    assert roles == {owner.email: "owner", admin_home.email: "admin", newcomer.email: "member"}


async def test_adding_members_validates_role_and_user(client: AsyncTestClient[Litestar], migrated: Settings) -> None:
    """An unknown role is 422 naming "role"; an email with no account is 404 user_not_found."""
    owner = await make_caller(client, migrated)
    other = await make_caller(client, migrated)
    problem = assert_problem(await owner.post("/members", {"email": other.email, "role": "boss"}), 422)
    assert problem["errors"][0]["field"] == "role"
    assert_problem(await owner.post("/members", {"email": "nobody-here@example.com"}), 404, "user_not_found")
    assert [m["email"] for m in (await owner.get("/members")).json()["items"]] == [owner.email]


async def test_a_role_change_takes_effect_on_the_next_request(
    client: AsyncTestClient[Litestar], migrated: Settings
) -> None:
    """Demoting a member to viewer removes their write access at once; promoting restores it."""
    owner = await make_caller(client, migrated)
    home = await make_caller(client, migrated)
    await _add_member(owner, home, "member")
    person = Caller(home.email, home.token, owner.slug, client)
    assert (await person.post("/invoices", invoice_body())).status_code == 201
    await _add_member(owner, home, "viewer")
    assert_problem(await person.post("/invoices", invoice_body()), 403, "role_insufficient")
    await _add_member(owner, home, "member")
    assert (await person.post("/invoices", invoice_body())).status_code == 201


async def test_missing_token_is_refused_before_the_body_is_read(caller: Caller) -> None:
    """Authentication runs first: a caller without a token learns nothing about the body rules."""
    response = await caller.client.post(
        caller.url("/invoices"), content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    big = await caller.client.post(caller.url("/invoices"), content=b"x" * 2_000_000)
    assert big.status_code == 401
