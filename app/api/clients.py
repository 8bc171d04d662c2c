"""REST routes for a workspace's clients."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from app.api.paging import PER_PAGE, PageNumber, PerPage, Search
from app.api.results import respond
from app.api.workspaces import IdempotencyKeyHeader
from app.domain.access import Scope
from app.domain.outputs import ClientOut, Page
from app.domain.schemas import ClientInput, ClientUpdate
from app.faces import BillingDep, PrincipalDep, needs


class ClientController(Controller):
    path = "/api/v1/workspaces/{company_slug:str}/clients"
    tags = ["clients"]

    @get("/", summary="List clients, optionally searching name and email", security=needs(Scope.CLIENTS_READ))
    async def list_clients(
        self,
        company_slug: FromPath[str],
        principal: PrincipalDep,
        billing: BillingDep,
        search: Search = None,
        page: PageNumber = 1,
        per_page: PerPage = PER_PAGE,
    ) -> Page[ClientOut]:
        access = await billing.access(principal, company_slug)
        return await billing.clients.list_page(access, search, page, per_page)

    @post("/", summary="Create a client", security=needs(Scope.CLIENTS_WRITE))
    async def create_client(
        self,
        company_slug: FromPath[str],
        data: JSONBody[ClientInput],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[ClientOut]:
        access = await billing.access(principal, company_slug)
        result = await billing.mutate(
            principal, "client.create", data, lambda dry: billing.clients.create_client(access, data),
            access=access, key=idempotency_key, noun="client",
        )  # fmt: skip
        return respond(result, 201)

    @get("/{client_uuid:uuid}", summary="Get a client", security=needs(Scope.CLIENTS_READ))
    async def get_client(
        self,
        company_slug: FromPath[str],
        client_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
    ) -> ClientOut:
        return await billing.clients.get_out(await billing.access(principal, company_slug), client_uuid)

    @patch(
        "/{client_uuid:uuid}", summary="Update a client (only the fields given)", security=needs(Scope.CLIENTS_WRITE)
    )
    async def update_client(
        self,
        company_slug: FromPath[str],
        client_uuid: FromPath[uuid.UUID],
        data: JSONBody[ClientUpdate],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[ClientOut]:
        access = await billing.access(principal, company_slug)
        result = await billing.mutate(
            principal, "client.update", data, lambda dry: billing.clients.update_client(access, client_uuid, data),
            access=access, target=client_uuid, key=idempotency_key,
        )  # fmt: skip
        return respond(result)

    @delete("/{client_uuid:uuid}", summary="Delete a client that has no invoices", security=needs(Scope.CLIENTS_WRITE))
    async def delete_client(
        self,
        company_slug: FromPath[str],
        client_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
    ) -> None:
        access = await billing.access(principal, company_slug)
        await billing.mutate(
            principal, "client.delete", None, lambda dry: billing.clients.delete_client(access, client_uuid),
            access=access, target=client_uuid,
        )  # fmt: skip
