"""The parties as an invoice was issued to and from: at finalize the seller's details and the
client's are kept on the invoice (``issued_parties``), and every document of it (PDF, public
page, email, credit notes) shows them as issued, whatever is edited on the client or in the
settings later. A draft shows the parties as they are now."""

from __future__ import annotations

from typing import Any

import msgspec

from app.db.models import CreditNote, Invoice, Workspace
from app.domain.clients import client_out
from app.domain.languages import document_language
from app.domain.outputs import ClientOut, CreditNoteDocument, InvoiceDocument, WorkspaceOut
from app.domain.views import credit_note_out, invoice_out
from app.domain.workspaces import workspace_out

# What a document prints of the seller (WorkspaceOut's names).
SELLER = ("name", "legal_name", "address", "tax_id", "email", "payment_instructions", "country", "iban", "bic",
          "phone", "electronic_address")  # fmt: skip


def snapshot(invoice: Invoice, workspace: Workspace) -> dict[str, Any]:
    out = workspace_out(workspace, "owner")
    return {
        "seller": {field: getattr(out, field) for field in SELLER},
        "client": msgspec.to_builtins(client_out(invoice.client)) if invoice.client else None,
    }


def as_issued(invoice: Invoice, workspace: Workspace, role: str) -> tuple[WorkspaceOut, ClientOut | None]:
    """The seller and the client a document of ``invoice`` shows."""
    seller = workspace_out(workspace, role)
    issued = invoice.issued_parties
    if issued is None:
        return seller, client_out(invoice.client) if invoice.client else None
    seller = msgspec.structs.replace(seller, **issued["seller"])
    client = msgspec.convert(issued["client"], ClientOut) if issued["client"] is not None else None
    return seller, client


def invoice_document(invoice: Invoice, workspace: Workspace, role: str, base_url: str) -> InvoiceDocument:
    """What every document of an invoice shows (PDF, public page, email), in its client's language."""
    seller, client = as_issued(invoice, workspace, role)
    return InvoiceDocument(
        invoice=invoice_out(invoice, base_url),
        workspace=seller,
        client=client,
        language=document_language(invoice.client.language if invoice.client else None, workspace.locale),
    )


def credit_note_document(note: CreditNote, workspace: Workspace, role: str, base_url: str) -> CreditNoteDocument:
    """A credit note's document: the parties as its invoice was issued."""
    invoice = note.invoice
    seller, client = as_issued(invoice, workspace, role)
    return CreditNoteDocument(
        credit_note=credit_note_out(note, base_url),
        workspace=seller,
        client=client,
        language=document_language(invoice.client.language if invoice.client else None, workspace.locale),
        delivery_date=invoice.delivery_date,
        service_period_start=invoice.service_period_start,
        service_period_end=invoice.service_period_end,
    )
