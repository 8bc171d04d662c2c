"""Client pages: the searchable list, creating and editing a client, and one client's
invoices with what they owe."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.response import Redirect, Template

from app.domain.access import Scope
from app.domain.einvoice_formats import LABELS as EINVOICE_LABELS
from app.domain.errors import Conflict, ValidationFailed
from app.domain.languages import LANGUAGES
from app.domain.schemas import ClientInput, ClientUpdate, InvoiceFilter
from app.faces import BillingDep
from app.sessions import flash, read_form, text
from app.web.pages import AnyRequest, Segment, ViewerDep, change, field_errors, page, page_number, parse_uuid, to_struct

FIELDS = list(ClientInput.__struct_fields__)
PER_PAGE = 25
FORMAT_LABELS = {fmt.value: label for fmt, label in EINVOICE_LABELS.items()}


@get("/w/{company_slug:str}/clients", include_in_schema=False)
async def client_list(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    search = (request.query_params.get("q") or "").strip()[:200]
    clients = await billing.clients.list_page(access, search or None, page_number(request), PER_PAGE)
    return await page(
        request, "web/clients.html", billing=billing, viewer=viewer, access=access, section="clients",
        clients=clients, search=search, pager_query=f"{urlencode({'q': search})}&" if search else "",
    )  # fmt: skip


async def _form_page(
    request: AnyRequest, slug: str, viewer: ViewerDep, billing: BillingDep, *, client: Any = None, **extra: Any
) -> Template:
    access = await billing.access(viewer.principal, slug)
    access.require(Scope.CLIENTS_WRITE)  # a viewer is told so, not shown a form they cannot save
    values = extra.pop("values", None) or ({f: getattr(client, f) for f in FIELDS} if client else {})
    return await page(
        request, "web/client_form.html", billing=billing, viewer=viewer, access=access, section="clients",
        client=client, values=values, languages=LANGUAGES, einvoice_formats=FORMAT_LABELS, **{"errors": {}, **extra},
    )  # fmt: skip


@get("/w/{company_slug:str}/clients/new", include_in_schema=False)
async def new_client_page(
    request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    return await _form_page(request, company_slug, viewer, billing)


@post("/w/{company_slug:str}/clients/new", include_in_schema=False)
async def create_client(request: AnyRequest, company_slug: Segment, viewer: ViewerDep, billing: BillingDep) -> Any:
    form = await read_form(request)
    values = {f: text(form, f) for f in FIELDS}
    access = await billing.access(viewer.principal, company_slug)
    try:
        data = to_struct(ClientInput, values)
        created = await change(billing, viewer, "client.create", lambda: billing.clients.create_client(access, data))
    except ValidationFailed as error:
        return await _form_page(
            request, company_slug, viewer, billing, values=values, errors=field_errors(error), status=422
        )
    flash(request, f"{created.name} is added.")
    return Redirect(f"/w/{company_slug}/clients/{created.uuid}", status_code=303)


@get("/w/{company_slug:str}/clients/{client_uuid:str}", include_in_schema=False)
async def client_detail(
    request: AnyRequest, company_slug: Segment, client_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(client_uuid)
    client = await billing.clients.get_out(access, key)
    invoices = await billing.invoices.list_page(
        access, InvoiceFilter(client_uuid=key, page=page_number(request), per_page=PER_PAGE)
    )
    return await page(
        request, "web/client.html", billing=billing, viewer=viewer, access=access, section="clients",
        client=client, invoices=invoices, balances=await billing.clients.balance(access, key),
        can_write=access.allows(Scope.CLIENTS_WRITE),
    )  # fmt: skip


@get("/w/{company_slug:str}/clients/{client_uuid:str}/edit", include_in_schema=False)
async def edit_client_page(
    request: AnyRequest, company_slug: Segment, client_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Template:
    access = await billing.access(viewer.principal, company_slug)
    client = await billing.clients.get_out(access, parse_uuid(client_uuid))
    return await _form_page(request, company_slug, viewer, billing, client=client)


@post("/w/{company_slug:str}/clients/{client_uuid:str}/edit", include_in_schema=False)
async def update_client(
    request: AnyRequest, company_slug: Segment, client_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Any:
    form = await read_form(request)
    values = {f: text(form, f) for f in FIELDS}
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(client_uuid)
    try:
        data = to_struct(ClientUpdate, values)
        updated = await change(
            billing, viewer, "client.update", lambda: billing.clients.update_client(access, key, data)
        )
    except ValidationFailed as error:
        client = await billing.clients.get_out(access, key)
        return await _form_page(
            request, company_slug, viewer, billing, client=client, values=values, errors=field_errors(error),
            status=422,
        )  # fmt: skip
    flash(request, f"{updated.name} is saved.")
    return Redirect(f"/w/{company_slug}/clients/{key}", status_code=303)


@post("/w/{company_slug:str}/clients/{client_uuid:str}/delete", include_in_schema=False)
async def delete_client(
    request: AnyRequest, company_slug: Segment, client_uuid: Segment, viewer: ViewerDep, billing: BillingDep
) -> Redirect:
    await read_form(request)
    access = await billing.access(viewer.principal, company_slug)
    key = parse_uuid(client_uuid)
    client = await billing.clients.get_out(access, key)
    try:
        await change(billing, viewer, "client.delete", lambda: billing.clients.delete_client(access, key))
    except Conflict as error:
        flash(request, f"{client.name} is kept: {error.detail}.", "error")
        return Redirect(f"/w/{company_slug}/clients/{key}", status_code=303)
    flash(request, f"{client.name} is deleted.")
    return Redirect(f"/w/{company_slug}/clients", status_code=303)


ROUTES = [
    client_list,
    new_client_page,
    create_client,
    client_detail,
    edit_client_page,
    update_client,
    delete_client,
]
