"""Workspace pages: the home that picks a workspace, creating one, the billing dashboard
with its charts, business settings, and members with their roles."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import get_currency_name
from iso4217 import Currency
from litestar import get, post
from litestar.response import Redirect, Template

from app.domain.access import Role, Scope
from app.domain.approvals import confirmation_settings
from app.domain.deliveries import stalled_emails
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.domain.schemas import (
    ConfirmationSettings,
    InvoiceFilter,
    MemberInput,
    WorkspaceCreate,
    WorkspaceSettingsUpdate,
)
from app.domain.workspaces import iana_time_zones
from app.faces import BillingDep
from app.sessions import flash, read_form, text
from app.web.charts import monthly_chart, status_chart
from app.web.pages import AnyRequest, Segment, ViewerDep, change, field_errors, page, parse_uuid, to_struct

SETTINGS_FIELDS = (
    "name", "legal_name", "address", "tax_id", "country", "vat_currency", "iban", "bic", "email", "phone",
    "electronic_address", "payment_instructions",
    "default_currency", "timezone", "locale", "number_pattern", "payment_terms_days",
)  # fmt: skip
LOCALES = (
    "en_US", "en_GB", "en_AU", "en_CA", "en_IE", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_BE",
    "fr_CA", "es_ES", "es_MX", "it_IT", "nl_NL", "nl_BE", "pt_PT", "pt_BR", "sv_SE", "da_DK", "nb_NO",
    "fi_FI", "pl_PL", "cs_CZ", "ja_JP", "zh_CN", "ko_KR",
)  # fmt: skip


@lru_cache(maxsize=1)
def currency_choices() -> list[tuple[str, str]]:
    codes = sorted(c.code for c in Currency if c.exponent is not None)
    return [(code, str(get_currency_name(code, locale="en_US"))) for code in codes]


@lru_cache(maxsize=1)
def timezone_choices() -> list[str]:
    return sorted(z for z in iana_time_zones() if "/" in z or z == "UTC")


@lru_cache(maxsize=1)
def locale_choices() -> list[tuple[str, str]]:
    return [(code, str(Locale.parse(code).get_display_name("en_US"))) for code in LOCALES]


def choices() -> dict[str, Any]:
    return {"currencies": currency_choices(), "timezones": timezone_choices(), "locales": locale_choices()}


@get("/", include_in_schema=False)
async def home(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    """To the workspace used last, else the first one, else to creating one."""
    workspaces = (await billing.workspaces.list_for(viewer.principal)).items
    if not workspaces:
        return Redirect("/workspaces/new")
    last = request.session.get("last_workspace")
    chosen = next((w for w in workspaces if w.company_slug == last), workspaces[0])
    return Redirect(f"/w/{chosen.company_slug}")


@get("/workspaces/new", include_in_schema=False)
async def new_workspace_page(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    values = {"default_currency": "USD", "timezone": "UTC"}
    return await page(
        request, "web/workspace_new.html", billing=billing, viewer=viewer, values=values, errors={}, **choices()
    )


@post("/workspaces/new", include_in_schema=False)
async def create_workspace(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Any:
    form = await read_form(request)
    values = {k: text(form, k) for k in ("name", "company_slug", "default_currency", "timezone")}
    try:
        data = to_struct(WorkspaceCreate, {k: v for k, v in values.items() if v})
        created = await change(
            billing, viewer, "workspace.create", lambda: billing.workspaces.create_workspace(viewer.principal, data)
        )
    except (ValidationFailed, Conflict) as error:
        errors = field_errors(error) if isinstance(error, ValidationFailed) else {"company_slug": error.detail}
        return await page(
            request, "web/workspace_new.html", billing=billing, viewer=viewer, values=values, errors=errors,
            status=422, **choices(),
        )  # fmt: skip
    flash(request, f"{created.name} is ready. Add a client, then write your first invoice.")
    return Redirect(f"/w/{created.company_slug}", status_code=303)


@get("/w/{company_slug:str}", include_in_schema=False)
async def dashboard(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    stats = await billing.stats.for_workspace(access)
    locale = access.workspace.locale
    currencies = [
        {"stats": c, "chart": monthly_chart(c.monthly, c.currency, locale)}
        for c in sorted(stats.currencies, key=lambda c: (c.currency != access.workspace.default_currency, c.currency))
    ]
    recent = await billing.invoices.list_page(access, InvoiceFilter(per_page=5))
    overdue = await billing.invoices.list_page(access, InvoiceFilter(status="overdue", per_page=5))
    stalled = await stalled_emails(billing.session, access)
    return await page(
        request,
        "web/dashboard.html",
        billing=billing,
        viewer=viewer,
        access=access,
        section="dashboard",
        stats=stats,
        currencies=currencies,
        status_svg=status_chart(stats.counts_by_status),
        recent=recent,
        overdue=overdue,
        stalled=stalled,
    )


@get("/account/workspaces", include_in_schema=False)
async def overview(request: AnyRequest, viewer: ViewerDep, billing: BillingDep) -> Template:
    """Billing across all of the person's workspaces, per currency (never added across
    currencies), with each workspace's part of it: the same figures as REST's /api/v1/stats."""
    stats = await billing.stats.for_user(viewer.principal)
    shares = await billing.stats.shares_for_user(viewer.principal)
    currencies = [
        {"stats": c, "shares": [s for s in shares if s.currency == c.currency]}
        for c in sorted(stats.currencies, key=lambda c: (-c.invoice_count, c.currency))
    ]
    return await page(
        request, "web/overview.html", billing=billing, viewer=viewer, section="overview",
        stats=stats, currencies=currencies,
    )  # fmt: skip


# --- business settings ----------------------------------------------------------------------


async def _settings_page(
    request: AnyRequest, slug: str, viewer: ViewerDep, billing: BillingDep, **extra: Any
) -> Template:
    access = await billing.access(viewer.principal, slug)
    access.require(Scope.WORKSPACE_ADMIN)
    current = await billing.workspaces.get_out(viewer.principal, slug)
    values = extra.pop("values", None) or {f: getattr(current, f) for f in SETTINGS_FIELDS}
    return await page(
        request,
        "web/settings.html",
        billing=billing,
        viewer=viewer,
        access=access,
        section="settings",
        values=values,
        confirm={"actions": current.confirm_actions, "channels": current.confirm_channels},
        confirm_action_choices=CONFIRM_ACTION_CHOICES,
        confirm_channel_choices=CONFIRM_CHANNEL_CHOICES,
        **{"errors": {}, **extra},
        **choices(),
    )


@get("/w/{company_slug:str}/settings", include_in_schema=False)
async def settings_page(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    return await _settings_page(request, company_slug, viewer, billing)


@post("/w/{company_slug:str}/settings", include_in_schema=False)
async def save_settings(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Any:
    form = await read_form(request)
    values: dict[str, Any] = {f: text(form, f) for f in SETTINGS_FIELDS}
    try:
        data = to_struct(WorkspaceSettingsUpdate, values)
        await change(
            billing,
            viewer,
            "workspace.settings",
            lambda: billing.workspaces.update_settings(viewer.principal, company_slug, data),
        )
    except ValidationFailed as error:
        return await _settings_page(
            request, company_slug, viewer, billing, values=values, errors=field_errors(error), status=422
        )
    flash(request, "Settings saved. New invoices and PDFs use them from now on.")
    return Redirect(f"/w/{company_slug}/settings", status_code=303)


CONFIRM_ACTION_CHOICES = [
    ("send", "Emailing an invoice or a reminder to a client"),
    ("finalize", "Finalizing a draft (it gets its number for good)"),
    ("cancel", "Cancelling an invoice"),
    ("delete", "Deleting a draft"),
    ("mark_paid", "Recording a payment"),
    ("bulk", "Anything done to several invoices at once"),
]
CONFIRM_CHANNEL_CHOICES = [
    ("mcp_http", "Over the internet (Claude, ChatGPT, Cursor, VS Code…)"),
    ("mcp_stdio", "On your own computer (billcraft mcp)"),
]


@post("/w/{company_slug:str}/settings/confirmations", include_in_schema=False)
async def save_confirmations(
    request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep
) -> Redirect:
    form = await read_form(request)
    data = ConfirmationSettings(
        confirm_actions=[str(v) for v in form.getall("confirm_actions", [])],
        confirm_channels=[str(v) for v in form.getall("confirm_channels", [])],
    )
    await change(
        billing,
        viewer,
        "workspace.confirmations",
        lambda: confirmation_settings(billing, viewer.principal, company_slug, data),
    )
    flash(request, "Saved. Assistants ask you first for what is ticked.")
    return Redirect(f"/w/{company_slug}/settings", status_code=303)


# --- members and roles ----------------------------------------------------------------------


async def _members_page(
    request: AnyRequest, slug: str, viewer: ViewerDep, billing: BillingDep, **extra: Any
) -> Template:
    access = await billing.access(viewer.principal, slug)
    members = (await billing.workspaces.members(viewer.principal, slug)).items
    grantable = [r.value for r in access.grantable_roles()]
    return await page(
        request,
        "web/members.html",
        billing=billing,
        viewer=viewer,
        access=access,
        section="members",
        members=members,
        roles=grantable,
        is_owner=access.role == Role.OWNER,
        **{"errors": {}, "values": {"role": "member"}, **extra},
    )


@get("/w/{company_slug:str}/members", include_in_schema=False)
async def members_page(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    return await _members_page(request, company_slug, viewer, billing)


@post("/w/{company_slug:str}/members", include_in_schema=False)
async def add_member(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Any:
    form = await read_form(request)
    values = {"email": text(form, "email"), "role": text(form, "role") or "member"}
    try:
        adding = to_struct(MemberInput, values)
        member = await change(
            billing,
            viewer,
            "workspace.member.add",
            lambda: billing.workspaces.add_member(viewer.principal, company_slug, adding),
        )
    except (ValidationFailed, NotFound, Forbidden) as error:
        if isinstance(error, ValidationFailed):
            errors = field_errors(error)
        elif error.code in {"user_not_found", "role_insufficient"}:
            errors = {"email" if error.code == "user_not_found" else "role": error.detail}
        else:
            raise
        return await _members_page(request, company_slug, viewer, billing, values=values, errors=errors, status=422)
    flash(request, f"{member.email} is now {member.role} in this workspace.")
    return Redirect(f"/w/{company_slug}/members", status_code=303)


@post("/w/{company_slug:str}/members/remove", include_in_schema=False)
async def remove_member(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    form = await read_form(request)
    user_uuid = parse_uuid(text(form, "user_uuid"))
    leaving = user_uuid == viewer.me.id
    try:
        await change(
            billing,
            viewer,
            "workspace.member.remove",
            lambda: billing.workspaces.remove_member(viewer.principal, company_slug, user_uuid),
        )
    except (Conflict, Forbidden) as error:
        flash(request, f"Nobody was removed: {error.detail}.", "error")
        return Redirect(f"/w/{company_slug}/members", status_code=303)
    if leaving:
        flash(request, "You have left the workspace.")
        return Redirect("/", status_code=303)
    flash(request, "The member is removed: they no longer see this workspace.")
    return Redirect(f"/w/{company_slug}/members", status_code=303)


ROUTES = [
    home,
    new_workspace_page,
    create_workspace,
    dashboard,
    overview,
    settings_page,
    save_settings,
    save_confirmations,
    members_page,
    add_member,
    remove_member,
]
