"""What the faces that answer HTTP share, owned by none of them (REST, the web pages and the
OAuth pages import it; they never import each other): the request's unit of work and its
authenticated principal as dependencies, the OpenAPI declaration of a route's scope, and
the answer that carries an invoice's PDF (REST, signed links, the web and public pages).

How a handler asks for the two: ``billing: BillingDep, principal: PrincipalDep``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Principal, Scope
from app.domain.billing import Billing
from app.domain.outputs import CreditNoteDocument, InvoiceDocument
from app.downloads import content_disposition, pdf_filename
from app.einvoice.render import Checked, file_of


async def provide_billing(db_session: NamedDependency[AsyncSession], state: State) -> Billing:
    return Billing(db_session, base_url=state.settings.base_url)


async def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    """The caller, authenticated by ``app.api.auth`` before the request reached the handler."""
    return request.user


BillingDep = NamedDependency[Billing]
PrincipalDep = NamedDependency[Principal]


def needs(scope: Scope) -> list[dict[str, list[str]]]:
    """The OpenAPI security of a route: a personal token, or an OAuth token with ``scope``.
    (Declaring documents it; the domain enforces it, in ``DomainService.enter`` and
    ``Principal.require_scope``; tests/api/test_declared_scopes.py checks the two agree.)"""
    return [{"bearer": []}, {"oauth2": [scope.value]}]


async def pdf_response(
    state: State, document: InvoiceDocument | CreditNoteDocument, headers: dict[str, str] | None = None
) -> Response[bytes]:
    """The document's PDF, shown in the browser, named after its number."""
    pdf = await state.pdfs(document)
    if isinstance(document, CreditNoteDocument):
        filename = pdf_filename(document.credit_note.number, "credit-note")
    else:
        filename = pdf_filename(document.invoice.number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            **(headers or {}),
            "Content-Disposition": content_disposition(filename),
        },
    )


def attachment_response(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    """A file to download (never shown in the browser), kept by no cache."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": content_disposition(filename, "attachment"),
        },
    )


async def einvoice_response(
    state: State, checked: Checked, document: InvoiceDocument | CreditNoteDocument
) -> Response[bytes]:
    """A checked e-invoice as a download (refused, with its findings, when it is not valid)."""
    return attachment_response(*await file_of(checked, document, state.pdfs))
