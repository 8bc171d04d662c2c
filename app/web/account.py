"""The person's own pages: sign up, sign in, sign out, password, personal API tokens and
the apps connected through OAuth."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import ALL_SCOPES, SCOPE_DESCRIPTIONS
from app.domain.accounts import AccountService
from app.domain.apps import connected_apps, revoke_app
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.faces import BillingDep
from app.sessions import end_session, flash, read_form, signed_in, start_session, text
from app.signin import safe_next, sign_in, signin_template
from app.web.pages import AnyRequest, ViewerDep, field_errors, page, parse_uuid

DbSession = NamedDependency[AsyncSession]
TOKEN_LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]
# What the token form starts with: reading only, for 90 days. More is a deliberate choice.
DEFAULT_TOKEN = {"scopes": ["clients:read", "invoices:read"], "expires": "90"}


@get("/signin", include_in_schema=False)
async def signin_page(request: AnyRequest, db_session: DbSession) -> Any:
    next_url = safe_next(request.query_params.get("next"))
    if await signed_in(request, db_session) is not None:
        return Redirect(next_url)
    return signin_template(request, action="/signin", next_url=next_url)


@post("/signin", include_in_schema=False)
async def signin(request: AnyRequest, db_session: DbSession) -> Any:
    return await sign_in(request, db_session, action="/signin", default_next="/")


@get("/signup", include_in_schema=False)
async def signup_page(request: AnyRequest) -> Template:
    next_url = safe_next(request.query_params.get("next"), "")
    return await page(request, "web/signup.html", values={}, errors={}, next=next_url)


@post("/signup", include_in_schema=False)
async def signup(request: AnyRequest, db_session: DbSession) -> Any:
    form = await read_form(request)
    values = {"name": text(form, "name"), "email": text(form, "email")}
    password = str(form.get("password", ""))
    next_url = safe_next(text(form, "next"), "")
    try:
        user = await AccountService(session=db_session).create_user(values["email"], password, values["name"])
    except ValidationFailed as error:
        errors = field_errors(error)
        return await page(request, "web/signup.html", values=values, errors=errors, next=next_url, status=422)
    except Conflict:
        errors = {"email": "an account with this email already exists; sign in instead"}
        return await page(request, "web/signup.html", values=values, errors=errors, next=next_url, status=409)
    await start_session(request, user)
    if next_url:  # on the way somewhere, such as an app's OAuth consent
        return Redirect(next_url, status_code=303)
    flash(request, "Welcome to Billcraft. Create your first workspace to start invoicing.")
    return Redirect("/workspaces/new", status_code=303)


@post("/signout", include_in_schema=False)
async def signout(request: AnyRequest) -> Redirect:
    await read_form(request)
    await end_session(request)
    return Redirect("/signin", status_code=303)


@get("/account", include_in_schema=False)
async def account_page(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    return await page(request, "web/account.html", billing=billing, viewer=viewer, section="account", errors={})


@post("/account/password", include_in_schema=False)
async def change_password(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Any:
    form = await read_form(request)
    new = str(form.get("new_password", ""))
    try:
        if new != str(form.get("confirm_password", "")):
            raise ValidationFailed.field("confirm_password", "the two new passwords differ")
        await billing.accounts.change_password(viewer.user, str(form.get("current_password", "")), new)
    except ValidationFailed as error:
        return await page(
            request, "web/account.html", billing=billing, viewer=viewer, section="account",
            errors=field_errors(error), status=422,
        )  # fmt: skip
    # A new session id for the new password; other browsers keep theirs until they sign out.
    await start_session(request, viewer.user)
    flash(request, "Your password is changed.")
    return Redirect("/account", status_code=303)


# --- personal API tokens --------------------------------------------------------------------


async def _tokens_page(
    request: AnyRequest, viewer: ViewerDep, billing: BillingDep, *, created: str | None = None, **extra: Any
) -> Template:
    tokens = await billing.accounts.list_tokens(viewer.me.id)
    return await page(
        request,
        "web/tokens.html",
        billing=billing,
        viewer=viewer,
        section="tokens",
        tokens=tokens,
        created=created,
        scopes=[{"name": s, "description": SCOPE_DESCRIPTIONS[s]} for s in sorted(ALL_SCOPES)],
        lifetimes=TOKEN_LIFETIMES,
        **{"errors": {}, "values": DEFAULT_TOKEN, **extra},
    )


@get("/account/tokens", include_in_schema=False)
async def tokens_page(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    return await _tokens_page(request, viewer, billing)


@post("/account/tokens", include_in_schema=False)
async def create_token(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    form = await read_form(request)
    chosen = [s for s in form.getall("scopes", []) if isinstance(s, str)]
    name, expires = text(form, "name")[:200], text(form, "expires")
    values = {"name": name, "scopes": chosen, "expires": expires}
    try:
        if not chosen:
            raise ValidationFailed.field("scopes", "choose at least one scope")
        days = int(expires) if expires in {v for v, _ in TOKEN_LIFETIMES if v} else None
        _, plain = await billing.accounts.create_token(viewer.user, name, " ".join(chosen), days)
    except ValidationFailed as error:
        return await _tokens_page(request, viewer, billing, errors=field_errors(error), values=values)
    # Shown on this answer only, never stored in the session or anywhere else.
    return await _tokens_page(request, viewer, billing, created=plain)


@post("/account/tokens/revoke", include_in_schema=False)
async def revoke_token(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    form = await read_form(request)
    try:
        await billing.accounts.revoke_token(viewer.me.id, parse_uuid(text(form, "token_id")))
        flash(request, "The token is revoked: it no longer works.")
    except NotFound:
        flash(request, "That token no longer exists.", "error")
    return Redirect("/account/tokens", status_code=303)


# --- connected apps (OAuth) -----------------------------------------------------------------


@get("/account/apps", include_in_schema=False)
async def apps_page(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    apps = await connected_apps(billing.session, viewer.principal)
    return await page(request, "apps.html", billing=billing, viewer=viewer, section="apps", apps=apps)


@post("/account/apps/revoke", include_in_schema=False)
async def apps_revoke(request: AnyRequest, viewer: ViewerDep, db_session: DbSession) -> Redirect:
    form = await read_form(request)
    try:
        await revoke_app(db_session, viewer.principal, text(form, "client_id"))
        flash(request, "The app is disconnected: it must ask again to use your account.")
    except NotFound:
        flash(request, "That app was already disconnected.", "error")
    return Redirect("/account/apps", status_code=303)


ROUTES = [
    signin_page,
    signin,
    signup_page,
    signup,
    signout,
    account_page,
    change_password,
    tokens_page,
    create_token,
    revoke_token,
    apps_page,
    apps_revoke,
]
