"""What the client sees without an account: an invoice reached by its unguessable public
token, once it has been sent (``views.shown_to_client``: not a draft, nor an invoice
cancelled before it was sent), with its current status; a credit note by its own token."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import CreditNote, Invoice, Workspace
from app.domain.clients import client_out
from app.domain.errors import NotFound
from app.domain.languages import document_language
from app.domain.outputs import CreditNoteDocument, InvoiceDocument
from app.domain.views import credit_note_out, invoice_out, shown_to_client
from app.domain.workspaces import workspace_out


async def public_document(session: AsyncSession, public_token: str, base_url: str) -> InvoiceDocument:
    invoice = (await session.execute(select(Invoice).where(Invoice.public_token == public_token))).scalar_one_or_none()
    if invoice is None or not shown_to_client(invoice):
        raise NotFound("no such invoice")
    workspace = await session.get_one(Workspace, invoice.workspace_id)
    return InvoiceDocument(
        invoice=invoice_out(invoice, base_url),
        workspace=workspace_out(workspace, "client"),
        client=client_out(invoice.client) if invoice.client else None,
        language=document_language(invoice.client.language if invoice.client else None, workspace.locale),
    )


async def public_credit_note(session: AsyncSession, public_token: str, base_url: str) -> CreditNoteDocument:
    """A credit note by its own public token: issued, so always shown to the client."""
    note = (
        await session.execute(select(CreditNote).where(CreditNote.public_token == public_token))
    ).scalar_one_or_none()
    if note is None:
        raise NotFound("no such credit note")
    workspace = await session.get_one(Workspace, note.workspace_id)
    return CreditNoteDocument(
        credit_note=credit_note_out(note, base_url),
        workspace=workspace_out(workspace, "client"),
        client=client_out(note.invoice.client) if note.invoice.client else None,
        language=document_language(note.invoice.client.language if note.invoice.client else None, workspace.locale),
    )
