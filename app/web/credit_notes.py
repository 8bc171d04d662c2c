"""The web's credit notes: the list of a workspace's credit notes, one credit note's page,
and its PDF. They are issued from the invoice page (``credit`` in ``invoice_actions``)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.response import Template

from app.domain.schemas import ListQuery
from app.faces import BillingDep, pdf_response
from app.web.pages import PRIVATE, AnyRequest, Segment, ViewerDep, page, parse_uuid


@get("/w/{company_slug:str}/credit-notes", include_in_schema=False)
async def credit_note_list(
    request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    number = request.query_params.get("page", "1")
    query = ListQuery(page=int(number) if number.isdigit() and 0 < int(number) <= 100_000 else 1, per_page=50)
    notes = await billing.invoices.list_credit_notes(access, query)
    return await page(
        request, "web/credit_notes.html", billing=billing, viewer=viewer, access=access, section="invoices", notes=notes
    )


@get("/w/{company_slug:str}/credit-notes/{note_uuid:str}", include_in_schema=False)
async def credit_note_page(
    request: AnyRequest, company_slug: Segment, note_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    note = await billing.invoices.get_credit_note(access, parse_uuid(note_uuid))
    return await page(
        request, "web/credit_note.html", billing=billing, viewer=viewer, access=access, section="invoices", note=note
    )


@get("/w/{company_slug:str}/credit-notes/{note_uuid:str}/pdf", include_in_schema=False)
async def credit_note_pdf(
    company_slug: Segment, note_uuid: Segment, viewer: ViewerDep, billing: BillingDep, state: State
) -> Response[bytes]:
    access = await billing.access(viewer.principal, company_slug)
    document = await billing.invoices.credit_note_document(access, parse_uuid(note_uuid))
    return await pdf_response(state, document, PRIVATE)


ROUTES = [credit_note_list, credit_note_page, credit_note_pdf]
