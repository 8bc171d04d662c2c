"""The web's received e-invoices: upload a supplier's XML or Factur-X PDF, see the list, and
read one (what it says, and what the official rules of its format found), read-only."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from app.domain.errors import ValidationFailed
from app.domain.schemas import ListQuery
from app.faces import BillingDep, attachment_response
from app.sessions import flash, read_form
from app.web.pages import AnyRequest, Segment, ViewerDep, change, page, page_number, parse_uuid


@get("/w/{company_slug:str}/received", include_in_schema=False)
async def received_list(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    query = ListQuery(page=page_number(request), per_page=50)
    received = await billing.received.list_page(access, query)
    return await page(
        request, "web/received.html", billing=billing, viewer=viewer, access=access, section="invoices",
        received=received,
    )  # fmt: skip


@post("/w/{company_slug:str}/received", include_in_schema=False)
async def receive(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        flash(request, "Choose the file to read: an XML e-invoice or a Factur-X PDF.", "error")
        return Redirect(f"/w/{company_slug}/received", status_code=303)
    data = await upload.read()
    try:
        out = await change(
            billing,
            viewer,
            "received.import",
            lambda: billing.received.receive(access, data, upload.filename or "e-invoice"),
        )
    except ValidationFailed as error:
        flash(request, f"That file was not read: {error.detail}", "error")
        return Redirect(f"/w/{company_slug}/received", status_code=303)
    flash(request, "Received and checked." if out.valid else "Received: it breaks rules of its format, listed below.")
    return Redirect(f"/w/{company_slug}/received/{out.uuid}", status_code=303)


@get("/w/{company_slug:str}/received/{received_uuid:str}", include_in_schema=False)
async def received_page(
    request: AnyRequest, company_slug: Segment, received_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    item = await billing.received.get(access, parse_uuid(received_uuid))
    return await page(
        request, "web/received_invoice.html", billing=billing, viewer=viewer, access=access, section="invoices",
        item=item, invoice=item.invoice,
    )  # fmt: skip


@get("/w/{company_slug:str}/received/{received_uuid:str}/file", include_in_schema=False)
async def received_file(
    company_slug: Segment, received_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Response[bytes]:
    access = await billing.access(viewer.principal, company_slug)
    row = await billing.received.find(access, parse_uuid(received_uuid))
    return attachment_response(row.content, row.content_type, row.filename)


ROUTES = [received_list, receive, received_page, received_file]
