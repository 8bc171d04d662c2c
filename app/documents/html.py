"""The invoice as a printable HTML document, formatted with babel in the workspace's locale
(amounts in their currency, dates in the local style). What it shows comes from the domain's
``InvoiceDocument``; this module only lays it out."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app.documents.i18n import formatting_locale, gettext
from app.domain import vat
from app.domain.lifecycle import shows_draft_mark
from app.domain.outputs import (
    ClientOut,
    CreditNoteDocument,
    InvoiceDocument,
    WorkspaceOut,
)
from app.domain.vat_outputs import VatAccountingOut, VatGroupOut

# Kana is only Japanese, hangul only Korean: text with either is marked with its language,
# so that its Han characters take that region's glyph forms (the fonts differ per region).
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_TRADITIONAL = {"TW", "HK", "MO"}


def text_language(text: str) -> str | None:
    """``ja`` for text with kana, ``ko`` for text with hangul, else None (unknown)."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    return None


def lang_attr(text: str) -> Markup:
    """` lang="ja"` (or ``ko``) for an element holding ``text``, when the script tells."""
    language = text_language(text)
    return Markup(f' lang="{language}"') if language else Markup("")


def document_language(locale: Locale) -> str:
    """The document's ``lang``: the locale's language, and for Chinese its script
    (``zh-Hant`` for Taiwan, Hong Kong and Macau), which picks the Han glyph forms."""
    if locale.language == "zh" and (locale.script == "Hant" or locale.territory in _TRADITIONAL):
        return "zh-Hant"
    return str(locale.language)


TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=False,
)
TEMPLATES.filters["lang_attr"] = lang_attr
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
    "early_payment": "Early payment",
    "early_payment_terms": "{percent} % discount if paid by {date}: {amount}",
    "early_payment_taken": "Early-payment discount",
    "discount": "Discount",
    "delivered": "Delivered",
    "service_period": "Service period",
    "net": "Net",
    "vat_on": "VAT {rate} on {base}",
    "category_on": "{category} on {base}",
    "legal": "VAT",
    "credit_note": "Credit note",
    "corrects": "Corrects invoice",
    "invoice_date": "Invoice date",
    "credited": "Total credited",
    "reason": "Reason",
    "reference": "Credit note for invoice {number} of {date}",
    "your_reference": "Your reference",
    "vat_accounting": "VAT in {currency} at {rate}",
    "iban": "IBAN",
    "bic": "BIC",
}
# How the tax column and the breakdown name a line that carries no VAT, by its category.
CATEGORY_LABELS = {
    "Z": "Zero rated",
    "E": "Exempt",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export",
    "O": "Not subject to VAT",
}


