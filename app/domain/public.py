"""What the client sees without an account: an invoice reached by its unguessable public
token, once it has been sent (``views.shown_to_client``: not a draft, nor an invoice
cancelled before it was sent), with its current status; a credit note by its own token."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import CreditNote, Invoice, Workspace
from app.domain import parties
from app.domain.errors import NotFound
from app.domain.outputs import CreditNoteDocument, InvoiceDocument
from app.domain.views import shown_to_client


async def public_document(session: AsyncSession, public_token: str, base_url: str) -> InvoiceDocument:
    invoice = (await session.execute(select(Invoice).where(Invoice.public_token == public_token))).scalar_one_or_none()
    if invoice is None or not shown_to_client(invoice):
        raise NotFound("no such invoice")
    workspace = await session.get_one(Workspace, invoice.workspace_id)
    return parties.invoice_document(invoice, workspace, "client", base_url)


async def public_credit_note(session: AsyncSession, public_token: str, base_url: str) -> CreditNoteDocument:
    """A credit note by its own public token: issued, so always shown to the client."""
    note = (
        await session.execute(select(CreditNote).where(CreditNote.public_token == public_token))
    ).scalar_one_or_none()
    if note is None:
        raise NotFound("no such credit note")
    workspace = await session.get_one(Workspace, note.workspace_id)
    return parties.credit_note_document(note, workspace, "client", base_url)
