"""Authentication of API and MCP requests, before anything else runs (so a request without
a valid token gets 401 whatever its body). The principal is resolved through the domain's
one token verifier. A REST request resolves it in the request's own unit of work (the
session the handler will use, committed or rolled back as the answer leaves), which spares
a pool checkout and a transaction per request; and when its path names a workspace, the
caller's membership there is read in the same statement as the token. An MCP request
resolves it in a short unit of work of its own, outside any transaction on PostgreSQL (the
token is one statement): each tool call opens its own unit of work, and a stream may stay
open long after authentication."""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware

from app.domain.accounts import AccountService
from app.domain.errors import Unauthenticated

# Routes anyone may call: probes, the API's documentation, OAuth and the web app's pages
# (which use the session cookie), static files, public invoices, signed webhooks.
PUBLIC_PATHS = [
    r"^/health$",
    r"^/ready$",
    r"^/api/openapi",
    r"^/api/docs",
    r"^/\.well-known/",
    r"^/api/mcp/\.well-known/",
    r"^/oauth/",
    r"^/account(/|$)",
    r"^/approvals(/|$)",
    r"^/$",  # the web app's pages: the browser session is their key
    r"^/(signin|signup|signout)$",
    r"^/workspaces/new$",
    r"^/w/",
    r"^/static/",
    r"^/i/",  # the client's public invoice page: its token is the key
    r"^/c/",  # the client's public credit note, likewise
    r"^/webhooks/",  # signed by the sender instead
    r"^/api/v1/downloads/",  # a signed, short-lived link is the key (app/api/downloads.py)
]
MCP_PREFIX = "/api/mcp"
# A REST path inside a workspace: its membership is read with the token (app.domain.tokens).
_WORKSPACE_PATH = re.compile(r"^/api/v1/workspaces/([^/]+)")


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send Authorization: Bearer <token>", code="unauthenticated")
        db_config = connection.app.state.db_config
        if connection.url.path.startswith(MCP_PREFIX):
            async with db_config.get_session() as session:
                if session.bind is not None and session.bind.dialect.name == "postgresql":
                    # One statement (and a rare touch of its last use): no transaction
                    # around it, so no BEGIN and COMMIT round trips either.
                    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                principal = await AccountService(session=session).principal_for_token(token.strip())
                await session.commit()
        else:
            request_session = db_config.provide_session(connection.app.state, connection.scope)
            in_workspace = _WORKSPACE_PATH.match(connection.scope["path"])
            principal = await AccountService(session=request_session).principal_for_token(
                token.strip(), workspace_slug=in_workspace.group(1) if in_workspace else None
            )
        if principal.resource is not None and principal.resource != self._resource(connection):
            # RFC 8707: an OAuth token works only at the resource it was issued for.
            raise Unauthenticated("this token was issued for another resource", code="invalid_token")
        return AuthenticationResult(user=principal, auth=token)

    @staticmethod
    def _resource(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        base = connection.app.state.settings.base_url
        path = connection.url.path
        return f"{base}{MCP_PREFIX}" if path.startswith(MCP_PREFIX) else f"{base}/api/v1"


def bearer_auth() -> DefineMiddleware:
    return DefineMiddleware(BearerTokenMiddleware, exclude=PUBLIC_PATHS)
