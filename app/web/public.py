"""The client's side of an invoice, reached without an account by the invoice's public
token: the page (``/i/{token}``), its PDF, and the open-tracking pixel of an email; and of a
credit note by its own token (``/c/{token}`` and its PDF).

The page leads with what the client came for: the status, the amount due (or when it was
paid), the dates, and how to pay; then the parties, with country names in the business's
language, and the lines. It links nowhere a client would need an account.

A link from an email carries the recipient's delivery token (``?d=…``): opening it, or
loading the pixel, marks that delivery opened. The token in the URL is the only key, so
these pages ask browsers not to pass it on (no referrer) and search engines not to index.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from babel import Locale
from babel.dates import format_date
from litestar import Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.documents.html import LABELS, credit_note_html, document_view
from app.documents.i18n import gettext
from app.domain.deliveries import DeliveryService
from app.domain.einvoice_formats import LABELS as FORMAT_LABELS
from app.domain.einvoice_formats import EinvoiceFormat
from app.domain.errors import NotFound
from app.domain.outputs import ClientOut, InvoiceDocument
from app.domain.public import public_credit_note, public_document
from app.einvoice import render
from app.faces import einvoice_response, pdf_response
from app.security_headers import DOCUMENT_CSP

# Litestar adds "; charset=utf-8" to text types itself.
HTML = "text/html"
PRIVATE = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, no-store",
}
# A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
STATUS_WORDS = {
    "sent": "Awaiting payment",
    "overdue": "Overdue",
    "paid": "Paid",
    "cancelled": "Cancelled",
}
Token = FromPath[str]


def country_name(code: str, locale: Locale) -> str:
    """A client's country as people say it, in the business's language ("DE" -> "Germany");
    a code babel does not know is shown as it is."""
    return str(locale.territories.get(code.upper(), code)) if code else ""


def client_lines(client: ClientOut, locale: Locale) -> list[str]:
    """The client's address under its name, one line each, the country written out."""
    city = " ".join(p for p in (client.postal_code, client.city) if p)
    lines = [client.address_line1, client.address_line2, city, client.region, country_name(client.country, locale)]
    lines = [line for line in lines if line]
    if client.email:
        lines.append(client.email)
    if client.tax_number:
        lines.append(f"{LABELS['tax_id']}: {client.tax_number}")
    return lines


def public_view(document: InvoiceDocument) -> dict[str, Any]:
    """What the client's page shows: the document's words and figures, and the date the
    invoice was paid (its last payment's) once it is."""
    view: dict[str, Any] = document_view(document)
    invoice = document.invoice
    locale = Locale.parse(document.workspace.locale)
    view["status_word"] = gettext(document.language, STATUS_WORDS.get(invoice.status, invoice.status))
    view["client_lines"] = client_lines(document.client, locale) if document.client else []
    paid_on = max((p.payment_date for p in invoice.payments), default=None)
    view["paid_on"] = format_date(paid_on, "long", locale=locale) if invoice.status == "paid" and paid_on else ""
    view["payable"] = invoice.status in ("sent", "overdue")
    return view


def _missing() -> Template:
    return Template("public_missing.html", context={}, status_code=404, media_type=HTML, headers=PRIVATE)


@get("/i/{public_token:str}", include_in_schema=False)
async def public_invoice(
    public_token: Token,
    db_session: NamedDependency[AsyncSession],
    state: State,
    d: Annotated[str | None, QueryParameter(name="d", max_length=64)] = None,
) -> Template:
    try:
        document = await public_document(db_session, public_token, state.settings.base_url)
    except NotFound:
        return _missing()
    if d:
        await DeliveryService(db_session).opened(public_token, d)
    view = public_view(document)
    view["pdf_url"] = f"/i/{public_token}/pdf"
    fmt = document.client.einvoice_format if document.client else ""
    view["einvoice_url"] = f"/i/{public_token}/einvoice" if fmt and document.invoice.finalized_at else ""
    view["einvoice_label"] = FORMAT_LABELS[EinvoiceFormat(fmt)] if fmt else ""
    return Template("public_invoice.html", context=view, media_type=HTML, headers=PRIVATE)


@get("/i/{public_token:str}/einvoice", include_in_schema=False)
async def public_invoice_einvoice(
    public_token: Token, db_session: NamedDependency[AsyncSession], state: State
) -> Response[bytes] | Template:
    """The invoice's e-invoice in its client's format (as issued), checked again; none for a
    client without a format, or one that would break its rules."""
    try:
        document = await public_document(db_session, public_token, state.settings.base_url)
    except NotFound:
        return _missing()
    fmt = document.client.einvoice_format if document.client else ""
    if not fmt or document.invoice.finalized_at is None:
        return _missing()
    checked = await render.check(document, EinvoiceFormat(fmt))
    if not checked.valid:
        return _missing()
    return await einvoice_response(state, checked, document)


@get("/i/{public_token:str}/pdf", include_in_schema=False)
async def public_invoice_pdf(
    public_token: Token, db_session: NamedDependency[AsyncSession], state: State
) -> Response[bytes] | Template:
    try:
        document = await public_document(db_session, public_token, state.settings.base_url)
    except NotFound:
        return _missing()
    return await pdf_response(state, document, PRIVATE)


@get("/i/{public_token:str}/seen/{pixel:str}", include_in_schema=False)
async def open_pixel(public_token: Token, pixel: Token, db_session: NamedDependency[AsyncSession]) -> Response[bytes]:
    """Always the same image, whether or not the tokens match: it tells a prober nothing."""
    await DeliveryService(db_session).opened(public_token, pixel.removesuffix(".gif"))
    return Response(PIXEL, media_type="image/gif", headers=PRIVATE)


@get("/c/{public_token:str}", include_in_schema=False)
async def public_credit_note_page(
    public_token: Token, db_session: NamedDependency[AsyncSession], state: State
) -> Response[str] | Template:
    """A credit note as it is printed: the document itself (its own styles only, no script)."""
    try:
        document = await public_credit_note(db_session, public_token, state.settings.base_url)
    except NotFound:
        return _missing()
    return Response(
        credit_note_html(document), media_type=HTML, headers={**PRIVATE, "Content-Security-Policy": DOCUMENT_CSP}
    )


@get("/c/{public_token:str}/pdf", include_in_schema=False)
async def public_credit_note_pdf(
    public_token: Token, db_session: NamedDependency[AsyncSession], state: State
) -> Response[bytes] | Template:
    try:
        document = await public_credit_note(db_session, public_token, state.settings.base_url)
    except NotFound:
        return _missing()
    return await pdf_response(state, document, PRIVATE)


ROUTES = [
    public_invoice,
    public_invoice_pdf,
    public_invoice_einvoice,
    open_pixel,
    public_credit_note_page,
    public_credit_note_pdf,
]
