"""Who is acting: the principal (user, scopes, channel, OAuth client) and, inside a
workspace, the role that limits it further. Scope and role checks live here, once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.errors import Forbidden, ValidationFailed

if TYPE_CHECKING:
    from app.db.models import Workspace


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    MCP = "mcp"
    WORKER = "worker"
    CLI = "cli"


class Scope(StrEnum):
    INVOICES_READ = "invoices:read"
    INVOICES_WRITE = "invoices:write"
    INVOICES_SEND = "invoices:send"
    PAYMENTS_WRITE = "payments:write"
    CLIENTS_READ = "clients:read"
    CLIENTS_WRITE = "clients:write"
    WORKSPACE_ADMIN = "workspace:admin"


ALL_SCOPES: frozenset[str] = frozenset(s.value for s in Scope)

# What each scope lets an app do, as the consent page says it.
SCOPE_DESCRIPTIONS = {
    Scope.INVOICES_READ.value: "See your invoices, their history and billing statistics",
    Scope.INVOICES_WRITE.value: "Create, edit, finalize, duplicate and cancel invoices",
    Scope.INVOICES_SEND.value: "Send invoices and reminders to your clients by email",
    Scope.PAYMENTS_WRITE.value: "Record payments",
    Scope.CLIENTS_READ.value: "See your clients",
    Scope.CLIENTS_WRITE.value: "Create and edit clients",
    Scope.WORKSPACE_ADMIN.value: "Create workspaces, change business settings and members, and see and revoke "
    "the apps connected to your account",
}


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}

# The least role that may use each scope's power inside a workspace.
SCOPE_MIN_ROLE = {
    Scope.INVOICES_READ: Role.VIEWER,
    Scope.CLIENTS_READ: Role.VIEWER,
    Scope.INVOICES_WRITE: Role.MEMBER,
    Scope.INVOICES_SEND: Role.MEMBER,
    Scope.PAYMENTS_WRITE: Role.MEMBER,
    Scope.CLIENTS_WRITE: Role.MEMBER,
    Scope.WORKSPACE_ADMIN: Role.ADMIN,
}


def parse_scopes(text: str | None) -> frozenset[str]:
    """Scopes from a space- or comma-separated string; empty means all of them."""
    if not text or not text.strip():
        return ALL_SCOPES
    scopes = frozenset(s for s in text.replace(",", " ").split() if s)
    unknown = sorted(scopes - ALL_SCOPES)
    if unknown:
        raise ValidationFailed.field(
            "scopes", f"unknown scope {', '.join(unknown)}; allowed: {', '.join(sorted(ALL_SCOPES))}"
        )
    return scopes


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request or tool call."""

    user_id: uuid.UUID
    name: str
    scopes: frozenset[str] = ALL_SCOPES
    channel: Channel = Channel.API
    oauth_client_id: str | None = None
    token_id: uuid.UUID | None = field(default=None, compare=False)
    # The protected resource an OAuth token was issued for (RFC 8707); None for personal tokens.
    resource: str | None = None

    def require_scope(self, scope: Scope) -> None:
        if scope.value not in self.scopes:
            raise Forbidden(
                f"this token lacks the scope {scope.value}",
                code="insufficient_scope",
                required_scope=scope.value,
            )

    def via(self, channel: Channel) -> Principal:
        return replace(self, channel=channel)


@dataclass(frozen=True)
class WorkspaceAccess:
    """A principal inside one workspace, with its role there. Every tenant query filters
    by ``workspace_id`` taken from here, never from the caller's input."""

    principal: Principal
    workspace: Workspace
    role: Role

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.workspace.id

    def allows(self, scope: Scope) -> bool:
        """Whether ``require(scope)`` would pass: for a face deciding what to offer."""
        return scope.value in self.principal.scopes and ROLE_RANK[self.role] >= ROLE_RANK[SCOPE_MIN_ROLE[scope]]

    def grantable_roles(self) -> list[Role]:
        """The roles this caller may give a member: up to their own."""
        return [r for r in Role if ROLE_RANK[r] <= ROLE_RANK[self.role]]

    def may_grant(self, role: Role) -> bool:
        return ROLE_RANK[role] <= ROLE_RANK[self.role]

    def require(self, scope: Scope) -> None:
        """The token must carry the scope and the role must be high enough to use it."""
        self.principal.require_scope(scope)
        needed = SCOPE_MIN_ROLE[scope]
        if ROLE_RANK[self.role] < ROLE_RANK[needed]:
            raise Forbidden(
                f"your role in this workspace is {self.role.value}; {scope.value} needs {needed.value} or above",
                code="role_insufficient",
                role=self.role.value,
                required_role=needed.value,
            )
