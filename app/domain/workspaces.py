"""Workspaces (a company, addressed by its ``company_slug``), their business settings and
members. A caller who is not a member gets ``NotFound``: never a hint that it exists."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
import zoneinfo
from importlib.resources import files

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.utils.text import slugify
from babel import Locale, UnknownLocaleError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, User, Workspace
from app.domain import money, numbering, tenancy, tokens
from app.domain.access import Principal, Role, Scope, WorkspaceAccess
from app.domain.accounts import check_email
from app.domain.approvals import listed
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.domain.identifiers import check_bic, check_electronic_address, check_iban
from app.domain.outputs import MemberOut, Page, WorkspaceOut
from app.domain.schemas import MemberInput, WorkspaceCreate, WorkspaceSettingsUpdate
from app.domain.service import DomainService

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def slug_for(name: str) -> str:
    """A slug made from a workspace's name: ASCII letters, digits and hyphens, at most 60."""
    return slugify(name)[:60].strip("-") or "workspace"


@functools.cache
def iana_time_zones() -> frozenset[str]:
    """The IANA time zone names, from the ``tzdata`` package: the same on every machine,
    unlike a host's zoneinfo folder, which also holds ``localtime`` (whatever that host is
    set to) and ``posixrules``. ``Factory`` is a placeholder, not a place."""
    names = files("tzdata").joinpath("zones").read_text().split()
    return frozenset(name for name in names if name != "Factory")


def check_timezone(name: str) -> str:
    if name not in iana_time_zones():
        raise ValidationFailed.field("timezone", f"{name!r} is not an IANA time zone such as Europe/Paris")
    return name


def check_reply_to(email: str) -> str:
    """The workspace's email is the Reply-To of every email it sends: one address, or none."""
    return check_email(email) if email else ""


def check_locale(name: str) -> str:
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        raise ValidationFailed.field("locale", f"{name!r} is not a locale such as en_US or fr_FR") from None
    return name


def check_default_currency(code: str) -> str:
    return money.check_currency(code, "default_currency")


def today_in(workspace: Workspace) -> dt.date:
    """ "Today" for a workspace is the date in its own time zone."""
    return dt.datetime.now(zoneinfo.ZoneInfo(workspace.timezone)).date()


def check_vat_currency(value: str) -> str:
    return money.check_currency(value, "vat_currency") if value else ""


def check_country(value: str) -> str:
    if value and (len(value) != 2 or not (value.isascii() and value.isalpha())):
        raise ValidationFailed.field("country", "an ISO 3166 two-letter country code such as DE or FR")
    return value.upper()


def workspace_out(workspace: Workspace, role: str) -> WorkspaceOut:
    return WorkspaceOut(
        uuid=workspace.id,
        name=workspace.name,
        company_slug=workspace.slug,
        role=role,
        default_currency=workspace.default_currency,
        timezone=workspace.timezone,
        locale=workspace.locale,
        legal_name=workspace.legal_name,
        address=workspace.address,
        tax_id=workspace.tax_id,
        country=workspace.country,
        vat_currency=workspace.vat_currency,
        iban=workspace.iban,
        bic=workspace.bic,
        email=workspace.email,
        phone=workspace.phone,
        electronic_address=workspace.electronic_address,
        payment_instructions=workspace.payment_instructions,
        number_pattern=workspace.number_pattern,
        payment_terms_days=workspace.payment_terms_days,
        confirm_actions=listed(workspace.confirm_actions),
        confirm_channels=listed(workspace.confirm_channels),
        created_at=workspace.created_at,
    )


class WorkspaceRepository(SQLAlchemyAsyncRepository[Workspace]):
    model_type = Workspace


