"""REST routes for workspaces, their settings and members, and stats."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody

from app.api.results import respond
from app.domain.access import Scope
from app.domain.idempotency import MAX_KEY_LENGTH
from app.domain.outputs import MemberOut, Page, WorkspaceOut
from app.domain.schemas import MemberInput, WorkspaceCreate, WorkspaceSettingsUpdate
from app.domain.stats_outputs import StatsOut
from app.faces import BillingDep, PrincipalDep, needs

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Replay-safe retries",
    ),
]


class WorkspaceController(Controller):
    path = "/api/v1/workspaces"
    tags = ["workspaces"]

    @get("/", summary="List your workspaces")
    async def list_workspaces(self, principal: PrincipalDep, billing: BillingDep) -> Page[WorkspaceOut]:
        return await billing.workspaces.list_for(principal)

    @post("/", summary="Create a workspace (you become its owner)", security=needs(Scope.WORKSPACE_ADMIN))
    async def create_workspace(
        self,
        data: JSONBody[WorkspaceCreate],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[WorkspaceOut]:
        result = await billing.mutate(
            principal, "workspace.create", data, lambda dry: billing.workspaces.create_workspace(principal, data),
            key=idempotency_key, noun="workspace",
        )  # fmt: skip
        return respond(result, 201)

    @get("/{company_slug:str}", summary="Get a workspace with its business settings")
    async def get_workspace(
        self, company_slug: FromPath[str], principal: PrincipalDep, billing: BillingDep
    ) -> WorkspaceOut:
        return await billing.workspaces.get_out(principal, company_slug)

    @patch("/{company_slug:str}", summary="Update business settings", security=needs(Scope.WORKSPACE_ADMIN))
    async def update_workspace(
        self,
        company_slug: FromPath[str],
        data: JSONBody[WorkspaceSettingsUpdate],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[WorkspaceOut]:
        access = await billing.access(principal, company_slug)
        result = await billing.mutate(
            principal, "workspace.settings", data,
            lambda dry: billing.workspaces.update_settings(principal, company_slug, data),
            access=access, key=idempotency_key,
        )  # fmt: skip
        return respond(result)

    @get("/{company_slug:str}/members", summary="List members and their roles", security=needs(Scope.WORKSPACE_ADMIN))
    async def list_members(
        self, company_slug: FromPath[str], principal: PrincipalDep, billing: BillingDep
    ) -> Page[MemberOut]:
        return await billing.workspaces.members(principal, company_slug)

    @post(
        "/{company_slug:str}/members",
        summary="Add a member (an existing user) or change a role",
        security=needs(Scope.WORKSPACE_ADMIN),
    )
    async def add_member(
        self,
        company_slug: FromPath[str],
        data: JSONBody[MemberInput],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[MemberOut]:
        access = await billing.access(principal, company_slug)
        result = await billing.mutate(
            principal, "workspace.member.add", data,
            lambda dry: billing.workspaces.add_member(principal, company_slug, data),
            access=access, key=idempotency_key,
        )  # fmt: skip
        return respond(result, 201)

    @delete(
        "/{company_slug:str}/members/{user_uuid:uuid}",
        summary="Remove a member (or leave the workspace yourself)",
        description="An owner can only be removed by an owner, and never the last one.",
        security=needs(Scope.WORKSPACE_ADMIN),
    )
    async def remove_member(
        self, company_slug: FromPath[str], user_uuid: FromPath[UUID], principal: PrincipalDep, billing: BillingDep
    ) -> None:
        access = await billing.access(principal, company_slug)
        await billing.mutate(
            principal, "workspace.member.remove", None,
            lambda dry: billing.workspaces.remove_member(principal, company_slug, user_uuid),
            access=access, target=user_uuid,
        )  # fmt: skip

    @get(
        "/{company_slug:str}/stats",
        summary="Billing statistics of a workspace, per currency",
        security=needs(Scope.INVOICES_READ),
    )
    async def workspace_stats(
        self, company_slug: FromPath[str], principal: PrincipalDep, billing: BillingDep
    ) -> StatsOut:
        return await billing.stats.for_workspace(await billing.access(principal, company_slug))


@get(
    "/api/v1/stats",
    summary="Billing statistics across all your workspaces, per currency",
    tags=["stats"],
    security=needs(Scope.INVOICES_READ),
)
async def all_stats(principal: PrincipalDep, billing: BillingDep) -> StatsOut:
    return await billing.stats.for_user(principal)
