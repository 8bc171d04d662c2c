"""Idempotency keys: a repeated request with the same key and arguments gets the first
answer back; the same key with other arguments is refused. Records live 24 hours."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import IdempotencyRecord
from app.domain import tenancy
from app.domain.access import Principal
from app.domain.accounts import utcnow
from app.domain.errors import Conflict, ValidationFailed

TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


def fingerprint(operation: str, arguments: Any) -> str:
    payload = msgspec.json.encode({"operation": operation, "arguments": arguments}, order="sorted")
    return hashlib.sha256(payload).hexdigest()


def check_key(key: object) -> str | None:
    """A key as every face may send one: a string of 1 to ``MAX_KEY_LENGTH`` characters
    without NUL, or nothing."""
    if key is None:
        return None
    if not isinstance(key, str):
        raise ValidationFailed.field("idempotency_key", "must be a string")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed.field("idempotency_key", f"1 to {MAX_KEY_LENGTH} characters")
    if "\x00" in key:
        raise ValidationFailed.field("idempotency_key", "must not contain the NUL character (U+0000)")
    return key


class Replayed(msgspec.Struct):
    """A stored first answer, returned as it was."""

    response: dict[str, Any]


class Idempotency:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def run(
        self,
        principal: Principal,
        key: object,
        operation: str,
        arguments: Any,
        perform: Callable[[], Awaitable[Any]],
        workspace_id: uuid.UUID | None = None,
        *,
        dry_run: bool = False,
    ) -> Any:
        """Run ``perform`` once per key. Returns its result, or a ``Replayed`` answer. A dry
        run changes nothing, so it is neither recorded nor replayed.

        The record is inserted before the work, in the same transaction: a concurrent twin
        on PostgreSQL waits on the unique key, then finds the committed answer.
        """
        key = check_key(key)
        if key is None or dry_run:
            return await perform()
        digest = fingerprint(operation, arguments)
        previous = await self._previous(principal.user_id, key, digest)
        if previous is not None:
            return previous
        record = IdempotencyRecord(
            user_id=principal.user_id,
            workspace_id=workspace_id,
            key=key,
            fingerprint=digest,
            response={},
            expires_at=utcnow() + TTL,
        )
        self.session.add(record)
        try:
            await self.session.flush()
        except IntegrityError:
            await self.session.rollback()
            previous = await self._previous(principal.user_id, key, digest)
            if previous is None:
                raise
            return previous
        try:
            result = await perform()
        except Exception:
            # A refused request must not use up its key, even if the caller commits anyway.
            with contextlib.suppress(Exception):
                await self.session.delete(record)
                await self.session.flush()
            raise
        record.response = msgspec.to_builtins(result)
        await self.session.flush()
        return result

    async def replay(self, principal: Principal, key: str, operation: str, arguments: Any) -> Replayed | None:
        """The stored answer for this key, without running anything (``None``: not used yet)."""
        digest = fingerprint(operation, msgspec.to_builtins(arguments))
        return await self._previous(principal.user_id, key, digest)

    async def _previous(self, user_id: uuid.UUID, key: str, digest: str) -> Replayed | None:
        await tenancy.bind(self.session, None)  # a key is the user's, across their workspaces
        record = (
            await self.session.execute(
                select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            )
        ).scalar_one_or_none()
        if record is None:
            return None
        if record.expires_at <= utcnow():  # past its 24 hours: the key is free again
            await self.session.delete(record)
            await self.session.flush()
            return None
        if record.fingerprint != digest:
            raise Conflict(
                "this idempotency key was already used with other arguments; use a new key for a new request",
                code="idempotency_key_reused",
                field="idempotency_key",
            )
        return Replayed(response=record.response)
