"""A REST request inside a workspace reads the token and the caller's membership there in
one statement (``app.domain.tokens``); the workspace's first access in that transaction
takes what was read, a stranger's token finds nothing to take, and any later access reads
the membership again (a request that changed its members sees the change)."""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import NotFound
from tests.conftest import make_principal
from tests.statements import recorded


def statements(session: AsyncSession) -> AbstractContextManager[list[str]]:
    return recorded(session.bind.sync_engine, leave_out=("SELECT set_config",))


async def test_the_first_access_takes_the_membership_read_with_the_token_and_the_next_asks_again(
    billing: Billing, session: AsyncSession, access: WorkspaceAccess
) -> None:
    user = await billing.accounts.user(access.principal.user_id)
    _, plain = await billing.accounts.create_token(user, "prefetch", None)
    await session.commit()
    slug = access.workspace.slug
    principal = await billing.accounts.principal_for_token(plain, workspace_slug=slug)
    with statements(session) as seen:
        first = await billing.access(principal, slug)
    assert seen == []  # taken from the token's statement
    assert first.role is Role.OWNER
    assert first.workspace_id == access.workspace_id
    with statements(session) as seen:
        again = await billing.access(principal, slug)
    assert len(seen) == 1  # read again
    assert "membership" in seen[0]
    assert again.workspace_id == access.workspace_id


async def test_a_strangers_token_takes_nothing_and_the_workspace_is_not_found(
    billing: Billing, session: AsyncSession, access: WorkspaceAccess
) -> None:
    stranger = await make_principal(billing, "stranger")
    user = await billing.accounts.user(stranger.user_id)
    _, plain = await billing.accounts.create_token(user, "stranger", None)
    await session.commit()
    principal = await billing.accounts.principal_for_token(plain, workspace_slug=access.workspace.slug)
    with pytest.raises(NotFound) as refused:
        await billing.access(principal, access.workspace.slug)
    assert refused.value.code == "workspace_not_found"
