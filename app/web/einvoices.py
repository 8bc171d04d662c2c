"""The web's e-invoices: an invoice's e-invoice checked against the official rules of a
format, a draft's included ("what is missing for XRechnung?"), on a page that names each
broken rule and the field to fix with a link to where it is fixed; and the downloads of an
invoice's or a credit note's e-invoice (refused, back on that page, when it breaks a rule)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.response import Redirect, Template

from app.domain.einvoice_formats import LABELS, EinvoiceFormat
from app.domain.errors import Conflict, EinvoiceRejected, ValidationFailed
from app.einvoice.render import report
from app.faces import BillingDep, einvoice_response
from app.sessions import flash
from app.web.pages import AnyRequest, Segment, ViewerDep, page, parse_uuid

FORMATS = {fmt.value: label for fmt, label in LABELS.items()}


def fix_link(slug: str, invoice: Any, field: str) -> str | None:
    """Where a field is fixed: the settings, the client, or the invoice's editor (a draft)."""
    base = f"/w/{slug}"
    if field.startswith("settings"):
        return f"{base}/settings"
    if field.startswith("client") and invoice.client is not None:
        return f"{base}/clients/{invoice.client.uuid}/edit"
    if invoice.finalized_at is None:
        return f"{base}/invoices/{invoice.uuid}/edit"
    return None


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}/einvoice/check", include_in_schema=False)
async def einvoice_check(
    request: AnyRequest, company_slug: Segment, invoice_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(invoice_uuid)
    chosen = request.query_params.get("format") or None
    try:
        checked, document = await billing.invoices.einvoice(access, key, chosen, draft=True)
    except ValidationFailed as error:
        invoice = await billing.invoices.get_out(access, key)
        return await page(
            request, "web/einvoice_check.html", billing=billing, viewer=viewer, access=access, section="invoices",
            invoice=invoice, result=None, problem=error.detail, formats=FORMATS, chosen=chosen or "", links={},
        )  # fmt: skip
    result = report(checked)
    links = {f.field: fix_link(company_slug, document.invoice, f.field) for f in result.errors}
    return await page(
        request, "web/einvoice_check.html", billing=billing, viewer=viewer, access=access, section="invoices",
        invoice=document.invoice, result=result, problem=None, formats=FORMATS, chosen=checked.format.value,
        label=LABELS[EinvoiceFormat(checked.format)], links=links,
    )  # fmt: skip


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}/einvoice", include_in_schema=False)
async def invoice_einvoice(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
    state: State,
) -> Response[bytes] | Redirect:
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(invoice_uuid)
    chosen = request.query_params.get("format") or None
    try:
        checked, document = await billing.invoices.einvoice(access, key, chosen)
        return await einvoice_response(state, checked, document)
    except EinvoiceRejected:
        flash(request, "This e-invoice breaks the rules of its format: here is what to fix.", "error")
    except (ValidationFailed, Conflict) as error:  # no format named, or still a draft
        flash(request, error.detail, "error")
    query = f"?format={chosen}" if chosen else ""
    return Redirect(f"/w/{company_slug}/invoices/{key}/einvoice/check{query}", status_code=303)


@get("/w/{company_slug:str}/credit-notes/{note_uuid:str}/einvoice", include_in_schema=False)
async def credit_note_einvoice(
    request: AnyRequest,
    company_slug: Segment,
    note_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
    state: State,
) -> Response[bytes] | Redirect:
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(note_uuid)
    try:
        checked, document = await billing.invoices.credit_note_einvoice(access, key, request.query_params.get("format"))
        return await einvoice_response(state, checked, document)
    except ValidationFailed as error:
        flash(request, error.detail, "error")
    return Redirect(f"/w/{company_slug}/credit-notes/{key}", status_code=303)


ROUTES = [einvoice_check, invoice_einvoice, credit_note_einvoice]
