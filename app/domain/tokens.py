"""The one bearer-token verifier every face uses (personal ``bc_`` tokens and OAuth ``bco_``
access tokens): a token to its ``Principal``, or ``Unauthenticated``.

A request that names a workspace (REST's ``/api/v1/workspaces/{slug}/...``) may ask for the
caller's membership there in the same statement: one round trip instead of two. What was
found is kept on the session for this transaction only, and ``WorkspaceService.access``
takes it, once, instead of asking again; the workspace is bound for row-level security by that
same statement, and only when the caller is a member (``app.domain.tenancy``)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from typing import Any

from sqlalchemy import and_, bindparam, case, join, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ApiToken, Membership, User, Workspace
from app.db.oauth_models import OAuthToken
from app.domain import tenancy
from app.domain.access import Channel, Principal
from app.domain.errors import Unauthenticated

TOKEN_PREFIX = "bc_"
OAUTH_ACCESS_PREFIX = "bco_"
# How often a token's last use is written: a write per request would serialise SQLite.
TOUCH_EVERY = dt.timedelta(minutes=1)
_PREFETCHED = "billcraft.prefetched_access"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def principal_for_token(
    session: AsyncSession, plain: str, channel: Channel = Channel.API, *, workspace_slug: str | None = None
) -> Principal:
    oauth = plain.startswith(OAUTH_ACCESS_PREFIX)
    if not oauth and not plain.startswith(TOKEN_PREFIX):
        raise Unauthenticated("unknown or expired token", code="invalid_token")
    model: Any = OAuthToken if oauth else ApiToken
    slug = workspace_slug if workspace_slug and "\x00" not in workspace_slug else None
    statement = _verifying(oauth, slug is not None, session.sync_session.get_bind().dialect.name)
    row = (await session.execute(statement, {"token_hash": hash_token(plain), "slug": slug})).one_or_none()
    now = dt.datetime.now(dt.UTC)
    if row is None:
        raise Unauthenticated("unknown, revoked or expired token", code="invalid_token")
    expired = row.expires_at is not None and row.expires_at <= now
    if row.revoked_at is not None or expired or not row.is_active:
        raise Unauthenticated("unknown, revoked or expired token", code="invalid_token")
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        await session.execute(update(model).where(model.id == row.token_id).values(last_used_at=now))
    if slug is not None and row.role is not None:
        tenancy.bound(session, row.Workspace.id)
        session.info[_PREFETCHED] = (tenancy.innermost(session), row.user_id, slug, row.role, row.Workspace)
    return Principal(
        user_id=row.user_id,
        name=row.name or row.email,
        scopes=frozenset(row.scopes.split()),
        channel=channel,
        oauth_client_id=row.client_id,
        token_id=row.token_id,
        resource=row.resource,
    )


@functools.cache
def _verifying(oauth: bool, with_workspace: bool, dialect: str) -> Any:
    """The statement that reads a token and its user (and, ``with_workspace``, the caller's
    role and the workspace ``slug`` beside them, nulls for a stranger, binding the
    transaction to it only when they are a member); built once per shape."""
    model: Any = OAuthToken if oauth else ApiToken
    query = (
        select(
            model.id.label("token_id"),
            model.user_id,
            User.name,
            User.email,
            User.is_active,
            (model.scope if oauth else model.scopes).label("scopes"),
            (model.access_expires_at if oauth else model.expires_at).label("expires_at"),
            model.revoked_at,
            model.last_used_at,
            (model.client_id if oauth else literal(None)).label("client_id"),
            (model.resource if oauth else literal(None)).label("resource"),
        )
        .join(User, User.id == model.user_id)
        .where((OAuthToken.access_hash if oauth else ApiToken.token_hash) == bindparam("token_hash"))
    )
    if not with_workspace:
        return query
    member = join(Membership, Workspace, Workspace.id == Membership.workspace_id)
    binding = case((Membership.role.is_not(None), tenancy.binding_for(dialect, Workspace.id)))
    return query.add_columns(Membership.role, Workspace, binding).outerjoin(
        member, and_(Membership.user_id == model.user_id, Workspace.slug == bindparam("slug"))
    )


def prefetched(session: AsyncSession, user_id: uuid.UUID, slug: str) -> tuple[str, Workspace] | None:
    """The role and workspace the verifying statement found for this caller and slug, in
    this same transaction, once (a later look in the request, after a change of members,
    reads them again); None otherwise (then the caller's access is read as usual)."""
    kept = session.info.pop(_PREFETCHED, None)
    if kept is None:
        return None
    transaction, kept_user, kept_slug, role, workspace = kept
    if transaction is not tenancy.innermost(session) or kept_user != user_id or kept_slug != slug:
        return None
    return role, workspace
