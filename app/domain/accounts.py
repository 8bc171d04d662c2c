"""Users, passwords (argon2) and personal API tokens (shown once, stored hashed, scoped)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ApiToken, User
from app.domain import tokens
from app.domain.access import Channel, Principal, Scope, parse_scopes
from app.domain.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from app.domain.service import DomainService
from app.domain.tokens import TOKEN_PREFIX, hash_token

_hasher = PasswordHasher()
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("billcraft-timing-equaliser")


def check_email(email: str, field: str = "email") -> str:
    """Exactly one address (``name@example.com``), the form an SMTP envelope takes: no
    display name, angle brackets, list, quoted part, comment or IP literal, which could
    smuggle a second recipient or sender. Kept lowercased, the domain in ASCII (IDNA)."""
    email = email.strip()
    if len(email) > 320:
        raise ValidationFailed.field(field, "at most 320 characters")
    try:
        checked = validate_email(
            email,
            check_deliverability=False,  # no DNS lookups while a request waits
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as error:
        raise ValidationFailed.field(
            field, f"{email!r} is not one email address such as name@example.com: {error}"
        ) from None
    return str(checked.ascii_email or checked.normalized).lower()


def check_password(password: str, field: str = "password") -> None:
    if len(password) < 8:
        raise ValidationFailed.field(field, "at least 8 characters")
    if len(password) > 1024:
        raise ValidationFailed.field(field, "at most 1024 characters")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


class AccountService(DomainService):
    """People and their credentials; not scoped to a workspace (a person spans several)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._users = UserRepository(session=session)

    async def user(self, user_id: uuid.UUID) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound("no such user", code="user_not_found")
        return user

    async def acting_with(self, user_id: uuid.UUID, scope: Scope) -> Principal | None:
        """A person who is still active, allowed ``scope`` and nothing more: what a download
        link grants the one it was made for. None when they are gone or deactivated."""
        user = await self.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return Principal(user_id=user.id, name=user.name, scopes=frozenset({scope.value}), channel=Channel.API)

    async def create_user(self, email: str, password: str, name: str = "") -> User:
        email = check_email(email)
        check_password(password)
        if await self._users.exists(email=email):
            raise Conflict(f"a user with the email {email} already exists", code="email_taken", field="email")
        user = User(email=email, name=name.strip() or email.split("@")[0], password_hash=_hasher.hash(password))
        self.session.add(user)
        await self.session.flush()
        return user

    async def by_email(self, email: str) -> User:
        user = await self._by_email(email)
        if user is None:
            raise NotFound(f"no user with the email {email}")
        return user

    async def _by_email(self, email: str) -> User | None:
        query = select(User).where(User.email == email.strip().lower())
        return (await self.session.execute(query)).scalar_one_or_none()

    async def authenticate(self, email: str, password: str) -> User:
        user = await self._by_email(email)
        try:
            _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
        except (VerifyMismatchError, InvalidHashError):
            user = None
        if user is None or not user.is_active:
            raise Unauthenticated("wrong email or password", code="invalid_credentials")
        return user

    async def change_password(self, user: User, current: str, new: str) -> None:
        """Needs the current password: a session left open on a shared computer cannot be
        used to lock its owner out."""
        try:
            _hasher.verify(user.password_hash or _DUMMY_HASH, current)
        except (VerifyMismatchError, InvalidHashError):
            raise ValidationFailed.field("current_password", "this is not your current password") from None
        check_password(new, "new_password")
        user.password_hash = _hasher.hash(new)
        await self.session.flush()

    async def create_token(
        self, user: User, name: str = "", scopes: str | None = None, expires_in_days: int | None = None
    ) -> tuple[ApiToken, str]:
        """A new token; the plain text is returned once and never stored."""
        chosen = parse_scopes(scopes)
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user.id,
            name=name or "API token",
            token_hash=hash_token(plain),
            prefix=plain[:10],
            scopes=" ".join(sorted(chosen)),
            expires_at=utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None,
        )
        self.session.add(token)
        await self.session.flush()
        return token, plain

    async def principal_for_token(
        self, plain: str, channel: Channel = Channel.API, *, workspace_slug: str | None = None
    ) -> Principal:
        """The principal behind a bearer token (personal or OAuth), or ``Unauthenticated``:
        the one verifier every face uses (``app.domain.tokens``)."""
        return await tokens.principal_for_token(self.session, plain, channel, workspace_slug=workspace_slug)

    async def list_tokens(self, user_id: object) -> list[ApiToken]:
        rows = await self.session.execute(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
        )
        return list(rows.scalars())

    async def revoke_token(self, user_id: object, token_id: object) -> None:
        token = (
            await self.session.execute(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
        ).scalar_one_or_none()
        if token is None:
            raise NotFound("no such token")
        token.revoked_at = token.revoked_at or utcnow()
