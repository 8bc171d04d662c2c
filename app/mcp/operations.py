"""What each tool does, once: the action-style tools and the granular tools both call these.
Each operation reads its arguments from a ``Call`` and calls the domain, like REST does."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import mcp_types as types

from app.domain.access import Role
from app.domain.errors import NotFound, Unavailable
from app.domain.lifecycle import shows_draft_mark
from app.domain.outputs import CreditNoteDocument, InvoiceDocument
from app.domain.schemas import (
    CancelInput,
    ClientInput,
    ClientUpdate,
    CreditInput,
    DuplicateInput,
    FromPreviousInput,
    InvoiceCreate,
    InvoiceFilter,
    InvoiceUpdate,
    ListQuery,
    MemberInput,
    PaymentInput,
    SendInput,
    WorkspaceSettingsUpdate,
)
from app.domain.service import rehearsal
from app.downloads import DownloadLink, pdf_filename, sign_link
from app.mcp.calls import Call, ToolInputError

Operation = Callable[[Call], Awaitable[Any]]

INVOICE_FIELDS = (
    "title", "client_uuid", "currency", "number", "issue_date", "due_date", "notes", "tax_rate", "items",
    "delivery_date", "service_period_start", "service_period_end", "vat_exchange_rate",
    "tax_category", "exemption_reason", "exemption_code", "adjustments",
    "early_payment_discount", "early_payment_days",
)  # fmt: skip
LIST_FIELDS = ("status", "client_uuid", "delivery_status", "date_from", "date_to", "search", "page", "per_page")
SEND_FIELDS = ("to", "message", "notify")
PAYMENT_FIELDS = ("amount", "payment_date", "payment_method")
COPY_FIELDS = ("issue_date", "due_date")
CLIENT_FIELDS = tuple(ClientInput.__struct_fields__)
SETTINGS_FIELDS = tuple(WorkspaceSettingsUpdate.__struct_fields__)
MEMBER_FIELDS = tuple(MemberInput.__struct_fields__)


# --- invoices ---------------------------------------------------------------------------------


async def invoice_list(call: Call) -> Any:
    return await call.billing.invoices.list_page(await call.access(), call.struct(InvoiceFilter, LIST_FIELDS))


async def invoice_get(call: Call) -> Any:
    return await call.billing.invoices.get_out(await call.access(), call.uuid())


async def invoice_create(call: Call) -> Any:
    access = await call.access()
    call.require("title")
    data = call.struct(InvoiceCreate, INVOICE_FIELDS)
    invoices = call.billing.invoices
    return await call.mutate("invoice.create", data, lambda dry: invoices.create_invoice(access, data, dry_run=dry))


async def invoice_update(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(InvoiceUpdate, INVOICE_FIELDS)
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.update", data, lambda dry: invoices.update_invoice(access, target, data, dry_run=dry), target=target
    )


async def invoice_finalize(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.finalize", None, lambda dry: invoices.finalize(access, target, dry_run=dry), target=target
    )


async def invoice_send(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(SendInput, SEND_FIELDS)
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.send", data, lambda dry: invoices.send(access, target, data, dry_run=dry), target=target
    )


async def invoice_mark_paid(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(PaymentInput, PAYMENT_FIELDS)
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.payment", data, lambda dry: invoices.mark_paid(access, target, data, dry_run=dry), target=target
    )


async def invoice_cancel(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(CancelInput, ("reason",))
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.cancel", data, lambda dry: invoices.cancel(access, target, data, dry_run=dry), target=target
    )


async def invoice_delete(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.delete", None, lambda dry: invoices.delete_showing(access, target, dry_run=dry), target=target
    )


async def invoice_duplicate(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(DuplicateInput, (*COPY_FIELDS, "title"))
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.duplicate", data, lambda dry: invoices.duplicate(access, target, data, dry_run=dry), target=target
    )


async def invoice_from_previous(call: Call) -> Any:
    access = await call.access()
    call.uuid("client_uuid")
    data = call.struct(FromPreviousInput, ("client_uuid", *COPY_FIELDS))
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.from_previous", data, lambda dry: invoices.from_previous(access, data, dry_run=dry)
    )


async def invoice_suggest_number(call: Call) -> Any:
    return await call.billing.invoices.suggest_number(await call.access())


async def invoice_pdf(call: Call) -> Any:
    """The PDF as a resource link: a signed download URL that works for a few minutes without
    a token, with the file's name, size and type, so the file itself never fills the model's
    context. ``embed: true`` adds the file, embedded (base64), for a client that wants it."""
    access = await call.access()
    document = await call.billing.invoices.document(access, call.uuid())
    invoice = document.invoice
    return await _pdf_link(
        call, access.workspace.slug, document, invoice.uuid, invoice.number, "invoice",
        f"Invoice {invoice.number or 'draft'} (PDF)", f"invoices/{invoice.uuid}/pdf", status=invoice.status,
        draft=shows_draft_mark(invoice),
    )  # fmt: skip


async def _pdf_link(
    call: Call,
    slug: str,
    document: InvoiceDocument | CreditNoteDocument,
    target: uuid.UUID,
    number: str | None,
    kind: str,
    title: str,
    api_path: str,
    *,
    status: str,
    draft: bool = False,
) -> types.CallToolResult:
    embed = call.flag("embed")
    if call.pdfs is None:
        raise Unavailable("PDF rendering is not available on this server")
    pdf = await call.pdfs(document)
    filename = pdf_filename(number, kind)
    link_kind = "pdf" if kind == "invoice" else "credit-note-pdf"
    token, expires = sign_link(call.link_secret, DownloadLink(call.principal.user_id, slug, target, link_kind))
    url = f"{call.billing.base_url}/api/v1/downloads/{token}"
    summary = {"uuid": str(target), "number": number, "status": status, "draft_watermark": draft, "url": url,
               "expires_at": expires.isoformat(), "filename": filename, "mime_type": "application/pdf",
               "bytes": len(pdf)}  # fmt: skip
    content: list[types.ContentBlock] = [
        types.ResourceLink(
            type="resource_link", uri=url, name=filename, title=title, mime_type="application/pdf", size=len(pdf)
        ),
        types.TextContent(type="text", text=f"{filename} ({len(pdf)} bytes): {url}"),
    ]
    if embed:
        api = f"{call.billing.base_url}/api/v1/workspaces/{slug}/{api_path}"
        blob = types.BlobResourceContents(uri=api, mime_type="application/pdf", blob=base64.b64encode(pdf).decode())
        content.insert(0, types.EmbeddedResource(type="resource", resource=blob))
    return types.CallToolResult(content=content, structured_content=summary)


# --- credit notes -------------------------------------------------------------------------


def _invoice_argument(error: NotFound) -> NotFound:
    """A credit note's invoice not found, said of the argument that named it."""
    if error.code != "invoice_not_found":
        return error
    return NotFound(error.detail, code=error.code, field="invoice_uuid")


