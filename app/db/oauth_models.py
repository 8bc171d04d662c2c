"""The OAuth 2.1 server's tables: the clients it knows, its authorization codes and its
tokens (stored hashed). Registered on the same metadata as ``app.db.models``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class OAuthClient(UUIDv7AuditBase):
    """An OAuth client: registered dynamically (RFC 7591) or known by its client ID
    metadata document (the client_id is then the document's HTTPS URL)."""

    __tablename__ = "oauth_client"

    client_id: Mapped[str] = mapped_column(String(500), unique=True)
    client_name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    client_metadata: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32), default="registration")


class OAuthCode(UUIDv7AuditBase):
    """An authorization code (stored hashed), bound to its client, redirect URI, PKCE
    challenge and resource; used at most once."""

    __tablename__ = "oauth_code"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(500))
    resource: Mapped[str | None] = mapped_column(String(500), default=None)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class OAuthToken(UUIDv7AuditBase):
    """An access token and its refresh token (both stored hashed). Each refresh makes a new
    row in the same family and marks this one rotated; a rotated refresh token presented
    again revokes the whole family."""

    __tablename__ = "oauth_token"
    __table_args__ = (Index("ix_oauth_token_user_client", "user_id", "client_id"),)

    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    client_id: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    scope: Mapped[str] = mapped_column(String(500))
    resource: Mapped[str | None] = mapped_column(String(500), default=None)
    access_expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
