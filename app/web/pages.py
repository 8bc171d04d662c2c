"""What every page of the team's web app shares: the signed-in viewer, the workspace being
looked at, the page frame (navigation, flashes, CSRF token), form reading, and the pages
shown when something is refused or missing.

Pages call the same domain services as REST and MCP, as a principal on the ``web``
channel with every scope: in the browser, the member's role is the only limit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

import msgspec
from litestar import MediaType, Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession
from structlog import get_logger

from app.db.models import User
from app.domain.access import Channel, Principal, Scope, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import DomainError, NotFound, ValidationFailed, holds_nul
from app.domain.schemas import PAGE_MAX, friendly
from app.sessions import csrf_token, signed_in, take_flashes

AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")
HTML = MediaType.HTML
log = get_logger(__name__)
PRIVATE = {"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"}


class SignInRequired(Exception):
    """The page needs a signed-in user: send the browser to sign in, then back here."""


@dataclass(frozen=True)
class Me:
    """The signed-in person as the pages show them: plain values, which stay readable after
    the request's transaction is rolled back (a refused form), unlike the ORM row."""

    id: uuid.UUID
    name: str
    email: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Viewer:
    user: User
    me: Me
    principal: Principal


async def change(
    billing: Billing,
    viewer: Viewer,
    operation: str,
    perform: Callable[[], Awaitable[T]],
) -> T:
    """A change asked for on a page, through the domain's one path (``Billing.mutate``,
    with no key and no dry run, so nothing but the operation's name is needed): refused,
    it raises and leaves nothing of itself in the page's unit of work, even when the page
    answers the refusal with a redirect (which commits)."""
    return cast(T, await billing.mutate(viewer.principal, operation, None, lambda _dry_run: perform()))


async def provide_viewer(request: AnyRequest, db_session: NamedDependency[AsyncSession]) -> Viewer:
    user = await signed_in(request, db_session)
    if user is None:
        raise SignInRequired
    principal = Principal(user_id=user.id, name=user.name or user.email, channel=Channel.WEB)
    me = Me(id=user.id, name=user.name, email=user.email, created_at=user.created_at)
    return Viewer(user=user, me=me, principal=principal)


ViewerDep = NamedDependency[Viewer]
# A segment of the page's path (a slug, a UUID checked by the handler, an action name).
Segment = FromPath[str]


async def page(
    request: AnyRequest,
    template: str,
    *,
    billing: Billing | None = None,
    viewer: Viewer | None = None,
    access: WorkspaceAccess | None = None,
    section: str = "",
    status: int = 200,
    **context: Any,
) -> Template:
    """A page of the app, framed with the navigation when someone is signed in."""
    nav: dict[str, Any] | None = None
    if viewer is not None and billing is not None:
        workspaces = (await billing.workspaces.list_for(viewer.principal)).items
        nav = {
            "user": viewer.me,
            "workspaces": workspaces,
            "current": access.workspace if access else None,
            "role": access.role.value if access else None,
            "can_write": bool(access and access.allows(Scope.INVOICES_WRITE)),
            "can_admin": bool(access and access.allows(Scope.WORKSPACE_ADMIN)),
            "section": section,
        }
        if access is not None:
            request.session["last_workspace"] = access.workspace.slug
    context.update(nav=nav, csrf_token=csrf_token(request), flashes=take_flashes(request))
    return Template(template, context=context, status_code=status, media_type=HTML, headers=PRIVATE)


def to_struct(kind: type[T], values: dict[str, Any]) -> T:
    """Form values (strings) into a domain input Struct, or ``ValidationFailed`` naming the
    field in the form's words. Blank optional fields are left out (the defaults apply)."""
    try:
        return msgspec.convert(values, kind, strict=False)
    except msgspec.ValidationError as error:
        message, _, path = str(error).partition(" - at `$.")
        field = path.rstrip("`").split("[")[0].split(".")[0] if path else "form"
        raise ValidationFailed.field(field, friendly(message)) from None


def field_errors(error: ValidationFailed) -> dict[str, str]:
    return {e["field"]: e["message"] for e in error.errors}


def page_number(request: AnyRequest) -> int:
    """The ``?page=`` of a list page: a number within the domain's bounds, else the first."""
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), PAGE_MAX)) if raw.isdigit() else 1


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("no such page") from None


def sign_in_url(request: AnyRequest) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/signin?{urlencode({'next': target})}"


# --- the pages shown for errors -------------------------------------------------------------


def _error_page(
    request: AnyRequest, status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Template:
    back = request.headers.get("referer", "")
    return Template(
        "web/error.html",
        context={"title": title, "detail": detail, "back": back if back.startswith(str(request.base_url)) else ""},
        status_code=status,
        media_type=HTML,
        headers={**PRIVATE, **(headers or {})},
    )


def on_sign_in_required(request: AnyRequest, _: SignInRequired) -> Response[Any]:
    return Redirect(sign_in_url(request), status_code=303)


def on_domain_error(request: AnyRequest, error: DomainError) -> Template:
    if error.code == "csrf":
        return _error_page(
            request,
            403,
            "This form has expired",
            "The page was open too long or you signed in again elsewhere. Go back, reload the page and try again.",
        )
    if error.status == 404:
        return _error_page(request, 404, "Not found", "There is nothing here, or it is not yours to see.")
    if error.status == 403:
        return _error_page(request, 403, "Not allowed", error.detail[:1].upper() + error.detail[1:] + ".")
    headers = {"Retry-After": str(error.extra["retry_after"])} if "retry_after" in error.extra else None
    detail = error.detail[:1].upper() + error.detail[1:] + "."
    return _error_page(request, error.status, error.title, detail, headers)


def on_internal_error(request: AnyRequest, error: Exception) -> Template:
    if holds_nul(error):
        return _error_page(request, 422, "Not saved", "Text must not contain the NUL character (U+0000).")
    log.exception("unhandled error on a page", path=request.url.path, method=request.method)
    return _error_page(request, 500, "Something went wrong", "Something went wrong on our side. Please try again.")


def on_store_unavailable(request: AnyRequest, error: RedisError) -> Template:
    """Sessions live in Redis when it is configured: without it nobody can be signed in, so
    pages say so and ask to come back (REST and MCP, which need no session, keep working)."""
    log.warning("session store unreachable", path=request.url.path, error=str(error))
    detail = "Signing in is unavailable for a moment. Please try again shortly."
    return _error_page(request, 503, "Back in a moment", detail, {"Retry-After": "10"})


def on_validation_error(request: AnyRequest, _: ValidationException) -> Template:
    # A malformed address (a UUID that is not one): to the visitor, a page that is not there.
    return _error_page(request, 404, "Not found", "There is nothing at this address.")


def on_http_error(request: AnyRequest, error: HTTPException) -> Template:
    if isinstance(error, NotFoundException) or error.status_code == 404:
        return _error_page(request, 404, "Not found", "There is nothing at this address.")
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() == "retry-after"}
    if error.status_code == 429:
        return _error_page(request, 429, "Too many requests", str(error.detail), headers)
    return _error_page(request, error.status_code, "Something is not right", str(error.detail), headers)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    SignInRequired: on_sign_in_required,
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    RedisError: on_store_unavailable,
    Exception: on_internal_error,
}
