"""The e-invoice tools (DESIGN section 8b), put in the catalogue by ``app.mcp.catalogue``:
the action-style ``received_invoice`` (a supplier's e-invoice imported, listed, read) and
the granular ``get_invoice_einvoice`` and ``validate_invoice_einvoice``. The credit note's
``einvoice`` action is the ``credit_note`` tool's."""

from __future__ import annotations

from app.mcp import einvoices
from app.mcp.arguments import MUTATION, text_arg
from app.mcp.specs import Action, ToolSpec, granular_tool, hints


def action_tools() -> list[ToolSpec]:
    return [
        ToolSpec(
            name="received_invoice",
            title="Received e-invoices",
            description=(
                "E-invoices received from suppliers: import (content: the XML of an XRechnung, Peppol, Factur-X or "
                "EN 16931 invoice or credit note, or a Factur-X PDF in base64 with encoding base64; filename) reads "
                "it, checks it against the official rules of its format and keeps it, read-only; list (search, "
                "page), get (uuid): what it says (parties, lines, VAT breakdown, totals, IBAN) and its check report. "
                "import takes idempotency_key and dry_run."
            ),
            properties=(
                "company_slug",
                "uuid",
                "content",
                "encoding",
                "filename",
                "search",
                "page",
                "per_page",
                *MUTATION,
            ),
            required=("company_slug",),
            annotations=hints("Received e-invoices"),
            overrides={"uuid": text_arg("Received e-invoice UUID (from list)")},
            actions={
                "import": Action(
                    einvoices.received_import, required=("content",), takes=("encoding", "filename", *MUTATION)
                ),
                "list": Action(einvoices.received_list, takes=("search", "page", "per_page")),
                "get": Action(einvoices.received_get, required=("uuid",)),
            },
        ),
    ]


def granular_tools() -> list[ToolSpec]:
    target = ("company_slug", "uuid")
    tool = granular_tool
    return [
        tool(
            "get_invoice_einvoice",
            "Get invoice e-invoice",
            "The invoice's e-invoice (EN 16931): XRechnung in UBL or CII, a Factur-X PDF, or Peppol BIS, in the "
            "client's format unless format names another; checked against the official rules of its format first "
            "and refused with each broken rule and the field to fix. A download link that works for 10 minutes "
            "without a token; embed true adds the file itself (base64).",
            einvoices.invoice_einvoice,
            (*target, "format", "embed"),
            target,
            read_only=True,
            idempotent=True,
        ),
        tool(
            "validate_invoice_einvoice",
            "Check invoice e-invoice",
            "What the e-invoice of an invoice, a draft's too, lacks for its format before it is finalized (\"what is "
            'missing for XRechnung?"): every broken rule with its id, message and the field to fix, and warnings. '
            "format: xrechnung-ubl, xrechnung-cii, facturx or peppol; the client's when not given.",
            einvoices.invoice_validate,
            (*target, "format"),
            target,
            read_only=True,
            idempotent=True,
        ),
    ]
