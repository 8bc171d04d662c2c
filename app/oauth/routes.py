"""The OAuth routes: discovery (RFC 8414, RFC 9728), registration, the browser's sign-in
and consent pages, the token and revocation endpoints, and connected apps (page and API).

Forms carry a CSRF token bound to the browser session. Sign-in renews the session.
Registration, authorization and token requests are counted per client address
(``OAuthRateLimit``): past the limit they get 429 with ``Retry-After``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import OAuth2Error
from litestar import MediaType, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db.oauth_models import OAuthClient
from app.domain.access import ALL_SCOPES, SCOPE_DESCRIPTIONS, Channel, Principal, Scope
from app.domain.apps import ConnectedApp, connected_apps, granted_scopes, revoke_app
from app.domain.workspaces import WorkspaceService
from app.faces import PrincipalDep, needs
from app.oauth import store
from app.oauth.metadata_fetch import fetcher
from app.oauth.server import OAuthServer, form_request, json_request
from app.ratelimit import OAuthRateLimit
from app.security_headers import CONSENT_CSP
from app.sessions import check_csrf, csrf_token, signed_in
from app.signin import safe_next, sign_in, signin_template

DbSession = NamedDependency[AsyncSession]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
OAUTH_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state",
    "code_challenge", "code_challenge_method", "resource",
)  # fmt: skip
# Handlers that answer a page or a redirect are typed Any, which Litestar serves as JSON:
# their pages say they are HTML themselves.
HTML = MediaType.HTML


def _server(state: State) -> OAuthServer:
    server: OAuthServer = state.oauth
    return server


def _json(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> Response[Any]:
    merged = {**dict(headers or []), **NO_STORE}
    return Response(content=body, status_code=status, headers=merged, media_type="application/json")


def _error_page(title: str, detail: str, status: int = 400, headers: dict[str, str] | None = None) -> Template:
    context = {"title": title, "detail": detail}
    return Template("oauth_error.html", context=context, status_code=status, headers=headers, media_type=HTML)


async def _wait_seconds(request: Request[Any, Any, Any], state: State) -> int:
    """Count this request against its client address: 0 when it may go on, else how many
    seconds until another may."""
    limit: OAuthRateLimit = state.oauth_rate_limit
    return await limit.wait_seconds(request.client.host if request.client else "unknown")


def _too_many_json(error: str, retry: int) -> Response[Any]:
    body = {"error": error, "error_description": f"too many requests from this address; retry in {retry} s"}
    return _json(429, body, [("Retry-After", str(retry))])


def _too_many_page(retry: int) -> Template:
    detail = f"Too many sign-in requests from your address. Try again in {retry} seconds."
    return _error_page("Please wait a moment", detail, 429, {"Retry-After": str(retry), **NO_STORE})


# --- discovery ------------------------------------------------------------------------------


@get(
    ["/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/api/mcp",
     "/api/mcp/.well-known/oauth-authorization-server"],
    sync_to_thread=False, include_in_schema=False,
)  # fmt: skip
def authorization_server_metadata(state: State) -> dict[str, Any]:
    return _server(state).metadata()


@get(
    ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/api/mcp"],
    sync_to_thread=False, include_in_schema=False,
)  # fmt: skip
def mcp_resource_metadata(state: State) -> dict[str, Any]:
    server = _server(state)
    return server.protected_resource(server.mcp_resource)


@get("/.well-known/oauth-protected-resource/api/v1", sync_to_thread=False, include_in_schema=False)
def api_resource_metadata(state: State) -> dict[str, Any]:
    server = _server(state)
    return server.protected_resource(f"{server.base_url}/api/v1")


# --- registration ---------------------------------------------------------------------------


@post("/oauth/register", include_in_schema=False)
async def register(request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
    if retry := await _wait_seconds(request, state):
        # RFC 7591 has no error for this; RFC 6749's temporarily_unavailable says "later".
        return _too_many_json("temporarily_unavailable", retry)
    try:
        body = await request.json()
    except Exception:
        body = None
    if not isinstance(body, dict):
        return _json(400, {"error": "invalid_client_metadata", "error_description": "send a JSON object"})
    server = _server(state)
    oauth_request = json_request("POST", str(request.url), body, dict(request.headers))
    status, payload, headers = await server.run(
        db_session, lambda: server.create_endpoint_response("client_registration", oauth_request)
    )
    return _json(status, payload, headers)


async def _known_client(session: AsyncSession, settings: Settings, client_id: str | None) -> None:
    """A client ID that is a URL names its own metadata document: fetch it once, safely
    (``app.oauth.metadata_fetch``), and remember the client it describes. A document that
    is refused remembers nothing, and the request then fails as one from an unknown client."""
    if not client_id or "://" not in client_id:
        return
    exists = (await session.execute(select(OAuthClient.id).where(OAuthClient.client_id == client_id))).first()
    if exists:
        return
    document = await fetcher(allow_local=settings.allow_local_client_metadata).document(client_id)
    if document is None:
        return
    metadata = {**document, "token_endpoint_auth_method": "none"}
    await store.run(session, lambda: store.add_client(client_id, metadata, "metadata_document"))


# --- authorization: sign-in and consent -----------------------------------------------------


@get("/oauth/authorize", include_in_schema=False)
async def authorize_page(request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Any:
    if retry := await _wait_seconds(request, state):
        return _too_many_page(retry)
    params = {k: v for k, v in request.query_params.items() if k in OAUTH_PARAMS}
    await _known_client(db_session, state.settings, params.get("client_id"))
    user = await signed_in(request, db_session)
    server = _server(state)
    oauth_request = form_request("GET", str(request.url), params, dict(request.headers))
    try:
        grant = await server.run(db_session, lambda: server.get_consent_grant(request=oauth_request, end_user=user))
        if params.get("resource"):
            server.resource_of(oauth_request)
    except OAuth2Error as error:
        return await _refuse(server, db_session, oauth_request, error)
    if user is None:
        query = urlencode({"next": f"/oauth/authorize?{urlencode(params)}"})
        return Redirect(f"/oauth/signin?{query}")
    scope = grant.client.get_allowed_scope(params.get("scope")) or " ".join(sorted(ALL_SCOPES))
    person = Principal(user_id=user.id, name=user.name, channel=Channel.WEB)
    workspaces = (await WorkspaceService(db_session).list_for(person)).items
    granted = await granted_scopes(db_session, user.id, grant.client.client_id)
    return Template(
        "consent.html",
        context={
            "client_name": grant.client.client_name,
            "client_id": grant.client.client_id,
            "redirect_host": urlsplit(params.get("redirect_uri", "")).netloc,
            "scopes": [
                {"name": s, "description": SCOPE_DESCRIPTIONS[s], "added": bool(granted) and s not in granted}
                for s in scope.split()
            ],
            "step_up": bool(granted) and not set(scope.split()) <= granted,
            "workspaces": workspaces,
            "user_email": user.email,
            "csrf_token": csrf_token(request),
            "params": {**params, "scope": scope},
        },
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": CONSENT_CSP},
        media_type=HTML,
    )


async def _refuse(server: OAuthServer, session: AsyncSession, oauth_request: Any, error: OAuth2Error) -> Any:
    """Errors about the client or its redirect URI are shown here (never redirected to an
    unverified address); the others go back to the client with ``error`` and ``iss``."""
    redirect_uri = oauth_request.payload.data.get("redirect_uri")
    client = await server.run(session, lambda: server.query_client(oauth_request.payload.client_id))
    if client is None or not redirect_uri or not client.check_redirect_uri(redirect_uri):
        detail = error.description or error.error
        return _error_page("This sign-in request cannot be completed", f"{error.error}: {detail}")
    query = {"error": error.error, "iss": server.base_url}
    if error.description:
        query["error_description"] = error.description
    if oauth_request.payload.state:
        query["state"] = oauth_request.payload.state
    separator = "&" if "?" in redirect_uri else "?"
    return Redirect(f"{redirect_uri}{separator}{urlencode(query)}")


@post("/oauth/authorize", include_in_schema=False)
async def authorize_decision(request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Any:
    if retry := await _wait_seconds(request, state):
        return _too_many_page(retry)
    form = dict(await request.form())
    check_csrf(request, form)
    user = await signed_in(request, db_session)
    if user is None:
        return Redirect("/oauth/signin")
    params = {k: str(v) for k, v in form.items() if k in OAUTH_PARAMS}
    server = _server(state)
    oauth_request = form_request("POST", str(request.url), params, dict(request.headers))
    approved = form.get("decision") == "approve"
    try:
        grant = await server.run(db_session, lambda: server.get_consent_grant(request=oauth_request, end_user=user))
        if params.get("resource"):  # as on the page: a refusal the client hears about
            server.resource_of(oauth_request)
    except OAuth2Error as error:
        return await _refuse(server, db_session, oauth_request, error)
    _, _, headers = await server.run(
        db_session,
        lambda: server.create_authorization_response(
            request=oauth_request, grant_user=user if approved else None, grant=grant
        ),
    )
    # RFC 9207: the client learns which server answered, on success and on refusal alike.
    location = add_params_to_uri(dict(headers).get("Location", "/"), [("iss", server.base_url)])
    return Redirect(location, status_code=302)


@get("/oauth/signin", include_in_schema=False)
async def signin_page(request: Request[Any, Any, Any]) -> Template:
    return signin_template(request, action="/oauth/signin", next_url=safe_next(request.query_params.get("next")))


@post("/oauth/signin", include_in_schema=False)
async def signin(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await sign_in(request, db_session, action="/oauth/signin", default_next="/")


# --- token and revocation -------------------------------------------------------------------


@post("/oauth/token", include_in_schema=False)
async def token(request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
    if retry := await _wait_seconds(request, state):
        # RFC 8628's slow_down, the token endpoint's error for "asking too often".
        return _too_many_json("slow_down", retry)
    form = {k: str(v) for k, v in (await request.form()).items()}
    await _known_client(db_session, state.settings, form.get("client_id"))
    server = _server(state)
    oauth_request = form_request("POST", str(request.url), form, dict(request.headers))
    status, body, headers = await server.run(db_session, lambda: server.create_token_response(oauth_request))
    # A replayed code or rotated refresh token is refused (400) after revoking its family;
    # that revocation must be kept, though the session is otherwise rolled back on an error.
    await db_session.commit()
    return _json(status, body, headers)


@post("/oauth/revoke", include_in_schema=False)
async def revoke(request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    server = _server(state)
    oauth_request = form_request("POST", str(request.url), form, dict(request.headers))
    status, body, headers = await server.run(
        db_session, lambda: server.create_endpoint_response("revocation", oauth_request)
    )
    return _json(status, body, headers)


# --- connected apps -------------------------------------------------------------------------


# Seeing and revoking the apps connected to an account is administration of that account:
# an app holding only invoices:read must not learn of, or cut off, the others.
@get(
    "/api/v1/oauth/apps",
    summary="Apps you have connected through OAuth",
    tags=["oauth"],
    security=needs(Scope.WORKSPACE_ADMIN),
)
async def list_apps(principal: PrincipalDep, db_session: DbSession) -> list[ConnectedApp]:
    return await connected_apps(db_session, principal)


@delete(
    "/api/v1/oauth/apps/{client_id:str}",
    summary="Revoke an app's access",
    tags=["oauth"],
    security=needs(Scope.WORKSPACE_ADMIN),
)
async def delete_app(client_id: FromPath[str], principal: PrincipalDep, db_session: DbSession) -> None:
    await revoke_app(db_session, principal, client_id)


ROUTES = [
    authorization_server_metadata,
    mcp_resource_metadata,
    api_resource_metadata,
    register,
    authorize_page,
    authorize_decision,
    signin_page,
    signin,
    token,
    revoke,
    list_apps,
    delete_app,
]
