"""Connected apps: the OAuth clients a user has granted access, and revoking them."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.db.oauth_models import OAuthClient, OAuthToken
from app.domain.access import Principal, Scope
from app.domain.accounts import utcnow
from app.domain.errors import NotFound


class ConnectedApp(Struct):
    client_id: str
    client_name: str
    scopes: list[str]
    connected_at: dt.datetime
    last_used_at: dt.datetime | None


def _live(now: dt.datetime) -> list[ColumnElement[bool]]:
    return [
        OAuthToken.revoked_at.is_(None),
        OAuthToken.rotated_at.is_(None),
        or_(OAuthToken.refresh_expires_at > now, OAuthToken.access_expires_at > now),
    ]


async def connected_apps(session: AsyncSession, principal: Principal) -> list[ConnectedApp]:
    """The apps this person has let in. Managing them needs ``workspace:admin``: an app
    itself holding a narrower token cannot list or revoke its peers."""
    principal.require_scope(Scope.WORKSPACE_ADMIN)
    user_id = principal.user_id
    now = utcnow()
    rows = await session.execute(
        select(
            OAuthToken.client_id,
            OAuthClient.client_name,
            func.min(OAuthToken.created_at),
            func.max(OAuthToken.last_used_at),
            func.max(OAuthToken.scope),
        )
        .join(OAuthClient, OAuthClient.client_id == OAuthToken.client_id)
        .where(OAuthToken.user_id == user_id, *_live(now))
        .group_by(OAuthToken.client_id, OAuthClient.client_name)
        .order_by(OAuthClient.client_name)
    )
    return [
        ConnectedApp(client_id=c, client_name=n, scopes=sorted(s.split()), connected_at=first, last_used_at=last)
        for c, n, first, last, s in rows.all()
    ]


async def granted_scopes(session: AsyncSession, user_id: object, client_id: str) -> set[str]:
    """What this person already let the app do (its live tokens): the consent page marks
    the scopes a new request adds to it (step-up)."""
    rows = await session.execute(
        select(OAuthToken.scope).where(
            OAuthToken.user_id == user_id, OAuthToken.client_id == client_id, *_live(utcnow())
        )
    )
    return {scope for line in rows.scalars() for scope in (line or "").split()}


async def revoke_app(session: AsyncSession, principal: Principal, client_id: str) -> None:
    """Revoke every token the app holds for this person: it must ask again."""
    principal.require_scope(Scope.WORKSPACE_ADMIN)
    user_id = principal.user_id
    result = await session.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user_id, OAuthToken.client_id == client_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("no connected app with this client_id", code="app_not_found")
