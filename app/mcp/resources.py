"""Invoices and clients as MCP resources, and completions for the arguments people type.

``billcraft://{company_slug}/invoices/{uuid}`` is the invoice JSON (the same as the
``invoice`` tool's get), ``.../invoices/{uuid}/pdf`` its PDF, and
``billcraft://{company_slug}/clients/{uuid}`` the client. Every read goes through the same
domain calls as the tools, so a stranger's or an unknown address is not found. The list of
resources is up to 20 of the caller's recent invoices; completions offer the caller's
workspace slugs, client names and invoice uuids (by number or title)."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import mcp_types as types
import msgspec

from app.domain.access import Principal
from app.domain.billing import Billing
from app.domain.errors import Forbidden, NotFound, Unavailable
from app.domain.outputs import PdfMaker
from app.domain.schemas import InvoiceFilter
from app.mcp import card

SCHEME = "billcraft://"
JSON = "application/json"
PDF = "application/pdf"
TEMPLATES = [
    types.ResourceTemplate(name=name, title=title, uri_template=SCHEME + path, description=about, mime_type=mime)
    for name, title, path, about, mime in (
        ("invoice", "Invoice", "{company_slug}/invoices/{uuid}",
         "An invoice with its items, payments, history and deliveries (JSON)", JSON),
        ("invoice_pdf", "Invoice PDF", "{company_slug}/invoices/{uuid}/pdf",
         "The invoice as a PDF (drafts carry a DRAFT watermark)", PDF),
        ("client", "Client", "{company_slug}/clients/{uuid}", "A client of the workspace (JSON)", JSON),
    )
]  # fmt: skip
_ADDRESS = re.compile(
    r"^billcraft://(?P<slug>[^/]+)/(?P<kind>invoices|clients)/(?P<uuid>[0-9a-fA-F-]{36})(?P<pdf>/pdf)?$"
)
RECENT = 20  # invoices in the resource list
SUGGESTIONS = 20  # values in one completion


def _not_found(uri: str) -> NotFound:
    return NotFound(f"no resource {uri!r}; addresses look like {TEMPLATES[0].uri_template}", code="resource_not_found")


async def read(billing: Billing, principal: Principal, uri: str, pdfs: PdfMaker | None) -> types.ReadResourceResult:
    if uri == card.URI:
        return card.read()
    match = _ADDRESS.match(uri)
    if match is None or (match["pdf"] and match["kind"] != "invoices"):
        raise _not_found(uri)
    try:
        target = uuid.UUID(match["uuid"])
    except ValueError:
        raise _not_found(uri) from None
    access = await billing.access(principal, match["slug"])
    if match["kind"] == "clients":
        found: Any = await billing.clients.get_out(access, target)
    elif match["pdf"]:
        document = await billing.invoices.document(access, target)
        if pdfs is None:
            raise Unavailable("PDF rendering is not available on this server")
        blob = base64.b64encode(await pdfs(document)).decode()
        return types.ReadResourceResult(contents=[types.BlobResourceContents(uri=uri, mime_type=PDF, blob=blob)])
    else:
        found = await billing.invoices.get_out(access, target)
    text = msgspec.json.encode(found).decode()
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=JSON, text=text)])


async def recent(billing: Billing, principal: Principal) -> list[types.Resource]:
    """The invoice card's page, then up to ``RECENT`` of the caller's invoices, newest first
    within each workspace they may read invoices in, workspace by workspace (in name order)."""
    listed: list[types.Resource] = []
    for workspace in (await billing.workspaces.list_for(principal)).items:
        if len(listed) >= RECENT:
            break
        access = await billing.access(principal, workspace.company_slug)
        try:
            page = await billing.invoices.list_page(access, InvoiceFilter(per_page=RECENT - len(listed)))
        except Forbidden:
            continue
        for invoice in page.items:
            name = f"{invoice.number or 'Draft'}: {invoice.title}"
            uri = f"{SCHEME}{workspace.company_slug}/invoices/{invoice.uuid}"
            listed.append(types.Resource(name=name, uri=uri, mime_type=JSON, description=workspace.name))
    return [card.RESOURCE, *listed]


async def complete(
    billing: Billing, principal: Principal, argument: str, value: str, context: dict[str, str]
) -> list[str]:
    """Values for ``argument`` starting with (or, for names, holding) what was typed."""
    typed = value.strip().lower()
    if argument == "company_slug":
        slugs = [w.company_slug for w in (await billing.workspaces.list_for(principal)).items]
        return [s for s in slugs if s.startswith(typed)][:SUGGESTIONS]
    slug = context.get("company_slug")
    if not slug or argument not in ("client", "uuid"):
        return []
    try:
        access = await billing.access(principal, slug)
        if argument == "client":
            clients = await billing.clients.list_page(access, typed or None, 1, SUGGESTIONS)
            return [c.name for c in clients.items]
        invoices = await billing.invoices.list_page(access, InvoiceFilter(search=typed or None, per_page=SUGGESTIONS))
        return [str(i.uuid) for i in invoices.items]
    except (NotFound, Forbidden):
        return []
