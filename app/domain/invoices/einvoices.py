"""E-invoices of invoices and credit notes (DESIGN section 8b): checked when they are issued
(a client with a format refuses a finalize or a credit note whose e-invoice breaks its rules,
before anything is numbered), made for a download, and a draft's problems shown before it
is finalized. The formats are built and checked by ``app.einvoice`` (its checker starts Saxon
in a child process the first time an e-invoice is checked)."""

from __future__ import annotations

import uuid

from app.db.models import Client
from app.domain import parties
from app.domain.access import Scope, WorkspaceAccess
from app.domain.einvoice_formats import EinvoiceFormat, parse_format
from app.domain.errors import Conflict
from app.domain.invoices.credits import Credits
from app.domain.outputs import CreditNoteDocument, InvoiceDocument
from app.einvoice import render
from app.einvoice.render import Checked


def format_for(client: Client | None, asked: str | None) -> EinvoiceFormat:
    """The format asked for, else the client's."""
    if asked:
        return parse_format(asked)
    return parse_format(client.einvoice_format if client is not None else "")


class Einvoices(Credits):
    async def einvoice(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, fmt: str | None, *, draft: bool = False
    ) -> tuple[Checked, InvoiceDocument]:
        """An invoice's e-invoice in ``fmt`` (the client's when none is named), checked. A
        draft has none (its number and parties are not yet fixed) unless ``draft`` asks for
        its problems."""
        await self.enter(access, Scope.INVOICES_READ)
        invoice = await self.find(access, invoice_uuid)
        if invoice.finalized_at is None and not draft:
            raise Conflict(
                "a draft has no e-invoice yet: finalize it first (validate shows what its e-invoice would lack)",
                code="einvoice_of_draft",
            )
        chosen = format_for(invoice.client, fmt)
        document = parties.invoice_document(invoice, access.workspace, access.role.value, self.base_url)
        return await render.check(document, chosen), document

    async def credit_note_einvoice(
        self, access: WorkspaceAccess, note_uuid: uuid.UUID, fmt: str | None
    ) -> tuple[Checked, CreditNoteDocument]:
        await self.enter(access, Scope.INVOICES_READ)
        note = await self.find_credit_note(access, note_uuid)
        chosen = format_for(note.invoice.client, fmt)
        document = parties.credit_note_document(note, access.workspace, access.role.value, self.base_url)
        return await render.check(document, chosen), document