class WorkspaceService(DomainService):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._workspaces = WorkspaceRepository(session=session)

    async def access(self, principal: Principal, slug: str) -> WorkspaceAccess:
        """The caller's access to the workspace ``slug``, or ``NotFound`` for a stranger."""
        found = tokens.prefetched(self.session, principal.user_id, slug)
        if found is not None:  # read, and bound, with the caller's token in this transaction
            return WorkspaceAccess(principal, found[1], Role(found[0]))
        row = None
        if "\x00" not in slug:  # no slug holds one, and PostgreSQL refuses text that does
            row = (
                await self.session.execute(
                    # Found, the workspace is bound for row-level security in the same query.
                    select(Membership.role, Workspace, tenancy.binding_column(self.session, Workspace.id))
                    .join(Workspace, Workspace.id == Membership.workspace_id)
                    .where(Workspace.slug == slug, Membership.user_id == principal.user_id)
                )
            ).one_or_none()
        if row is None:
            # The answer never echoes the slug: it is the same for every workspace one cannot see.
            raise NotFound("no workspace with this slug among yours", code="workspace_not_found")
        role, workspace, _ = row
        tenancy.bound(self.session, workspace.id)
        return WorkspaceAccess(principal, workspace, Role(role))

    async def list_for(self, principal: Principal) -> Page[WorkspaceOut]:
        await tenancy.bind(self.session, None)  # spans the caller's workspaces
        rows = await self.session.execute(
            select(Membership.role, Workspace)
            .join(Workspace, Workspace.id == Membership.workspace_id)
            .where(Membership.user_id == principal.user_id)
            .order_by(Workspace.name)
        )
        return Page.whole([workspace_out(ws, role) for role, ws in rows.all()])

    async def get_out(self, principal: Principal, slug: str) -> WorkspaceOut:
        access = await self.access(principal, slug)
        return workspace_out(access.workspace, access.role.value)

    async def create_workspace(self, principal: Principal, data: WorkspaceCreate) -> WorkspaceOut:
        principal.require_scope(Scope.WORKSPACE_ADMIN)
        await tenancy.bind(self.session, None)  # slugs are unique across workspaces
        name = data.name.strip()
        if not name:
            raise ValidationFailed.field("name", "must not be blank")
        if data.company_slug is not None:
            slug = data.company_slug.strip().lower()
            if not _SLUG.match(slug):
                raise ValidationFailed.field(
                    "company_slug", "1 to 64 lowercase letters, digits and hyphens, not starting or ending with '-'"
                )
            if await self._workspaces.exists(slug=slug):
                raise Conflict(f"the slug {slug!r} is taken", code="slug_taken", field="company_slug")
        else:
            slug = await self._free_slug(slug_for(name))
        workspace = Workspace(
            name=name,
            slug=slug,
            default_currency=check_default_currency(data.default_currency),
            timezone=check_timezone(data.timezone),
        )
        self.session.add(workspace)
        await self.session.flush()
        self.session.add(Membership(workspace_id=workspace.id, user_id=principal.user_id, role="owner"))
        await self.session.flush()
        return workspace_out(workspace, Role.OWNER.value)

    async def _free_slug(self, base: str) -> str:
        taken = set(
            (await self.session.execute(select(Workspace.slug).where(Workspace.slug.like(f"{base}%")))).scalars()
        )
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    async def update_settings(self, principal: Principal, slug: str, data: WorkspaceSettingsUpdate) -> WorkspaceOut:
        access = await self.access(principal, slug)
        workspace = access.workspace
        await self.enter(access, Scope.WORKSPACE_ADMIN)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if not changes:
            raise ValidationFailed.field("body", "nothing to update: give at least one setting")
        checks = {
            "default_currency": check_default_currency,
            "timezone": check_timezone,
            "locale": check_locale,
            "number_pattern": numbering.validate_pattern,
            "email": check_reply_to,
            "country": check_country,
            "iban": check_iban,
            "vat_currency": check_vat_currency,
            "bic": check_bic,
            "electronic_address": check_electronic_address,
        }
        values: dict[str, object] = {}
        for field, value in changes.items():
            if isinstance(value, str):
                value = value.strip()
            if field in checks:
                value = checks[field](value)
            if field == "name" and not value:
                raise ValidationFailed.field("name", "must not be blank")
            values[field] = value
        # Only once every field passed: a refused update changes nothing.
        for field, value in values.items():
            setattr(workspace, field, value)
        await self.session.flush()
        return workspace_out(workspace, access.role.value)

    async def members(self, principal: Principal, slug: str) -> Page[MemberOut]:
        access = await self.access(principal, slug)
        await self.enter(access, Scope.WORKSPACE_ADMIN)
        rows = await self.session.execute(
            select(Membership.role, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.workspace_id == access.workspace_id)
            .order_by(User.email)
        )
        return Page.whole([MemberOut(user_uuid=u.id, email=u.email, name=u.name, role=r) for r, u in rows.all()])

    async def add_member(self, principal: Principal, slug: str, data: MemberInput) -> MemberOut:
        access = await self.access(principal, slug)
        await self.enter(access, Scope.WORKSPACE_ADMIN)
        try:
            role = Role(data.role)
        except ValueError:
            raise ValidationFailed.field(
                "role", f"{data.role!r} is not a role; allowed: {', '.join(r.value for r in Role)}"
            ) from None
        if not access.may_grant(role):
            raise Forbidden(f"a {access.role.value} cannot grant the role {role.value}", code="role_insufficient")
        session = self.session
        user = (
            await session.execute(select(User).where(User.email == data.email.strip().lower()))
        ).scalar_one_or_none()
        if user is None:
            raise NotFound(f"no user with the email {data.email}; they need to sign up first", code="user_not_found")
        membership = (
            await session.execute(
                select(Membership).where(Membership.workspace_id == access.workspace_id, Membership.user_id == user.id)
            )
        ).scalar_one_or_none()
        if membership is None:
            session.add(Membership(workspace_id=access.workspace_id, user_id=user.id, role=role.value))
        else:
            if membership.role == Role.OWNER.value and access.role != Role.OWNER:
                raise Forbidden("only an owner can change an owner's role", code="role_insufficient")
            if membership.role == Role.OWNER.value and role != Role.OWNER:
                await self._keep_an_owner(access.workspace_id)
            membership.role = role.value
        await session.flush()
        return MemberOut(user_uuid=user.id, email=user.email, name=user.name, role=role)

    async def remove_member(self, principal: Principal, slug: str, user_uuid: uuid.UUID) -> None:
        """Take someone out of the workspace (or leave it yourself). Only an owner removes an
        owner, and the last owner stays: a workspace always has someone who can run it (nor
        can ``add_member`` give the last owner another role)."""
        access = await self.access(principal, slug)
        principal.require_scope(Scope.WORKSPACE_ADMIN)
        if user_uuid != principal.user_id:
            await self.enter(access, Scope.WORKSPACE_ADMIN)
        await tenancy.bind(self.session, access.workspace_id)
        session = self.session
        membership = (
            await session.execute(
                select(Membership).where(
                    Membership.workspace_id == access.workspace_id, Membership.user_id == user_uuid
                )
            )
        ).scalar_one_or_none()
        if membership is None:
            raise NotFound("no member with this user_uuid in this workspace", code="member_not_found")
        if membership.role == Role.OWNER.value:
            if access.role != Role.OWNER:
                raise Forbidden("only an owner can remove an owner", code="role_insufficient")
            await self._keep_an_owner(access.workspace_id)
        await session.delete(membership)
        await session.flush()

    async def _keep_an_owner(self, workspace_id: uuid.UUID) -> None:
        """Before an owner is removed or given another role: refused if they are the only one."""
        owners = (
            await self.session.execute(
                select(func.count(Membership.id)).where(
                    Membership.workspace_id == workspace_id, Membership.role == Role.OWNER.value
                )
            )
        ).scalar_one()
        if owners <= 1:
            raise Conflict("this is the workspace's only owner; make someone else owner first", code="last_owner")
