"""What the client sees without an account: an invoice reached by its unguessable public
token, once it has been sent (``views.shown_to_client``: not a draft, nor an invoice
cancelled before it was sent), with its current status."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Invoice, Workspace
from app.domain.clients import client_out
from app.domain.errors import NotFound
from app.domain.outputs import InvoiceDocument
from app.domain.views import invoice_out, shown_to_client
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
    )
