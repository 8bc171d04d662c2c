"""The web's credit notes: the list of a workspace's credit notes, one credit note's page,
and its PDF. They are issued from the invoice page (``credit`` in ``invoice_actions``)."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from app.domain.einvoice_formats import LABELS
from app.domain.errors import ValidationFailed
from app.domain.mail_limits import EmailLimitReached
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ListQuery, SendInput
from app.faces import BillingDep, pdf_response
from app.sessions import flash, read_form, text
from app.web.pages import PRIVATE, AnyRequest, Segment, ViewerDep, change, page, page_number, parse_uuid, to_struct


@get("/w/{company_slug:str}/credit-notes", include_in_schema=False)
async def credit_note_list(
    request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    query = ListQuery(page=page_number(request), per_page=50)
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
        request,
        "web/credit_note.html",
        billing=billing,
        viewer=viewer,
        access=access,
        section="invoices",
        note=note,
        einvoice_formats={fmt.value: label for fmt, label in LABELS.items()},
    )


@get("/w/{company_slug:str}/credit-notes/{note_uuid:str}/pdf", include_in_schema=False)
async def credit_note_pdf(
    company_slug: Segment, note_uuid: Segment, viewer: ViewerDep, billing: BillingDep, state: State
) -> Response[bytes]:
    access = await billing.access(viewer.principal, company_slug)
    document = await billing.invoices.credit_note_document(access, parse_uuid(note_uuid))
    return await pdf_response(state, document, PRIVATE)


@post("/w/{company_slug:str}/credit-notes/{note_uuid:str}/send", include_in_schema=False)
async def send_credit_note(
    request: AnyRequest, company_slug: Segment, note_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Redirect:
    """Email the credit note to the client (or to the addresses typed)."""
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(note_uuid)
    to = [a.strip() for a in text(form, "to").replace(";", ",").split(",") if a.strip()]
    sending = to_struct(SendInput, {"to": to or None, "message": text(form, "message") or None})
    path = f"/w/{company_slug}/credit-notes/{key}"
    try:
        done = await change(
            billing, viewer, "invoice.credit_note_send", lambda: billing.invoices.send_credit_note(access, key, sending)
        )
    except (ValidationFailed, EmailLimitReached) as error:
        detail = "; ".join(e["message"] for e in error.errors) if isinstance(error, ValidationFailed) else error.detail
        flash(request, f"The credit note was not emailed: {detail}.", "error")
        return Redirect(path, status_code=303)
    assert isinstance(done, InvoiceOut)
    flash(request, f"The credit note is on its way to {', '.join(done.history[-1].data['recipients'])}.")  # type: ignore[index]
    return Redirect(path, status_code=303)


ROUTES = [credit_note_list, credit_note_page, credit_note_pdf, send_credit_note]
