"""The browser session, shared by the web app and the OAuth pages: who is signed in, the
CSRF token every form carries (checked by ``read_form``), the renewal of the session at
sign-in, and one-time messages ("flashes") shown on the next page.

The session lives server-side (see ``app.web.setup``); the cookie holds only its id."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from litestar.datastructures import FormMultiDict
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.domain.errors import Forbidden

# The key of the session config (app.web.setup) and so the cookie's name.
SESSION_COOKIE = "billcraft_session"
CSRF_FIELD = "_csrf_token"
AnyRequest = Any  # a Litestar Request of any user/auth/state: only its session is used here


def csrf_token(request: AnyRequest) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: AnyRequest, form: Any) -> None:
    """The form must carry the token of this browser's session (a form from another site,
    or from a session that has since ended, cannot)."""
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(str(expected), str(form.get(CSRF_FIELD, ""))):
        raise Forbidden("the form expired or came from elsewhere; reload the page and try again", code="csrf")


async def read_form(request: AnyRequest) -> FormMultiDict:
    """The posted form, once its CSRF token is checked and, for a signed-in person, counted
    in their per-user rate limit (the one REST and MCP share): a form that sends email is no
    way around it."""
    form: FormMultiDict = await request.form()
    check_csrf(request, form)
    user_id = request.session.get("user_id")
    if user_id:
        await request.app.state.rate_limit.hit(str(user_id))
    return form


def text(form: FormMultiDict, name: str) -> str:
    """A form field's text, stripped ("" when absent or not text)."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def signed_in(request: AnyRequest, session: AsyncSession) -> User | None:
    user_id = request.session.get("user_id")
    if not user_id:
        return None
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        return None
    user = await session.get(User, key)
    return user if user is not None and user.is_active else None


async def start_session(request: AnyRequest, user: User) -> None:
    """A new session at sign-in: whatever was in the old one (a planted id) is dropped.

    The session middleware keeps the id of the request's cookie, so forget that cookie (a
    new id is minted) and delete what the old id held."""
    old_id = request.cookies.pop(SESSION_COOKIE, None)
    if old_id:
        await request.app.stores.get("sessions").delete(old_id)
    request.clear_session()
    request.set_session({"user_id": str(user.id), "csrf": secrets.token_urlsafe(24)})


async def end_session(request: AnyRequest) -> None:
    old_id = request.cookies.get(SESSION_COOKIE)
    if old_id:
        await request.app.stores.get("sessions").delete(old_id)
    request.clear_session()


def flash(request: AnyRequest, text: str, kind: str = "success") -> None:
    """A message for the next page the browser shows (after a redirect)."""
    messages = list(request.session.get("flash") or [])
    messages.append({"kind": kind, "text": text})
    request.session["flash"] = messages[-5:]


def take_flashes(request: AnyRequest) -> list[dict[str, str]]:
    messages = request.session.get("flash") or []
    if messages:
        request.session["flash"] = []
    return list(messages)
