"""Removing members: admins remove members, only owners remove owners, the last owner
stays, anyone may leave, and a stranger learns nothing."""

from __future__ import annotations

import uuid

import pytest

from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Conflict, Forbidden, NotFound
from tests.conftest import make_principal
from tests.domain.helpers import make_member


async def _emails(billing: Billing, owner: Principal, access: WorkspaceAccess) -> set[str]:
    return {m.email for m in (await billing.workspaces.members(owner, access.workspace.slug)).items}


async def test_an_admin_removes_a_member_who_then_cannot_reach_the_workspace(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    """After removal the former member gets NotFound for the workspace, like any stranger."""
    admin = await make_member(billing, owner, access, "admin")
    member = await make_member(billing, owner, access, "member")
    slug = access.workspace.slug
    await billing.workspaces.remove_member(admin.principal, slug, member.principal.user_id)
    with pytest.raises(NotFound):
        await billing.access(member.principal, slug)
    assert len(await _emails(billing, owner, access)) == 2


async def test_only_an_owner_removes_an_owner_and_never_the_last_one(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    """An admin cannot remove an owner; the only owner cannot be removed (not even by
    leaving); with a second owner, one owner removes the other."""
    slug = access.workspace.slug
    admin = await make_member(billing, owner, access, "admin")
    with pytest.raises(Forbidden):
        await billing.workspaces.remove_member(admin.principal, slug, owner.user_id)
    with pytest.raises(Conflict) as refused:
        await billing.workspaces.remove_member(owner, slug, owner.user_id)
    assert refused.value.code == "last_owner"
    second = await make_member(billing, owner, access, "owner")
    await billing.workspaces.remove_member(second.principal, slug, owner.user_id)
    with pytest.raises(NotFound):
        await billing.access(owner, slug)


async def test_a_viewer_may_leave_but_not_remove_others(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    """Leaving needs no admin role; removing someone else does."""
    slug = access.workspace.slug
    viewer = await make_member(billing, owner, access, "viewer")
    member = await make_member(billing, owner, access, "member")
    with pytest.raises(Forbidden):
        await billing.workspaces.remove_member(viewer.principal, slug, member.principal.user_id)
    await billing.workspaces.remove_member(viewer.principal, slug, viewer.principal.user_id)
    assert viewer.principal.user_id not in {m.user_uuid for m in (await billing.workspaces.members(owner, slug)).items}


async def test_removing_someone_who_is_not_a_member_or_as_a_stranger_is_not_found(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    """An unknown user id and a stranger's attempt both answer NotFound, and nothing changes."""
    slug = access.workspace.slug
    before = await _emails(billing, owner, access)
    with pytest.raises(NotFound):
        await billing.workspaces.remove_member(owner, slug, uuid.uuid4())
    stranger = await make_principal(billing, "stranger")
    with pytest.raises(NotFound):
        await billing.workspaces.remove_member(stranger, slug, owner.user_id)
    assert await _emails(billing, owner, access) == before
