"""The e-invoice tools' operations: an invoice's e-invoice as a resource link (like the
PDF: a signed download URL, the file's name, size and type, and whether it passed its
rules), a draft's or an invoice's checks ("what is missing for XRechnung?"), and the
e-invoices received from suppliers (imported, listed, read)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import mcp_types as types
import msgspec
from msgspec import Struct

from app.domain.errors import Unavailable, ValidationFailed
from app.domain.outputs import CreditNoteDocument, InvoiceDocument
from app.domain.received import ReceivedOut
from app.domain.schemas import ListQuery
from app.downloads import DownloadLink, sign_link
from app.einvoice.render import Checked, file_of, report
from app.mcp.calls import Call


class ReceivedRehearsal(Struct):
    dry_run: bool
    received_invoice: ReceivedOut


class EinvoiceLink(Struct):
    """``get_invoice_einvoice``'s answer: where to download the checked file, and what it is."""

    uuid: str
    number: str | None
    format: str
    valid: bool
    url: str
    expires_at: str
    filename: str
    mime_type: str
    bytes: int


async def invoice_einvoice(call: Call) -> Any:
    """The invoice's e-invoice (the client's format unless ``format`` names another), checked
    against its rules first: refused with every broken rule and the field to fix."""
    access = await call.access()
    checked, document = await call.billing.invoices.einvoice(access, call.uuid(), call.args.get("format"))
    invoice = document.invoice
    return await _link(call, access.workspace.slug, checked, document, invoice.uuid, invoice.number, "einvoice",
                       f"invoices/{invoice.uuid}/einvoice", f"Invoice {invoice.number}")  # fmt: skip


async def _link(
    call: Call,
    slug: str,
    checked: Checked,
    document: InvoiceDocument | CreditNoteDocument,
    target: uuid.UUID,
    number: str | None,
    kind: str,
    api_path: str,
    title: str,
) -> types.CallToolResult:
    if call.pdfs is None:
        raise Unavailable("PDF rendering is not available on this server")
    body, mime_type, filename = await file_of(checked, document, call.pdfs)
    token, expires = sign_link(
        call.link_secret, DownloadLink(call.principal.user_id, slug, target, f"{kind}-{checked.format}")
    )
    url = f"{call.billing.base_url}/api/v1/downloads/{token}"
    summary = EinvoiceLink(
        uuid=str(target), number=number, format=checked.format.value, valid=checked.valid, url=url,
        expires_at=expires.isoformat(), filename=filename, mime_type=mime_type, bytes=len(body),
    )  # fmt: skip
    content: list[types.ContentBlock] = [
        types.ResourceLink(type="resource_link", uri=url, name=filename, title=f"{title} ({checked.format.value})",
                           mime_type=mime_type, size=len(body)),
        types.TextContent(type="text", text=f"{filename} ({len(body)} bytes, valid {checked.format.value}): {url}"),
    ]  # fmt: skip
    if call.flag("embed"):
        api = f"{call.billing.base_url}/api/v1/workspaces/{slug}/{api_path}"
        blob = types.BlobResourceContents(uri=api, mime_type=mime_type, blob=base64.b64encode(body).decode())
        content.insert(0, types.EmbeddedResource(type="resource", resource=blob))
    return types.CallToolResult(content=content, structured_content=msgspec.to_builtins(summary))


async def invoice_validate(call: Call) -> Any:
    access = await call.access()
    checked, _ = await call.billing.invoices.einvoice(access, call.uuid(), call.args.get("format"), draft=True)
    return report(checked)


async def received_import(call: Call) -> Any:
    """A supplier's e-invoice, given as ``content``: the XML itself, or a Factur-X PDF in
    base64 (``encoding: base64``)."""
    access = await call.access()
    content = str(call.require("content"))
    if call.args.get("encoding") == "base64":
        try:
            data = base64.b64decode(content, validate=True)
        except ValueError:
            raise ValidationFailed.field("content", "not base64: give the PDF's bytes in base64") from None
    else:
        data = content.encode("utf-8")
    filename = str(call.args.get("filename") or "e-invoice")
    received = call.billing.received
    fingerprint = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
    try:
        return await call.mutate(
            "received.import",
            fingerprint,
            lambda _dry: received.receive(access, data, filename),
            noun="received_invoice",
        )
    except ValidationFailed as error:
        # The domain speaks of the file; here it is given as content.
        errors = [{**e, "field": "content"} if e["field"] == "file" else e for e in error.errors]
        raise ValidationFailed(errors, error.detail.replace("file:", "content:", 1)) from None


async def received_list(call: Call) -> Any:
    return await call.billing.received.list_page(
        await call.access(), call.struct(ListQuery, ("search", "page", "per_page"))
    )


async def received_get(call: Call) -> Any:
    return await call.billing.received.get(await call.access(), call.uuid())


async def credit_note_einvoice(call: Call) -> Any:
    """The credit note's e-invoice as a resource link, like ``get_invoice_einvoice``."""
    access = await call.access()
    checked, document = await call.billing.invoices.credit_note_einvoice(access, call.uuid(), call.args.get("format"))
    note = document.credit_note
    return await _link(call, access.workspace.slug, checked, document, note.uuid, note.number, "credit-note-einvoice",
                       f"credit-notes/{note.uuid}/einvoice", f"Credit note {note.number}")  # fmt: skip
