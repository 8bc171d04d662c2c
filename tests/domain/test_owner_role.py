"""Changing roles keeps a workspace runnable: the only owner cannot be given another role
(``add_member`` on an existing owner, as REST's POST /members and MCP's change_role do), as
they cannot be removed; with a second owner, one may step down, and the other is then the last."""

from __future__ import annotations

import pytest

from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Conflict
from app.domain.schemas import MemberInput
from tests.domain.helpers import make_member


async def _roles(billing: Billing, owner: Principal, slug: str) -> dict[str, str]:
    return {m.email: m.role for m in (await billing.workspaces.members(owner, slug)).items}


async def test_the_only_owner_cannot_take_another_role_but_one_of_two_owners_can(
    billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    slug = access.workspace.slug
    roles = await _roles(billing, owner, slug)
    [first] = roles
    for role in ("admin", "member", "viewer"):
        with pytest.raises(Conflict) as refused:
            await billing.workspaces.add_member(owner, slug, MemberInput(email=first, role=role))
        assert refused.value.code == "last_owner"
    assert await _roles(billing, owner, slug) == roles, "nothing changed"

    second = await make_member(billing, owner, access, "owner")
    stepped_down = await billing.workspaces.add_member(owner, slug, MemberInput(email=first, role="admin"))
    assert stepped_down.role == "admin"
    [last] = [email for email, role in (await _roles(billing, second.principal, slug)).items() if role == "owner"]
    with pytest.raises(Conflict) as refused:
        await billing.workspaces.add_member(second.principal, slug, MemberInput(email=last, role="admin"))
    assert refused.value.code == "last_owner"
