"""Members over MCP: the ``workspace`` tool's list_members, add_member, change_role and
remove_member actions, on a served Billcraft with the SDK's client over Streamable HTTP.
They need ``workspace:admin`` and refuse what the caller's role does not allow with the very
codes REST gives on ``/api/v1/workspaces/{slug}/members`` (asked of the same server in the
same test): only an owner grants, changes or removes an owner, the last owner stays, anyone
may leave, a stranger learns nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp import Client

from app.domain.access import ALL_SCOPES, Scope
from app.domain.billing import Billing
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import call, refused

ADMIN = Scope.WORKSPACE_ADMIN.value

# One member action on both faces: (MCP action, its arguments, REST method, path under
# /members, REST body). REST changes a role by email (POST /members); MCP by user_uuid.
Case = tuple[str, dict[str, Any], str, str, Any]


def add(email: str, role: str) -> Case:
    return ("add_member", {"email": email, "role": role}, "POST", "", {"email": email, "role": role})


def change(user_uuid: str, email: str, role: str) -> Case:
    return ("change_role", {"user_uuid": user_uuid, "role": role}, "POST", "", {"email": email, "role": role})


def remove(user_uuid: str) -> Case:
    return ("remove_member", {"user_uuid": user_uuid}, "DELETE", f"/{user_uuid}", None)


LIST: Case = ("list_members", {}, "GET", "", None)


class Face:
    """One person on both faces at once: their MCP client and their REST client."""

    def __init__(self, mcp: Client, rest: httpx.AsyncClient, slug: str) -> None:
        self.mcp, self.rest, self.slug = mcp, rest, slug

    async def do(self, action: str, **arguments: Any) -> Any:
        """A member action on the workspace tool that must succeed."""
        return await call(self.mcp, "workspace", action=action, company_slug=self.slug, **arguments)

    async def refusal(self, action: str, **arguments: Any) -> dict[str, Any]:
        """A member action that must be refused: its structured error."""
        result = await self.mcp.call_tool("workspace", {"action": action, "company_slug": self.slug, **arguments})
        return refused(result)[1]

    async def rest_refusal(self, method: str, path: str = "", body: Any = None) -> tuple[int, str]:
        """The same thing asked of REST: its status and problem code."""
        url = f"/api/v1/workspaces/{self.slug}/members{path}"
        response = await self.rest.request(method, url, json=body)
        assert response.status_code >= 400, response.text
        return response.status_code, response.json()["code"]

    async def both(self, case: Case) -> tuple[str, dict[str, Any], tuple[int, str]]:
        """A refused member action asked of both faces: the MCP error and REST's (status, code)."""
        action, arguments, method, path, body = case
        return action, await self.refusal(action, **arguments), await self.rest_refusal(method, path, body)

    async def members(self) -> dict[str, str]:
        """email -> role, as REST lists them."""
        response = await self.rest.get(f"/api/v1/workspaces/{self.slug}/members")
        assert response.status_code == 200, response.text
        return {m["email"]: m["role"] for m in response.json()["items"]}


@asynccontextmanager
async def face(served: str, token: str, slug: str) -> AsyncIterator[Face]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        http_client(served, token) as mcp,
        httpx.AsyncClient(base_url=served, headers=headers, timeout=30) as rest,
    ):
        yield Face(mcp, rest, slug)


async def token_for(db: Any, email: str, scopes: set[str]) -> str:
    """Another token of the user with ``email``, holding only ``scopes``."""
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        _, token = await billing.accounts.create_token(
            await billing.accounts.by_email(email), "limited", " ".join(scopes)
        )
        await session.commit()
    return token


async def uuid_of(owner: Face, email: str) -> str:
    listed = await owner.do("list_members")
    return next(m["user_uuid"] for m in listed["items"] if m["email"] == email)


async def join(owner: Face, account: Account, role: str) -> str:
    """Add ``account`` to the owner's workspace with ``role``; their user_uuid."""
    added = await owner.do("add_member", email=account.email, role=role)
    assert (added["email"], added["role"]) == (account.email, role)
    return str(added["user_uuid"])


