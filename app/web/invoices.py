"""Invoice pages: the list with status filters and search, the editor with running totals,
the invoice with its preview, payments, deliveries and history, and the lifecycle actions.

Only the actions the invoice allows now are offered. When a page was stale (someone else
acted meanwhile) the refusal says what changed and what can be done now."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from app.documents.html import invoice_html
from app.domain.access import Scope, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.deliveries import stalled_emails
from app.domain.errors import InvalidTransition, NotFound, ValidationFailed
from app.domain.invoices import ACTION_SCOPE, permitted_actions
from app.domain.lifecycle import Action, Status, is_finalized_draft
from app.domain.outputs import InvoiceOut
from app.domain.schemas import SEARCH_MAX, FromPreviousInput, InvoiceFilter
from app.domain.workspaces import today_in
from app.faces import BillingDep, pdf_response
from app.security_headers import DOCUMENT_CSP
from app.sessions import flash, read_form, text
from app.web.editor import VAT_CHOICES, Editor
from app.web.format import status_word
from app.web.pages import (
    HTML,
    PRIVATE,
    AnyRequest,
    Segment,
    Viewer,
    ViewerDep,
    change,
    page,
    page_number,
    parse_uuid,
    to_struct,
)

STATUSES = [s.value for s in Status]
PER_PAGE = 25
MAX_CLIENT_CHOICES = 500


def base_path(slug: str, invoice_uuid: uuid.UUID | str | None = None) -> str:
    return f"/w/{slug}/invoices" + (f"/{invoice_uuid}" if invoice_uuid else "")


# --- list -----------------------------------------------------------------------------------


@get("/w/{company_slug:str}/invoices", include_in_schema=False)
async def invoice_list(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    params = request.query_params
    status = params.get("status") or None
    status = status if status in STATUSES else None
    search = (params.get("q") or "").strip()[:SEARCH_MAX]
    number = page_number(request)
    chosen = {k: (params.get(k) or "").strip() for k in ("client", "from", "to")}
    try:
        query = to_struct(
            InvoiceFilter,
            {
                "status": status, "search": search or None, "page": number, "per_page": PER_PAGE,
                "client_uuid": chosen["client"] or None, "date_from": chosen["from"] or None,
                "date_to": chosen["to"] or None,
            },
        )  # fmt: skip
        invoices = await billing.invoices.list_page(access, query)
        problem = None
    except ValidationFailed as error:
        invoices = await billing.invoices.list_page(access, InvoiceFilter(status=status, per_page=PER_PAGE))
        problem = f"The filter was not applied: {error.detail}."
    clients = (await billing.clients.list_page(access, None, 1, 100)).items
    kept = {"status": status or "", "q": search, **chosen}
    pager_query = urlencode({k: v for k, v in kept.items() if v})
    return await page(
        request, "web/invoices.html", billing=billing, viewer=viewer, access=access, section="invoices",
        invoices=invoices, status_filter=status, search=search, statuses=STATUSES, clients=clients,
        chosen=chosen, problem=problem, pager_query=f"{pager_query}&" if pager_query else "",
    )  # fmt: skip


# --- the editor -----------------------------------------------------------------------------


async def _editor_page(
    request: AnyRequest,
    access: WorkspaceAccess,
    viewer: Viewer,
    billing: Billing,
    editor: Editor,
    invoice: InvoiceOut | None = None,
    status: int = 200,
) -> Template:
    access.require(Scope.INVOICES_WRITE)  # a viewer is told so, not shown a form they cannot save
    clients = (await billing.clients.list_page(access, None, 1, 100)).items
    next_number = None if invoice and invoice.number else (await billing.invoices.suggest_number(access)).number
    slug = access.workspace.slug
    return await page(
        request, "web/invoice_edit.html", billing=billing, viewer=viewer, access=access, section="invoices",
        editor=editor, invoice=invoice, clients=clients, status=status, next_number=next_number,
        vat_categories=VAT_CHOICES,
        action=f"{base_path(slug, invoice.uuid)}/edit" if invoice else f"{base_path(slug)}/new",
    )  # fmt: skip


@get("/w/{company_slug:str}/invoices/new", include_in_schema=False)
async def new_invoice_page(
    request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    workspace = access.workspace
    today = today_in(workspace)
    due = today + dt.timedelta(days=workspace.payment_terms_days)
    client = request.query_params.get("client", "")
    editor = Editor.blank(workspace.default_currency, today, due, client)
    editor.add_row()
    editor.add_row()
    return await _editor_page(request, access, viewer, billing, editor)


async def _editor_post(
    request: AnyRequest, slug: str, viewer: Viewer, billing: Billing, invoice_uuid: uuid.UUID | None
) -> Any:
    form = await read_form(request)
    access = await billing.access(viewer.principal, slug)
    invoice = await billing.invoices.get_out(access, invoice_uuid) if invoice_uuid else None
    editor = Editor.read(form)
    command = text(form, "command") or "save"
    if command == "add":
        editor.add_row()
    elif command.startswith("remove:") and command[7:].isdigit():
        editor.remove_row(int(command[7:]))
    elif command == "add-adjustment":
        editor.add_adjustment()
    elif command.startswith("remove-adjustment:") and command[18:].isdigit():
        editor.remove_adjustment(int(command[18:]))
    if command != "save":
        editor.price()
        return await _editor_page(request, access, viewer, billing, editor, invoice)
    try:
        if invoice is None:
            draft = editor.create_input()
            saved = await change(
                billing, viewer, "invoice.create", lambda: billing.invoices.create_invoice(access, draft)
            )
        else:
            edited, target = editor.update_input(), invoice.uuid
            saved = await change(
                billing, viewer, "invoice.update", lambda: billing.invoices.update_invoice(access, target, edited)
            )
    except (ValidationFailed, InvalidTransition, NotFound) as error:
        if isinstance(error, InvalidTransition):
            flash(request, refusal(error, invoice.status if invoice else None), "error")
            return Redirect(base_path(slug, invoice_uuid), status_code=303)
        if isinstance(error, NotFound) and error.extra.get("field") != "client_uuid":
            raise
        editor.fail(
            error if isinstance(error, ValidationFailed) else ValidationFailed.field("client_uuid", error.detail)
        )
        editor.price()
        return await _editor_page(request, access, viewer, billing, editor, invoice, status=422)
    assert isinstance(saved, InvoiceOut)
    flash(request, "The draft is saved." if invoice else "The draft is created. Finalize or send it when it is ready.")
    return Redirect(base_path(slug, saved.uuid), status_code=303)


@post("/w/{company_slug:str}/invoices/new", include_in_schema=False)
async def create_invoice(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Any:
    return await _editor_post(request, company_slug, viewer, billing, None)


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}/edit", include_in_schema=False)
async def edit_invoice_page(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
) -> Any:
    access = await billing.access(viewer.principal, company_slug)
    invoice = await billing.invoices.get_out(access, parse_uuid(invoice_uuid))
    if "update" not in invoice.allowed_actions:
        flash(
            request,
            f"This invoice is {_state(invoice)} and its content is locked: it can no longer be edited.",
            "error",
        )
        return Redirect(base_path(company_slug, invoice.uuid), status_code=303)
    return await _editor_page(request, access, viewer, billing, Editor.of(invoice), invoice)


@post("/w/{company_slug:str}/invoices/{invoice_uuid:str}/edit", include_in_schema=False)
async def update_invoice(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
) -> Any:
    return await _editor_post(request, company_slug, viewer, billing, parse_uuid(invoice_uuid))


@post("/w/{company_slug:str}/invoices/totals", include_in_schema=False)
async def running_totals(
    request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    """The totals block of the editor for the form as typed (fetched by the page's script)."""
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    editor = Editor.read(form)
    editor.price()
    return Template(
        "web/editor_totals.html",
        context={"editor": editor, "nav": {"current": access.workspace}},
        media_type=HTML,
        headers=PRIVATE,
    )


# --- one invoice ----------------------------------------------------------------------------


def _state(invoice: InvoiceOut) -> str:
    if is_finalized_draft(invoice):
        return "finalized"
    return status_word(invoice.status).lower()


async def detail_page(
    request: AnyRequest,
    access: WorkspaceAccess,
    viewer: Viewer,
    billing: Billing,
    invoice_uuid: uuid.UUID,
    *,
    forms: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> Template:
    """The invoice page; ``forms`` re-shows an action's form as it was typed, with the
    errors that refused it (``{"send": {"values": {...}, "errors": {...}}}``)."""
    invoice = await billing.invoices.get_out(access, invoice_uuid)
    client = await billing.clients.get_out(access, invoice.client.uuid) if invoice.client else None
    allowed = set(permitted_actions(access, invoice))
    next_number = (await billing.invoices.suggest_number(access)).number if "finalize" in allowed else None
    stalled = await stalled_emails(billing.session, access, invoice.uuid)
    shown: dict[str, dict[str, Any]] = {name: {"values": {}, "errors": {}} for name in ("send", "finalize", "credit")}
    shown.update(forms or {})
    return await page(
        request, "web/invoice.html", billing=billing, viewer=viewer, access=access, section="invoices",
        invoice=invoice, client=client, allowed=allowed, state=_state(invoice),
        today=today_in(access.workspace).isoformat(), next_number=next_number, stalled=stalled,
        forms=shown, status=status,
    )  # fmt: skip


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}", include_in_schema=False)
async def invoice_detail(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    return await detail_page(request, access, viewer, billing, parse_uuid(invoice_uuid))


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}/delete", include_in_schema=False)
async def delete_confirmation(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
) -> Any:
    """Deleting a draft is for good: this page asks first, with or without JavaScript, and
    its form is the only one that deletes."""
    access = await billing.access(viewer.principal, company_slug)
    invoice = await billing.invoices.get_out(access, parse_uuid(invoice_uuid))
    access.require(ACTION_SCOPE[Action.DELETE])  # a viewer is told so, not shown a form they cannot use
    if "delete" not in invoice.allowed_actions:
        flash(
            request,
            f"This invoice is {_state(invoice)}: it cannot be deleted"
            + (", only cancelled." if "cancel" in invoice.allowed_actions else "."),
            "error",
        )
        return Redirect(base_path(company_slug, invoice.uuid), status_code=303)
    return await page(
        request, "web/invoice_delete.html", billing=billing, viewer=viewer, access=access, section="invoices",
        invoice=invoice,
    )  # fmt: skip


@post("/w/{company_slug:str}/invoices/{invoice_uuid:str}/delete", include_in_schema=False)
async def delete_draft(
    request: AnyRequest,
    company_slug: Segment,
    invoice_uuid: Segment,
    viewer: ViewerDep,
    billing: BillingDep,
) -> Redirect:
    """Deletes only when posted from the confirmation page (``confirm=yes``); any other post
    (an old page's button) is sent there to be asked first."""
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(invoice_uuid)
    if text(form, "confirm") != "yes":
        await billing.invoices.get_out(access, key)  # another workspace's invoice: not found, as everywhere
        return Redirect(f"{base_path(company_slug, key)}/delete", status_code=303)
    try:
        await change(billing, viewer, "invoice.delete", lambda: billing.invoices.delete_invoice(access, key))
    except InvalidTransition as error:
        flash(request, refusal(error, text(form, "seen_status") or None), "error")
        return Redirect(base_path(company_slug, key), status_code=303)
    flash(request, "The draft is deleted.")
    return Redirect(base_path(company_slug), status_code=303)


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}/preview", include_in_schema=False)
async def invoice_preview(
    company_slug: Segment, invoice_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Response[str]:
    """The document the PDF is printed from, for the page's preview frame."""
    access = await billing.access(viewer.principal, company_slug)
    document = await billing.invoices.document(access, parse_uuid(invoice_uuid))
    return Response(
        invoice_html(document), media_type=HTML, headers={**PRIVATE, "Content-Security-Policy": DOCUMENT_CSP}
    )


@get("/w/{company_slug:str}/invoices/{invoice_uuid:str}/pdf", include_in_schema=False)
async def invoice_pdf(
    company_slug: Segment, invoice_uuid: Segment, viewer: ViewerDep, billing: BillingDep, state: State
) -> Response[bytes]:
    access = await billing.access(viewer.principal, company_slug)
    document = await billing.invoices.document(access, parse_uuid(invoice_uuid))
    return await pdf_response(state, document, PRIVATE)


# --- lifecycle actions ----------------------------------------------------------------------


def refusal(error: InvalidTransition, seen: str | None) -> str:
    """A refusal said for a person: what changed since the page was loaded, if anything,
    and what can be done now."""
    now = str(error.extra.get("current_status", ""))
    allowed = [a.replace("_", " ") for a in error.extra.get("allowed_actions", [])]
    why = error.why
    changed = (
        f"This invoice changed since the page was loaded: it was {seen} and is now {now}. "
        if seen and seen != now
        else ""
    )
    can_now = f"What you can do now: {', '.join(allowed)}." if allowed else "Nothing more can be done with it."
    return f"{changed}The action was not done: {why}. {can_now}"


@post("/w/{company_slug:str}/invoices/from-previous", include_in_schema=False)
async def from_previous(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Redirect:
    form = await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    try:
        start = FromPreviousInput(client_uuid=parse_uuid(text(form, "client_uuid")))
        created = await change(
            billing, viewer, "invoice.from_previous", lambda: billing.invoices.from_previous(access, start)
        )
    except NotFound as error:
        flash(request, f"No invoice to start from: {error.detail}.", "error")
        return Redirect(base_path(company_slug), status_code=303)
    assert isinstance(created, InvoiceOut)
    flash(request, "A new draft from this client's latest invoice, with new dates. Check it and save.")
    return Redirect(f"{base_path(company_slug, created.uuid)}/edit", status_code=303)


ROUTES = [
    invoice_list,
    new_invoice_page,
    create_invoice,
    running_totals,
    from_previous,
    edit_invoice_page,
    update_invoice,
    invoice_detail,
    delete_confirmation,
    delete_draft,
    invoice_preview,
    invoice_pdf,
]