def words(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and the VAT categories' names in ``language``."""
    labels = {key: gettext(language, text) for key, text in LABELS.items()}
    return labels, {code: gettext(language, text) for code, text in CATEGORY_LABELS.items()}


def legal_notes_in(groups: list[VatGroupOut], language: str) -> list[str]:
    """The legal notes of the VAT breakdown (``views.legal_notes``) in ``language``, in the
    wording that language's tax practice uses: each exempt group's reason, then reverse
    charge, intra-community supply, export and not subject."""
    exempt = gettext(language, "Exempt from VAT: {reason}.")
    notes = [exempt.format(reason=g.exemption_reason or g.exemption_code) for g in groups if g.tax_category == "E"]
    used = [vat.Category(g.tax_category) for g in groups]
    return notes + [gettext(language, note) for note in vat.notes_for(used)]


def watermark(document: InvoiceDocument) -> str | None:
    """DRAFT until the invoice is finalized; CANCELLED once cancelled; nothing otherwise."""
    if document.invoice.status == "cancelled":
        return "CANCELLED"
    return "DRAFT" if shows_draft_mark(document.invoice) else None


def document_view(document: InvoiceDocument) -> dict[str, Any]:
    """The invoice's words and figures formatted for people (the PDF, the public page)."""
    invoice, seller, client = document.invoice, document.workspace, document.client
    locale = formatting_locale(document.language, seller.locale)
    labels, categories = words(document.language)
    currency = invoice.currency

    def money(amount: str) -> str:
        return str(format_currency(Decimal(amount), currency, locale=locale))

    def price(amount: str) -> str:
        """A unit price as entered: finer than the currency (99.995 EUR) stays so, so that
        quantity x price reads true; amounts and totals keep the currency's digits."""
        return str(format_currency(Decimal(amount), currency, locale=locale, decimal_quantization=False))

    def rate(value: str | None) -> str:
        return str(format_percent(Decimal(value) / 100, locale=locale, decimal_quantization=False)) if value else ""

    def tax_label(category: str, value: str | None) -> str:
        return rate(value) if category == "S" else categories[category]

    def adjustment_rows(kind: str) -> list[dict[str, str]]:
        rows = []
        for adjustment in invoice.adjustments:
            if adjustment.kind != kind:
                continue
            for part in adjustment.parts:
                details = [rate(adjustment.percent)] if adjustment.percent else []
                if len(invoice.vat_breakdown) > 1:
                    details.append(tax_label(part.tax_category, part.tax_rate))
                label = adjustment.reason or adjustment.reason_code or labels["discount"]
                rows.append({
                    "label": f"{label} ({', '.join(details)})" if details else label,
                    "amount": money(f"-{part.amount}" if kind == "allowance" else part.amount),
                })  # fmt: skip
        return rows

    paid = Decimal(invoice.amount_paid)
    early = invoice.early_payment
    return dict(
        lang=document_language(locale),
        heading=labels["invoice"] if invoice.finalized_at else labels["draft_heading"],
        watermark=watermark(document),
        invoice=invoice,
        seller=_seller(seller),
        client=client,
        client_lines=_client_lines(client, labels),
        issue_date=format_date(invoice.issue_date, "long", locale=locale),
        due_date=format_date(invoice.due_date, "long", locale=locale),
        delivered=format_date(invoice.delivery_date, "long", locale=locale) if invoice.delivery_date else None,
        service_period=(
            f"{format_date(invoice.service_period_start, 'long', locale=locale)} \u2013 "
            f"{format_date(invoice.service_period_end, 'long', locale=locale)}"
        )
        if invoice.service_period_start and invoice.service_period_end
        else None,
        lines=[
            {
                "description": line.description,
                "quantity": format_decimal(Decimal(line.quantity), locale=locale, decimal_quantization=False),
                "unit_price": price(line.unit_price),
                "tax_rate": tax_label(
                    line.tax_category, line.tax_rate if line.tax_rate is not None else invoice.tax_rate
                ),
                "amount": money(line.amount),
                "discount": (
                    f"{labels['discount']} {rate(line.discount_percent) + ': ' if line.discount_percent else ''}"
                    f"{money(f'-{line.discount}')}"
                )
                if Decimal(line.discount)
                else None,
            }
            for line in invoice.items
        ],
        vat_accounting=_accounting_row(invoice.vat_accounting, labels, locale),
        allowances=adjustment_rows("allowance"),
        charges=adjustment_rows("charge"),
        breakdown=_breakdown(invoice.vat_breakdown, money, rate, labels, categories),
        legal_notes=legal_notes_in(invoice.vat_breakdown, document.language),
        totals={
            "subtotal": money(invoice.subtotal),
            "net": money(invoice.net_total) if invoice.adjustments else None,
            "tax": money(invoice.tax_amount),
            "total": money(invoice.total),
            "paid_any": paid > 0,
            "paid": money(invoice.amount_paid),
            "balance": money(invoice.balance_due),
            "discount_taken": money(early.taken) if early and early.taken else None,
        },
        early_payment=labels["early_payment_terms"].format(
            percent=format_decimal(Decimal(early.percent), locale=locale),
            date=format_date(early.pay_by, "long", locale=locale),
            amount=money(early.amount),
        )
        if early
        else None,
        labels=labels,
    )


def _accounting_row(
    accounting: VatAccountingOut | None, labels: dict[str, str], locale: Locale
) -> dict[str, str] | None:
    """The VAT in the VAT accounting currency (BT-111), under the total, once finalized."""
    if accounting is None or accounting.tax_amount is None:
        return None
    rate = format_decimal(Decimal(accounting.rate), locale=locale, decimal_quantization=False)
    return {
        "label": labels["vat_accounting"].format(currency=accounting.currency, rate=rate),
        "amount": str(format_currency(Decimal(accounting.tax_amount), accounting.currency, locale=locale)),
    }


def invoice_html(document: InvoiceDocument) -> str:
    return TEMPLATES.get_template("invoice.html").render(document_view(document))


def credit_note_html(document: CreditNoteDocument) -> str:
    return TEMPLATES.get_template("credit_note.html").render(credit_note_view(document))


def document_html(document: InvoiceDocument | CreditNoteDocument) -> str:
    if isinstance(document, CreditNoteDocument):
        return credit_note_html(document)
    return invoice_html(document)


def _seller(seller: WorkspaceOut) -> dict[str, str]:
    return {
        "name": seller.legal_name or seller.name,
        "address": seller.address,
        "tax_id": seller.tax_id,
        "email": seller.email,
        "payment_instructions": seller.payment_instructions,
        "iban": seller.iban,
        "bic": seller.bic,
    }


def _client_lines(client: ClientOut | None, labels: dict[str, str]) -> list[str]:
    if client is None:
        return []
    city = " ".join(p for p in (client.postal_code, client.city) if p)
    lines = [
        line
        for line in (client.address_line1, client.address_line2, city, client.region, client.country, client.email)
        if line
    ]
    if client.tax_number:
        lines.append(f"{labels['tax_id']}: {client.tax_number}")
    return lines


def _breakdown(
    groups: list[VatGroupOut], money: Any, rate: Any, labels: dict[str, str], categories: dict[str, str]
) -> list[dict[str, str]]:
    return [
        {
            "label": (
                labels["vat_on"].format(rate=rate(g.tax_rate), base=money(g.taxable_amount))
                if g.tax_category == "S"
                else labels["category_on"].format(category=categories[g.tax_category], base=money(g.taxable_amount))
            ),
            "amount": money(g.tax_amount),
        }
        for g in groups
    ]


def credit_note_view(document: CreditNoteDocument) -> dict[str, Any]:
    """A credit note's words and figures formatted for people: positive amounts credited,
    the invoice it corrects named by number and date (the law asks for both)."""
    note, seller = document.credit_note, document.workspace
    locale = formatting_locale(document.language, seller.locale)
    labels, categories = words(document.language)

    def money(amount: str) -> str:
        return str(format_currency(Decimal(amount), note.currency, locale=locale))

    def price(amount: str) -> str:
        return str(format_currency(Decimal(amount), note.currency, locale=locale, decimal_quantization=False))

    def rate(value: str | None) -> str:
        return str(format_percent(Decimal(value) / 100, locale=locale, decimal_quantization=False)) if value else ""

    invoice_date = format_date(note.invoice.issue_date, "long", locale=locale)
    return dict(
        lang=document_language(locale),
        heading=labels["credit_note"],
        reference=labels["reference"].format(number=note.invoice.number, date=invoice_date),
        note=note,
        seller=_seller(seller),
        client=document.client,
        client_lines=_client_lines(document.client, labels),
        issue_date=format_date(note.issue_date, "long", locale=locale),
        invoice_date=invoice_date,
        lines=[
            {
                "description": x.description,
                "quantity": format_decimal(Decimal(x.quantity), locale=locale, decimal_quantization=False),
                "unit_price": price(x.unit_price) if x.unit_price else "",
                "amount": money(x.amount),
            }
            for x in note.lines
        ],
        breakdown=_breakdown(note.vat_breakdown, money, rate, labels, categories),
        legal_notes=legal_notes_in(note.vat_breakdown, document.language),
        totals={"net": money(note.net_total), "total": money(note.total)},
        labels=labels,
    )