async def test_an_owner_lists_adds_changes_the_role_of_and_removes_a_member(
    served: str, new_account: NewAccount
) -> None:
    """list_members shows what REST shows; add_member (with a dry run first, which changes
    nothing) adds by email; change_role changes it, and a retry with the same idempotency key
    answers the first result; remove_member takes them out, and they no longer reach the
    workspace."""
    ada, bob = await new_account(), await new_account(name="Bob")
    async with face(served, ada.token, ada.slug) as owner:
        listed = await owner.do("list_members")
        assert [(m["email"], m["role"]) for m in listed["items"]] == [(ada.email, "owner")]
        assert listed["total"] == 1
        rest_listed = await owner.rest.get(f"/api/v1/workspaces/{ada.slug}/members")
        assert listed == rest_listed.json()

        rehearsed = await owner.do("add_member", email=bob.email, role="admin", dry_run=True)
        assert (rehearsed["dry_run"], rehearsed["member"]["role"]) == (True, "admin")
        assert await owner.members() == {ada.email: "owner"}, "a dry run adds nobody"

        added = await owner.do("add_member", email=bob.email.upper(), role="admin")
        assert (added["email"], added["name"], added["role"]) == (bob.email, "Bob", "admin")
        bob_uuid = added["user_uuid"]
        assert await owner.members() == {ada.email: "owner", bob.email: "admin"}

        changed = await owner.do("change_role", user_uuid=bob_uuid, role="viewer", idempotency_key="demote-bob")
        assert (changed["user_uuid"], changed["role"]) == (bob_uuid, "viewer")
        again = await owner.do("change_role", user_uuid=bob_uuid, role="viewer", idempotency_key="demote-bob")
        assert again == changed
        assert await owner.members() == {ada.email: "owner", bob.email: "viewer"}

        rehearsed = await owner.do("remove_member", user_uuid=bob_uuid, dry_run=True)
        assert rehearsed == {"dry_run": True, "removed": True, "user_uuid": bob_uuid}
        assert bob.email in await owner.members(), "a dry run removes nobody"
        removed = await owner.do("remove_member", user_uuid=bob_uuid)
        assert removed == {"dry_run": False, "removed": True, "user_uuid": bob_uuid}
        assert await owner.members() == {ada.email: "owner"}

        gone = await owner.refusal("change_role", user_uuid=bob_uuid, role="member")
        assert gone["code"] == "member_not_found", "change_role never adds anyone"
        assert (await owner.refusal("remove_member", user_uuid=bob_uuid))["code"] == "member_not_found"
        assert (await owner.refusal("add_member", email="nobody@nowhere.example"))["code"] == "user_not_found"
        assert (await owner.refusal("add_member", email=bob.email, role="boss"))["code"] == "validation_error"

    async with face(served, bob.token, ada.slug) as former:
        assert (await former.refusal("list_members"))["code"] == "workspace_not_found"


async def test_an_admin_cannot_grant_change_or_remove_an_owner_and_gets_the_code_rest_gives(
    served: str, new_account: NewAccount
) -> None:
    """An admin adds and changes members up to admin; granting owner, changing an owner's
    role or removing an owner is refused as role_insufficient, on MCP as on REST."""
    ada, bob, cat = await new_account(), await new_account(name="Bob"), await new_account(name="Cat")
    async with face(served, ada.token, ada.slug) as owner:
        await join(owner, bob, "admin")
        ada_uuid = await uuid_of(owner, ada.email)
    async with face(served, bob.token, ada.slug) as admin:
        assert (await admin.do("add_member", email=cat.email, role="admin"))["role"] == "admin"
        for case in (add(cat.email, "owner"), change(ada_uuid, ada.email, "member"), remove(ada_uuid)):
            action, error, by_rest = await admin.both(case)
            assert error["code"] == "role_insufficient", (action, error)
            assert by_rest == (403, "role_insufficient"), action
        assert await admin.members() == {ada.email: "owner", bob.email: "admin", cat.email: "admin"}