async def credit_note_list(call: Call) -> Any:
    invoice = call.args.get("invoice_uuid")
    target = call.uuid("invoice_uuid") if invoice else None
    query = call.struct(ListQuery, ("search", "page", "per_page"))
    try:
        return await call.billing.invoices.list_credit_notes(await call.access(), query, target)
    except NotFound as error:
        raise _invoice_argument(error) from None


async def credit_note_get(call: Call) -> Any:
    return await call.billing.invoices.get_credit_note(await call.access(), call.uuid())


async def credit_note_create(call: Call) -> Any:
    access, target = await call.access(), call.uuid("invoice_uuid")
    data = call.struct(CreditInput, ("reason", "lines", "amount"))
    invoices = call.billing.invoices
    try:
        return await call.mutate(
            "invoice.credit", data, lambda dry: invoices.credit(access, target, data, dry_run=dry), target=target
        )
    except NotFound as error:
        raise _invoice_argument(error) from None


async def credit_note_refund(call: Call) -> Any:
    access, target = await call.access(), call.uuid("invoice_uuid")
    data = call.struct(PaymentInput, PAYMENT_FIELDS)
    invoices = call.billing.invoices
    try:
        return await call.mutate(
            "invoice.refund", data, lambda dry: invoices.record_refund(access, target, data, dry_run=dry), target=target
        )
    except NotFound as error:
        raise _invoice_argument(error) from None


