"""Authentication of API and MCP requests, before anything else runs (so a request without
a valid token gets 401 whatever its body). The principal is resolved through the domain's
one token verifier, in a short unit of work of its own: it is committed and closed before
the handler starts, so no transaction is held open across the request (an MCP tool call
runs its own)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware

from app.domain.accounts import AccountService
from app.domain.errors import Unauthenticated

# Routes anyone may call: probes and the API's own documentation.
PUBLIC_PATHS = [r"^/health$", r"^/ready$", r"^/api/openapi", r"^/api/docs"]


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send Authorization: Bearer <token>", code="unauthenticated")
        async with connection.app.state.db_config.get_session() as session:
            principal = await AccountService(session=session).principal_for_token(token.strip())
            await session.commit()
        return AuthenticationResult(user=principal, auth=token)


def bearer_auth() -> DefineMiddleware:
    return DefineMiddleware(BearerTokenMiddleware, exclude=PUBLIC_PATHS)