async def test_a_member_a_viewer_and_a_token_without_workspace_admin_are_refused_as_rest_refuses_them(
    served: str, new_account: NewAccount, db: Any
) -> None:
    """Every member action aimed at someone else: a member's and a viewer's token get
    role_insufficient, the owner's own token without workspace:admin gets insufficient_scope
    naming it; REST gives each the same status and code. Nothing changes."""
    ada, bob, cat = await new_account(), await new_account(name="Bob"), await new_account(name="Cat")
    async with face(served, ada.token, ada.slug) as owner:
        uuids = {bob.email: await join(owner, bob, "member"), cat.email: await join(owner, cat, "viewer")}
        before = await owner.members()
    no_admin = await token_for(db, ada.email, set(ALL_SCOPES) - {ADMIN})
    # (token, the code both faces answer, the other person the calls aim at)
    callers = [(bob.token, "role_insufficient", cat.email), (cat.token, "role_insufficient", bob.email),
               (no_admin, "insufficient_scope", cat.email)]  # fmt: skip
    for token, code, other in callers:
        async with face(served, token, ada.slug) as caller:
            target = uuids[other]
            for case in (LIST, add(ada.email, "viewer"), change(target, other, "admin"), remove(target)):
                action, error, by_rest = await caller.both(case)
                assert error["code"] == code, (action, error)
                if code == "insufficient_scope":
                    assert error["required_scope"] == ADMIN
                assert by_rest == (403, code), action
    async with face(served, ada.token, ada.slug) as owner:
        assert await owner.members() == before


async def test_the_last_owner_can_neither_be_removed_nor_demoted_and_anyone_may_leave(
    served: str, new_account: NewAccount
) -> None:
    """The only owner cannot remove themselves or take another role (409 last_owner, on MCP
    as on REST); with a second owner the first may step down, and the second is then the last
    one. A viewer leaves by removing their own user_uuid."""
    ada, bob, cat = await new_account(), await new_account(name="Bob"), await new_account(name="Cat")
    async with face(served, ada.token, ada.slug) as owner:
        ada_uuid = await uuid_of(owner, ada.email)
        for case in (remove(ada_uuid), change(ada_uuid, ada.email, "admin")):
            action, error, by_rest = await owner.both(case)
            assert error["code"] == "last_owner", (action, error)
            assert by_rest == (409, "last_owner"), action
        assert await owner.members() == {ada.email: "owner"}

        bob_uuid = await join(owner, bob, "owner")
        assert (await owner.do("change_role", user_uuid=ada_uuid, role="admin"))["role"] == "admin"
        cat_uuid = await join(owner, cat, "viewer")
    async with face(served, bob.token, ada.slug) as second:
        assert (await second.refusal("remove_member", user_uuid=bob_uuid))["code"] == "last_owner"
    async with face(served, cat.token, ada.slug) as viewer:
        left = await viewer.do("remove_member", user_uuid=cat_uuid)
        assert left["removed"] is True
        assert (await viewer.refusal("list_members"))["code"] == "workspace_not_found", "gone from the workspace"
    async with face(served, bob.token, ada.slug) as second:
        assert await second.members() == {ada.email: "admin", bob.email: "owner"}


async def test_a_stranger_gets_not_found_from_every_member_action_as_from_rest(
    served: str, new_account: NewAccount
) -> None:
    """Someone outside the workspace, naming it by its slug: workspace_not_found from every
    member action (404 on REST), whatever they aim at, and the members are unchanged."""
    ada, mallory = await new_account(), await new_account(name="Mallory")
    async with face(served, ada.token, ada.slug) as owner:
        ada_uuid = await uuid_of(owner, ada.email)
        before = await owner.members()
    async with face(served, mallory.token, ada.slug) as stranger:
        cases = (LIST, add(mallory.email, "owner"), change(ada_uuid, ada.email, "viewer"), remove(ada_uuid))
        for case in cases:
            action, error, by_rest = await stranger.both(case)
            assert error["code"] == "workspace_not_found", (action, error)
            assert ada.email not in error["detail"]
            assert by_rest == (404, "workspace_not_found"), action
    async with face(served, ada.token, ada.slug) as owner:
        assert await owner.members() == before
