"""The invoice as a printable HTML document, formatted with babel in the workspace's locale
(amounts in their currency, dates in the local style). What it shows comes from the domain's
``InvoiceDocument``; this module only lays it out."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.domain.schemas import InvoiceDocument

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=False,
)
LABELS = {
    "invoice": "Invoice",
    "draft_heading": "Draft invoice",
    "bill_to": "Bill to",
    "number": "Number",
    "unnumbered": "(assigned when finalized)",
    "issued": "Issued",
    "due": "Due",
    "description": "Description",
    "quantity": "Qty",
    "unit_price": "Unit price",
    "tax": "Tax",
    "amount": "Amount",
    "subtotal": "Subtotal",
    "total": "Total",
    "paid": "Paid",
    "balance": "Balance due",
    "notes": "Notes",
    "payment": "Payment",
    "tax_id": "Tax ID",
}


def watermark(document: InvoiceDocument) -> str | None:
    """DRAFT until the invoice is finalized; CANCELLED once cancelled; nothing otherwise."""
    if document.invoice.status == "cancelled":
        return "CANCELLED"
    return "DRAFT" if document.invoice.finalized_at is None else None


def document_view(document: InvoiceDocument) -> dict[str, Any]:
    """The invoice's words and figures formatted for people (the PDF, the public page)."""
    invoice, seller, client = document.invoice, document.workspace, document.client
    locale = Locale.parse(seller.locale)
    currency = invoice.currency

    def money(amount: str) -> str:
        return str(format_currency(Decimal(amount), currency, locale=locale))

    def rate(value: str | None) -> str:
        return str(format_percent(Decimal(value) / 100, locale=locale, decimal_quantization=False)) if value else ""

    client_lines = []
    if client is not None:
        city = " ".join(p for p in (client.postal_code, client.city) if p)
        client_lines = [
            line
            for line in (client.address_line1, client.address_line2, city, client.region, client.country, client.email)
            if line
        ]
        if client.tax_number:
            client_lines.append(f"{LABELS['tax_id']}: {client.tax_number}")
    paid = Decimal(invoice.amount_paid)
    return dict(
        lang=locale.language,
        heading=LABELS["invoice"] if invoice.finalized_at else LABELS["draft_heading"],
        watermark=watermark(document),
        invoice=invoice,
        seller={
            "name": seller.legal_name or seller.name,
            "address": seller.address,
            "tax_id": seller.tax_id,
            "email": seller.email,
            "payment_instructions": seller.payment_instructions,
        },
        client=client,
        client_lines=client_lines,
        issue_date=format_date(invoice.issue_date, "long", locale=locale),
        due_date=format_date(invoice.due_date, "long", locale=locale),
        lines=[
            {
                "description": line.description,
                "quantity": format_decimal(Decimal(line.quantity), locale=locale, decimal_quantization=False),
                "unit_price": money(line.unit_price),
                "tax_rate": rate(line.tax_rate if line.tax_rate is not None else invoice.tax_rate),
                "amount": money(line.amount),
            }
            for line in invoice.items
        ],
        totals={
            "subtotal": money(invoice.subtotal),
            "tax": money(invoice.tax_amount),
            "total": money(invoice.total),
            "paid_any": paid > 0,
            "paid": money(invoice.amount_paid),
            "balance": money(invoice.balance_due),
        },
        labels=LABELS,
    )


def invoice_html(document: InvoiceDocument) -> str:
    return TEMPLATES.get_template("invoice.html").render(document_view(document))