async def credit_note_send(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(SendInput, ("to", "message"))
    invoices = call.billing.invoices
    return await call.mutate(
        "invoice.credit_note_send",
        data,
        lambda dry: invoices.send_credit_note(access, target, data, dry_run=dry),
        target=target,
    )


async def credit_note_pdf(call: Call) -> Any:
    """The credit note's PDF as a resource link, like ``get_invoice_pdf``."""
    access = await call.access()
    document = await call.billing.invoices.credit_note_document(access, call.uuid())
    note = document.credit_note
    return await _pdf_link(
        call, access.workspace.slug, document, note.uuid, note.number, "credit-note",
        f"Credit note {note.number} (PDF)", f"credit-notes/{note.uuid}/pdf", status="issued",
    )  # fmt: skip


async def stats(call: Call) -> Any:
    """Stats of one workspace, or across all of the caller's workspaces without a slug."""
    if call.args.get("company_slug"):
        return await call.billing.stats.for_workspace(await call.access())
    return await call.billing.stats.for_user(call.principal)


# --- clients ----------------------------------------------------------------------------------


async def client_list(call: Call) -> Any:
    access = await call.access()
    query = call.struct(ListQuery, ("search", "page", "per_page"))
    return await call.billing.clients.list_page(access, query.search, query.page, query.per_page)


async def client_get(call: Call) -> Any:
    return await call.billing.clients.get_out(await call.access(), call.uuid())


async def client_create(call: Call) -> Any:
    access = await call.access()
    call.require("name")
    data = call.struct(ClientInput, CLIENT_FIELDS)
    clients = call.billing.clients

    return await call.mutate("client.create", data, lambda dry: clients.create_client(access, data), noun="client")


async def client_update(call: Call) -> Any:
    access, target = await call.access(), call.uuid()
    data = call.struct(ClientUpdate, CLIENT_FIELDS)
    clients = call.billing.clients

    return await call.mutate(
        "client.update", data, lambda dry: clients.update_client(access, target, data), target=target, noun="client"
    )


async def client_save(call: Call) -> Any:
    """Create a client, or update it when ``uuid`` is given."""
    return await (client_update(call) if call.args.get("uuid") else client_create(call))


# --- workspaces -------------------------------------------------------------------------------


async def workspace_list(call: Call) -> Any:
    if call.args.get("company_slug"):
        await call.access()  # a slug, when given, must be one of the caller's: never ignored
    return await call.billing.workspaces.list_for(call.principal)


async def workspace_get(call: Call) -> Any:
    return await call.billing.workspaces.get_out(call.principal, str(call.require("company_slug")))


async def settings_update(call: Call) -> Any:
    slug = str(call.require("company_slug"))
    data = call.struct(WorkspaceSettingsUpdate, SETTINGS_FIELDS)
    workspaces = call.billing.workspaces

    return await call.mutate(
        "workspace.settings", data, lambda dry: workspaces.update_settings(call.principal, slug, data), noun="workspace"
    )


# --- members (the same domain methods as REST's /members routes, which decide every rule) -----


async def member_list(call: Call) -> Any:
    return await call.billing.workspaces.members(call.principal, str(call.require("company_slug")))


async def member_add(call: Call) -> Any:
    """Add someone who has an account, by email, with a role (default member)."""
    slug = (await call.access()).workspace.slug
    call.require("email")
    data = call.struct(MemberInput, MEMBER_FIELDS)
    workspaces = call.billing.workspaces

    return await call.mutate(
        "workspace.member.add", data, lambda dry: workspaces.add_member(call.principal, slug, data), noun="member"
    )


async def member_change_role(call: Call) -> Any:
    """Give a member (by user_uuid, as listed) another role. It never adds anyone: the
    member is found among the workspace's, then the domain's ``add_member`` changes the role
    under its rules (only an owner grants or changes owner, the last owner stays)."""
    slug = (await call.access()).workspace.slug
    target = call.uuid("user_uuid")
    role = call.require("role")
    if not isinstance(role, str):
        raise ToolInputError.field("role", f"must be a string: {', '.join(Role)}")
    workspaces = call.billing.workspaces

    async def perform(dry: bool) -> Any:
        members = (await workspaces.members(call.principal, slug)).items
        member = next((m for m in members if m.user_uuid == target), None)
        if member is None:
            raise NotFound("no member with this user_uuid in this workspace", code="member_not_found")
        return await workspaces.add_member(call.principal, slug, MemberInput(email=member.email, role=role))

    payload = {"user_uuid": str(target), "role": role}
    return await call.mutate("workspace.member.role", payload, perform, target=target, noun="member")


async def member_remove(call: Call) -> Any:
    """Take a member out of the workspace, or leave it yourself with your own user_uuid."""
    slug = (await call.access()).workspace.slug
    target = call.uuid("user_uuid")
    workspaces = call.billing.workspaces

    async def perform(dry: bool) -> Any:
        async with rehearsal(call.billing.session, dry):
            await workspaces.remove_member(call.principal, slug, target)
        return {"dry_run": dry, "removed": True, "user_uuid": str(target)}

    return await call.mutate("workspace.member.remove", None, perform, target=target)
