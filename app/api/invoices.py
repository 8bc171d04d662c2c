"""REST routes for invoices: CRUD, the lifecycle actions, payments and copies.

Each mutation takes ``Idempotency-Key`` and ``?dry_run=true`` and answers with the whole
resulting invoice. The rules live in ``app.domain.invoices``; this module only routes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.api.paging import PER_PAGE, PageNumber, PerPage, Search
from app.api.results import ACTION_RESPONSE, DRY_RUN_RESPONSE, respond
from app.api.workspaces import IdempotencyKeyHeader
from app.domain.access import Scope
from app.domain.lifecycle import Status
from app.domain.outputs import InvoiceOut, InvoiceSummary, NextNumberOut, Page
from app.domain.schemas import (
    CancelInput,
    DuplicateInput,
    FromPreviousInput,
    InvoiceCreate,
    InvoiceFilter,
    InvoiceUpdate,
    PaymentInput,
    SendInput,
)
from app.faces import BillingDep, PrincipalDep, needs, pdf_response

DryRun = Annotated[bool, QueryParameter(name="dry_run", description="Show what would happen; change nothing")]


class InvoiceController(Controller):
    path = "/api/v1/workspaces/{company_slug:str}/invoices"
    tags = ["invoices"]

    @get("/", summary="List invoices with filters and pagination", security=needs(Scope.INVOICES_READ))
    async def list_invoices(
        self,
        company_slug: FromPath[str],
        principal: PrincipalDep,
        billing: BillingDep,
        status: Annotated[str | None, QueryParameter(description=", ".join(Status))] = None,
        client_uuid: FromQuery[uuid.UUID | None] = None,
        delivery_status: Annotated[
            str | None,
            QueryParameter(description="only invoices with an email queued, sending, sent, opened, bounced or failed"),
        ] = None,
        date_from: FromQuery[dt.date | None] = None,
        date_to: FromQuery[dt.date | None] = None,
        search: Search = None,
        page: PageNumber = 1,
        per_page: PerPage = PER_PAGE,
    ) -> Page[InvoiceSummary]:
        access = await billing.access(principal, company_slug)
        query = InvoiceFilter(
            status=status,
            client_uuid=client_uuid,
            delivery_status=delivery_status,
            date_from=date_from,
            date_to=date_to,
            search=search,
            page=page,
            per_page=per_page,
        )
        return await billing.invoices.list_page(access, query)

    @post("/", summary="Create a draft invoice", responses=DRY_RUN_RESPONSE, security=needs(Scope.INVOICES_WRITE))
    async def create_invoice(
        self,
        company_slug: FromPath[str],
        data: JSONBody[InvoiceCreate],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.create",
            data,
            lambda dry: invoices.create_invoice(access, data, dry_run=dry),
            access=access,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result, 201)

    @post(
        "/from-previous",
        summary="Create a draft from a client's latest invoice",
        responses=DRY_RUN_RESPONSE,
        security=needs(Scope.INVOICES_WRITE),
    )
    async def create_from_previous(
        self,
        company_slug: FromPath[str],
        data: JSONBody[FromPreviousInput],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.from_previous",
            data,
            lambda dry: invoices.from_previous(access, data, dry_run=dry),
            access=access,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result, 201)

    @get("/next-number", summary="Suggest the next invoice number", security=needs(Scope.INVOICES_READ))
    async def next_number(
        self, company_slug: FromPath[str], principal: PrincipalDep, billing: BillingDep
    ) -> NextNumberOut:
        return await billing.invoices.suggest_number(await billing.access(principal, company_slug))

    @get(
        "/{invoice_uuid:uuid}",
        summary="Get an invoice with items, payments and history",
        security=needs(Scope.INVOICES_READ),
    )
    async def get_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
    ) -> InvoiceOut:
        return await billing.invoices.get_out(await billing.access(principal, company_slug), invoice_uuid)

    @get(
        "/{invoice_uuid:uuid}/pdf",
        summary="The invoice as a PDF (drafts carry a DRAFT watermark)",
        security=needs(Scope.INVOICES_READ),
        media_type="application/pdf",
        responses={
            200: ResponseSpec(
                bytes, description="application/pdf", media_type="application/pdf", generate_examples=False
            )
        },
    )
    async def invoice_pdf(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        state: State,
    ) -> Response[bytes]:
        document = await billing.invoices.document(await billing.access(principal, company_slug), invoice_uuid)
        return await pdf_response(state, document, {"Cache-Control": "private, no-cache"})

    @patch(
        "/{invoice_uuid:uuid}",
        summary="Update a draft that is not finalized",
        responses=ACTION_RESPONSE,
        security=needs(Scope.INVOICES_WRITE),
    )
    async def update_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        data: JSONBody[InvoiceUpdate],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.update",
            data,
            lambda dry: invoices.update_invoice(access, invoice_uuid, data, dry_run=dry),
            access=access,
            target=invoice_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result)

    @delete(
        "/{invoice_uuid:uuid}",
        summary="Delete a draft that was never finalized",
        security=needs(Scope.INVOICES_WRITE),
    )
    async def delete_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
    ) -> None:
        await billing.invoices.delete_invoice(await billing.access(principal, company_slug), invoice_uuid)

    @post(
        "/{invoice_uuid:uuid}/finalize",
        summary="Lock the content and assign the number",
        responses=ACTION_RESPONSE,
        status_code=200,
        security=needs(Scope.INVOICES_WRITE),
    )
    async def finalize_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.finalize",
            None,
            lambda dry: invoices.finalize(access, invoice_uuid, dry_run=dry),
            access=access,
            target=invoice_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result)

    @post(
        "/{invoice_uuid:uuid}/send",
        summary="Send (a draft is finalized first) or remind",
        responses=ACTION_RESPONSE,
        status_code=200,
        security=needs(Scope.INVOICES_SEND),
    )
    async def send_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        data: JSONBody[SendInput | None] = None,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        body = data or SendInput()
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.send",
            body,
            lambda dry: invoices.send(access, invoice_uuid, body, dry_run=dry),
            access=access,
            target=invoice_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result)

    @post(
        "/{invoice_uuid:uuid}/payments",
        summary="Record a payment (amount defaults to the balance due)",
        responses=ACTION_RESPONSE,
        status_code=200,
        security=needs(Scope.PAYMENTS_WRITE),
    )
    async def record_payment(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        data: JSONBody[PaymentInput | None] = None,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        body = data or PaymentInput()
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.payment",
            body,
            lambda dry: invoices.mark_paid(access, invoice_uuid, body, dry_run=dry),
            access=access,
            target=invoice_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result)

    @post(
        "/{invoice_uuid:uuid}/cancel",
        summary="Cancel with an optional reason",
        responses=ACTION_RESPONSE,
        status_code=200,
        security=needs(Scope.INVOICES_WRITE),
    )
    async def cancel_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        data: JSONBody[CancelInput | None] = None,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        body = data or CancelInput()
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.cancel",
            body,
            lambda dry: invoices.cancel(access, invoice_uuid, body, dry_run=dry),
            access=access,
            target=invoice_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result)

    @post(
        "/{invoice_uuid:uuid}/duplicate",
        summary="Copy into a new draft with new dates",
        responses=DRY_RUN_RESPONSE,
        security=needs(Scope.INVOICES_WRITE),
    )
    async def duplicate_invoice(
        self,
        company_slug: FromPath[str],
        invoice_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        idempotency_key: IdempotencyKeyHeader,
        data: JSONBody[DuplicateInput | None] = None,
        dry_run: DryRun = False,
    ) -> Response[InvoiceOut]:
        body = data or DuplicateInput()
        access, invoices = await billing.access(principal, company_slug), billing.invoices
        result = await billing.mutate(
            principal,
            "invoice.duplicate",
            body,
            lambda dry: invoices.duplicate(access, invoice_uuid, body, dry_run=dry),
            access=access,
            target=invoice_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result, 201)
