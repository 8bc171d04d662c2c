"""What the OAuth grant machinery reads and writes: clients, authorization codes and token
families, through a synchronous session (authlib is synchronous; it runs inside
``AsyncSession.run_sync``). Every secret is stored as its SHA-256, never in clear."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.db.models import User
from app.db.oauth_models import OAuthClient, OAuthCode, OAuthToken
from app.domain.access import ALL_SCOPES
from app.domain.accounts import utcnow
from app.domain.tokens import hash_token
from app.oauth.redirects import redirect_matches

ACCESS_TTL = dt.timedelta(hours=1)
REFRESH_TTL = dt.timedelta(days=30)
CODE_TTL = dt.timedelta(minutes=10)
GRANT_TYPES = ("authorization_code", "refresh_token")
T = TypeVar("T")

# The sync session of the unit of work authlib is running in (set inside run_sync).
current_session: ContextVar[Session] = ContextVar("billcraft_oauth_session")


def session() -> Session:
    return current_session.get()


async def run(async_session: AsyncSession, work: Callable[[], T]) -> T:
    """Run synchronous ``work`` (authlib, or these functions) on ``async_session``'s
    transaction, through SQLAlchemy's greenlet bridge."""

    def bridged(sync: Session) -> T:
        token = current_session.set(sync)
        try:
            return work()
        finally:
            current_session.reset(token)

    return await async_session.run_sync(bridged)


@dataclass
class ClientModel:
    """authlib's view of a client (ClientMixin): public clients only, exact redirect URIs."""

    row: OAuthClient

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def client_name(self) -> str:
        return self.row.client_name

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # always explicit: the redirect URI must be sent and must match exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in ALL_SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_matches(list(self.row.redirect_uris), redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


@dataclass
class CodeModel:
    """authlib's view of an authorization code (AuthorizationCodeMixin)."""

    row: OAuthCode

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_auth_time(self) -> None:
        return None

    def get_nonce(self) -> None:
        return None


@dataclass
class TokenModel:
    """authlib's view of a token row (TokenMixin), used for refresh and revocation."""

    row: OAuthToken

    def check_client(self, client: ClientModel) -> bool:
        return client.client_id == self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int(ACCESS_TTL.total_seconds())

    def is_expired(self) -> bool:
        expiry = self.row.refresh_expires_at or self.row.access_expires_at
        return expiry <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


def find_client(client_id: str | None) -> ClientModel | None:
    if not client_id:
        return None
    row = session().execute(select(OAuthClient).where(OAuthClient.client_id == client_id)).scalar_one_or_none()
    return ClientModel(row) if row else None


def add_client(client_id: str, metadata: dict[str, Any], source: str) -> ClientModel:
    row = OAuthClient(
        client_id=client_id,
        client_name=str(metadata.get("client_name") or client_id)[:200],
        redirect_uris=list(metadata.get("redirect_uris") or []),
        client_metadata=metadata,
        source=source,
    )
    session().add(row)
    session().flush()
    return ClientModel(row)


def save_code(code: str, client_id: str, user_id: uuid.UUID, data: dict[str, Any], resource: str) -> None:
    session().add(
        OAuthCode(
            code_hash=hash_token(code),
            client_id=client_id,
            user_id=user_id,
            redirect_uri=data.get("redirect_uri") or "",
            scope=data.get("scope") or "",
            resource=resource,
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            expires_at=utcnow() + CODE_TTL,
        )
    )
    session().flush()


def find_code(code: str, client_id: str) -> CodeModel | None:
    """A usable code; a code presented a second time revokes what the first use issued."""
    row = (
        session()
        .execute(select(OAuthCode).where(OAuthCode.code_hash == hash_token(code), OAuthCode.client_id == client_id))
        .scalar_one_or_none()
    )
    if row is None:
        return None
    if row.used_at is not None:
        revoke_family(row.id)
        return None
    if row.expires_at <= utcnow():
        return None
    return CodeModel(row)


def use_code(code: CodeModel) -> None:
    code.row.used_at = utcnow()
    session().flush()


def user(user_id: uuid.UUID) -> User | None:
    found = session().get(User, user_id)
    return found if found is not None and found.is_active else None


def save_tokens(
    token: dict[str, Any], client_id: str, user_id: uuid.UUID, family: uuid.UUID, resource: str | None
) -> None:
    now = utcnow()
    session().add(
        OAuthToken(
            family_id=family,
            client_id=client_id,
            user_id=user_id,
            access_hash=hash_token(token["access_token"]),
            refresh_hash=hash_token(token["refresh_token"]) if token.get("refresh_token") else None,
            scope=token.get("scope") or "",
            resource=resource,
            access_expires_at=now + dt.timedelta(seconds=int(token.get("expires_in") or ACCESS_TTL.total_seconds())),
            refresh_expires_at=now + REFRESH_TTL if token.get("refresh_token") else None,
        )
    )
    session().flush()


def find_refresh(refresh_token: str) -> TokenModel | None:
    """A live refresh token. One that was already rotated is a replay: its whole family
    (every token the grant produced) is revoked, and the answer is no token."""
    row = (
        session()
        .execute(select(OAuthToken).where(OAuthToken.refresh_hash == hash_token(refresh_token)))
        .scalar_one_or_none()
    )
    if row is None:
        return None
    if row.rotated_at is not None:
        revoke_family(row.family_id)
        return None
    model = TokenModel(row)
    return None if model.is_revoked() or model.is_expired() else model


def rotate(token: TokenModel) -> None:
    token.row.rotated_at = utcnow()
    session().flush()


def find_any(token: str) -> TokenModel | None:
    digest = hash_token(token)
    row = (
        session()
        .execute(select(OAuthToken).where((OAuthToken.access_hash == digest) | (OAuthToken.refresh_hash == digest)))
        .scalar_one_or_none()
    )
    return TokenModel(row) if row else None


def revoke_family(family: uuid.UUID) -> None:
    session().execute(
        update(OAuthToken)
        .where(OAuthToken.family_id == family, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
