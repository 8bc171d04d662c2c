"""Signing in with email and password, for the web app's sign-in page and for the OAuth
pages alike: the form, its answer (throttled per address and per client, a new session on
success) and where to go next (local paths only)."""

from __future__ import annotations

import math
from typing import Any

from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts import AccountService
from app.domain.errors import Unauthenticated
from app.ratelimit import SignInThrottle
from app.sessions import AnyRequest, csrf_token, read_form, start_session, text


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def signin_template(
    request: AnyRequest,
    *,
    action: str,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    return Template(
        "signin.html",
        context={
            "action": action,
            "error": error,
            "email": email,
            "csrf_token": csrf_token(request),
            "next": next_url,
            "client_name": None,
        },
        status_code=status,
        media_type="text/html",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


async def sign_in(request: AnyRequest, db_session: AsyncSession, *, action: str, default_next: str) -> Any:
    """The sign-in form's answer, for the app and for OAuth's sign-in alike."""
    form = await read_form(request)
    next_url = safe_next(text(form, "next"), default_next)
    email = text(form, "email")
    throttle: SignInThrottle = request.app.state.signin_throttle
    address = request.client.host if request.client else ""
    wait = await throttle.wait_seconds(email, address)
    if wait:
        minutes = math.ceil(wait / 60)
        return signin_template(
            request, action=action, next_url=next_url, email=email, status=429,
            error=f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    try:
        user = await AccountService(session=db_session).authenticate(email, str(form.get("password", "")))
    except Unauthenticated:
        await throttle.failed(email, address)
        return signin_template(
            request, action=action, next_url=next_url, email=email, error="Wrong email or password.", status=401
        )
    await throttle.succeeded(email)
    await start_session(request, user)
    return Redirect(next_url, status_code=303)
