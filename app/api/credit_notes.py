"""REST routes for credit notes: issued on an invoice (``POST .../invoices/{uuid}/credit-notes``,
with ``Idempotency-Key`` and ``?dry_run=true``, answering with the whole resulting invoice),
listed, read and printed; and the refund a credit note leaves due on a paid invoice, recorded
as an outgoing payment (``POST .../invoices/{uuid}/refunds``). The rules live in
``app.domain.invoices.credits`` and ``payments``."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from app.api.invoices import DryRun
from app.api.paging import PER_PAGE, PageNumber, PerPage, Search
from app.api.results import ACTION_RESPONSE, respond
from app.api.workspaces import IdempotencyKeyHeader
from app.domain.access import Scope
from app.domain.outputs import CreditNoteOut, InvoiceOut, Page
from app.domain.schemas import CreditInput, ListQuery, PaymentInput, SendInput
from app.faces import BillingDep, PrincipalDep, needs, pdf_response

PDF = {200: ResponseSpec(bytes, description="application/pdf", media_type="application/pdf", generate_examples=False)}


@post(
    "/api/v1/workspaces/{company_slug:str}/invoices/{invoice_uuid:uuid}/credit-notes",
    summary="Issue a credit note: the whole rest of the invoice, chosen lines, or an amount",
    tags=["credit notes"],
    responses=ACTION_RESPONSE,
    status_code=201,
    security=needs(Scope.INVOICES_WRITE),
)
async def credit_invoice(
    company_slug: FromPath[str],
    invoice_uuid: FromPath[uuid.UUID],
    data: JSONBody[CreditInput],
    principal: PrincipalDep,
    billing: BillingDep,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: DryRun = False,
) -> Response[InvoiceOut]:
    access, invoices = await billing.access(principal, company_slug), billing.invoices
    result = await billing.mutate(
        principal,
        "invoice.credit",
        data,
        lambda dry: invoices.credit(access, invoice_uuid, data, dry_run=dry),
        access=access,
        target=invoice_uuid,
        key=idempotency_key,
        dry_run=dry_run,
    )
    return respond(result, 201)


@post(
    "/api/v1/workspaces/{company_slug:str}/invoices/{invoice_uuid:uuid}/refunds",
    summary="Record money paid back to the client: the refund its credit notes left due (all of it by default)",
    tags=["credit notes"],
    responses=ACTION_RESPONSE,
    status_code=201,
    security=needs(Scope.PAYMENTS_WRITE),
)
async def record_refund(
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
        "invoice.refund",
        body,
        lambda dry: invoices.record_refund(access, invoice_uuid, body, dry_run=dry),
        access=access,
        target=invoice_uuid,
        key=idempotency_key,
        dry_run=dry_run,
    )
    return respond(result, 201)


class CreditNoteController(Controller):
    path = "/api/v1/workspaces/{company_slug:str}/credit-notes"
    tags = ["credit notes"]

    @get("/", summary="List credit notes, newest first", security=needs(Scope.INVOICES_READ))
    async def list_credit_notes(
        self,
        company_slug: FromPath[str],
        principal: PrincipalDep,
        billing: BillingDep,
        invoice_uuid: FromQuery[uuid.UUID | None] = None,
        search: Search = None,
        page: PageNumber = 1,
        per_page: PerPage = PER_PAGE,
    ) -> Page[CreditNoteOut]:
        access = await billing.access(principal, company_slug)
        query = ListQuery(search=search, page=page, per_page=per_page)
        return await billing.invoices.list_credit_notes(access, query, invoice_uuid)

    @post(
        "/{note_uuid:uuid}/send",
        summary="Email the credit note (its PDF attached) to the client, or to the addresses given",
        responses=ACTION_RESPONSE,
        status_code=200,
        security=needs(Scope.INVOICES_SEND),
    )
    async def send_credit_note(
        self,
        company_slug: FromPath[str],
        note_uuid: FromPath[uuid.UUID],
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
            "invoice.credit_note_send",
            body,
            lambda dry: invoices.send_credit_note(access, note_uuid, body, dry_run=dry),
            access=access,
            target=note_uuid,
            key=idempotency_key,
            dry_run=dry_run,
        )
        return respond(result)

    @get("/{note_uuid:uuid}", summary="Get a credit note", security=needs(Scope.INVOICES_READ))
    async def get_credit_note(
        self, company_slug: FromPath[str], note_uuid: FromPath[uuid.UUID], principal: PrincipalDep, billing: BillingDep
    ) -> CreditNoteOut:
        return await billing.invoices.get_credit_note(await billing.access(principal, company_slug), note_uuid)

    @get(
        "/{note_uuid:uuid}/pdf",
        summary="The credit note as a PDF",
        security=needs(Scope.INVOICES_READ),
        media_type="application/pdf",
        responses=PDF,
    )
    async def credit_note_pdf(
        self,
        company_slug: FromPath[str],
        note_uuid: FromPath[uuid.UUID],
        principal: PrincipalDep,
        billing: BillingDep,
        state: State,
    ) -> Response[bytes]:
        access = await billing.access(principal, company_slug)
        document = await billing.invoices.credit_note_document(access, note_uuid)
        return await pdf_response(state, document, {"Cache-Control": "private, no-cache"})
