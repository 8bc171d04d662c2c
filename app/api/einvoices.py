"""REST routes for e-invoices (DESIGN section 8b): an invoice's or a credit note's e-invoice
in a format (``GET .../einvoice?format=``; the client's format when none is named; XML, or the
Factur-X PDF), and the checks of an invoice's e-invoice, a draft's included, before it is
finalized (``POST .../invoices/{uuid}/validate``); and e-invoices received from suppliers
(``.../received-invoices``: the file as the body, read into a view with its checks, kept,
listed, read back). The rules live in ``app.einvoice`` and ``app.domain.received``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from app.api.paging import PER_PAGE, PageNumber, PerPage, Search
from app.domain.access import Scope
from app.domain.outputs import Page
from app.domain.received import ReceivedOut, ReceivedSummary
from app.domain.schemas import ListQuery
from app.einvoice.render import EinvoiceReport, report
from app.faces import BillingDep, PrincipalDep, attachment_response, einvoice_response, needs

Format = Annotated[
    str | None,
    QueryParameter(
        name="format",
        description="xrechnung-ubl, xrechnung-cii, facturx or peppol; the client's format when not given",
    ),
]
FILE = {
    200: ResponseSpec(
        bytes,
        description="application/xml (XRechnung, Peppol) or application/pdf (Factur-X)",
        media_type="application/xml",
        generate_examples=False,
    )
}


@get(
    "/api/v1/workspaces/{company_slug:str}/invoices/{invoice_uuid:uuid}/einvoice",
    summary="The invoice's e-invoice (XRechnung UBL/CII, Factur-X PDF, Peppol BIS), checked",
    tags=["e-invoices"],
    responses=FILE,
    security=needs(Scope.INVOICES_READ),
)
async def invoice_einvoice(
    company_slug: FromPath[str],
    invoice_uuid: FromPath[uuid.UUID],
    principal: PrincipalDep,
    billing: BillingDep,
    state: State,
    fmt: Format = None,
) -> Response[bytes]:
    access = await billing.access(principal, company_slug)
    checked, document = await billing.invoices.einvoice(access, invoice_uuid, fmt)
    return await einvoice_response(state, checked, document)


@post(
    "/api/v1/workspaces/{company_slug:str}/invoices/{invoice_uuid:uuid}/validate",
    summary="Check the invoice's e-invoice (a draft's too): every broken rule and the field to fix",
    tags=["e-invoices"],
    status_code=200,
    security=needs(Scope.INVOICES_READ),
)
async def validate_invoice(
    company_slug: FromPath[str],
    invoice_uuid: FromPath[uuid.UUID],
    principal: PrincipalDep,
    billing: BillingDep,
    fmt: Format = None,
) -> EinvoiceReport:
    access = await billing.access(principal, company_slug)
    checked, _ = await billing.invoices.einvoice(access, invoice_uuid, fmt, draft=True)
    return report(checked)


@get(
    "/api/v1/workspaces/{company_slug:str}/credit-notes/{note_uuid:uuid}/einvoice",
    summary="The credit note's e-invoice, checked",
    tags=["e-invoices"],
    responses=FILE,
    security=needs(Scope.INVOICES_READ),
)
async def credit_note_einvoice(
    company_slug: FromPath[str],
    note_uuid: FromPath[uuid.UUID],
    principal: PrincipalDep,
    billing: BillingDep,
    state: State,
    fmt: Format = None,
) -> Response[bytes]:
    access = await billing.access(principal, company_slug)
    checked, document = await billing.invoices.credit_note_einvoice(access, note_uuid, fmt)
    return await einvoice_response(state, checked, document)


@post(
    "/api/v1/workspaces/{company_slug:str}/received-invoices",
    summary="Receive a supplier's e-invoice (XML or Factur-X PDF as the body): read, checked and kept",
    tags=["e-invoices"],
    status_code=201,
    security=needs(Scope.INVOICES_WRITE),
)
async def receive_einvoice(
    company_slug: FromPath[str],
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    billing: BillingDep,
    filename: Annotated[str, QueryParameter(description="The file's name, kept with it")] = "e-invoice",
) -> ReceivedOut:
    access = await billing.access(principal, company_slug)
    body = await request.body()
    received: ReceivedOut = await billing.mutate(
        principal, "received.import", None, lambda _dry: billing.received.receive(access, body, filename), access=access
    )
    return received


@get(
    "/api/v1/workspaces/{company_slug:str}/received-invoices",
    summary="List received e-invoices, newest first",
    tags=["e-invoices"],
    security=needs(Scope.INVOICES_READ),
)
async def list_received(
    company_slug: FromPath[str],
    principal: PrincipalDep,
    billing: BillingDep,
    search: Search = None,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> Page[ReceivedSummary]:
    query = ListQuery(search=search, page=page, per_page=per_page)
    return await billing.received.list_page(await billing.access(principal, company_slug), query)


@get(
    "/api/v1/workspaces/{company_slug:str}/received-invoices/{received_uuid:uuid}",
    summary="A received e-invoice: what it says and what its checks found",
    tags=["e-invoices"],
    security=needs(Scope.INVOICES_READ),
)
async def get_received(
    company_slug: FromPath[str], received_uuid: FromPath[uuid.UUID], principal: PrincipalDep, billing: BillingDep
) -> ReceivedOut:
    return await billing.received.get(await billing.access(principal, company_slug), received_uuid)


@get(
    "/api/v1/workspaces/{company_slug:str}/received-invoices/{received_uuid:uuid}/file",
    summary="The received file as it came",
    tags=["e-invoices"],
    responses=FILE,
    security=needs(Scope.INVOICES_READ),
)
async def received_file(
    company_slug: FromPath[str], received_uuid: FromPath[uuid.UUID], principal: PrincipalDep, billing: BillingDep
) -> Response[bytes]:
    row = await billing.received.find(await billing.access(principal, company_slug), received_uuid)
    return attachment_response(row.content, row.content_type, row.filename)
