"""The e-invoice formats a client's invoices and credit notes can carry (EN 16931, DESIGN
section 8b): their names as the API, the tools and the forms spell them, the check of a
client's choice, and the check every document of such a client passes before it is issued.
What each format is made of lives in ``app.einvoice``."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.errors import ValidationFailed

if TYPE_CHECKING:
    from app.db.models import Client
    from app.domain.outputs import CreditNoteDocument, InvoiceDocument


class EinvoiceFormat(StrEnum):
    XRECHNUNG_UBL = "xrechnung-ubl"  # XRechnung 3.0, UBL 2.1
    XRECHNUNG_CII = "xrechnung-cii"  # XRechnung 3.0, UN/CEFACT CII D16B
    FACTURX = "facturx"  # Factur-X / ZUGFeRD EN 16931: a PDF/A-3 with the CII inside
    PEPPOL = "peppol"  # Peppol BIS Billing 3.0, UBL


LABELS = {
    EinvoiceFormat.XRECHNUNG_UBL: "XRechnung (UBL)",
    EinvoiceFormat.XRECHNUNG_CII: "XRechnung (CII)",
    EinvoiceFormat.FACTURX: "Factur-X / ZUGFeRD (PDF)",
    EinvoiceFormat.PEPPOL: "Peppol BIS Billing 3.0",
}

CHOICES = ", ".join(f.value for f in EinvoiceFormat)


def check_format(value: str, field: str = "einvoice_format") -> str:
    """A client's format: one of ``EinvoiceFormat``, or "" for the PDF alone."""
    text = value.strip().lower()
    if not text or text == "none":
        return ""
    try:
        return EinvoiceFormat(text).value
    except ValueError:
        raise ValidationFailed.field(
            field, f"{value!r} is not an e-invoice format: one of {CHOICES}, or empty for none"
        ) from None


def parse_format(value: str, field: str = "format") -> EinvoiceFormat:
    """A format asked for by name (a download, a validation)."""
    text = check_format(value, field)
    if not text:
        raise ValidationFailed.field(field, f"name the e-invoice format: one of {CHOICES}")
    return EinvoiceFormat(text)


async def check_issue(document: InvoiceDocument | CreditNoteDocument, client: Client | None, what: str) -> None:
    """Refuse to issue ``document`` when its client takes e-invoices and its e-invoice breaks
    the rules of their format."""
    if client is None or not client.einvoice_format:
        return
    from app.einvoice import render

    checked = await render.check(document, EinvoiceFormat(client.einvoice_format))
    if not checked.valid:
        raise render.refusal(checked, what)
