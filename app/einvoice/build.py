"""The semantic model (``app.einvoice.model``) of an invoice or a credit note, from the same
documents the PDF prints (``app.domain.parties``: the parties as issued, the amounts as the
domain priced them). What differs by format is decided here too: where the parties are
reached (BT-34/BT-49) and how the early-payment discount is written (BT-20)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from app.domain import money
from app.domain.einvoice_formats import EinvoiceFormat
from app.domain.identifiers import vat_id_problem
from app.domain.outputs import ClientOut, CreditNoteDocument, InvoiceDocument, InvoiceOut, WorkspaceOut
from app.domain.vat_outputs import VatGroupOut
from app.einvoice.model import (
    CREDIT_NOTE,
    INVOICE,
    Address,
    AllowanceCharge,
    Document,
    Line,
    Party,
    Payment,
    VatGroup,
)

# Categories whose breakdown carries an exemption reason (BR-E-10, BR-AE-10, BR-IC-10, ...);
# S and Z must not (BR-S-10, BR-Z-10).
EXEMPT = {"E", "AE", "K", "G", "O"}
DISCOUNT_CODE = "95"  # UNCL 5189: discount
_POSTAL_LINE = re.compile(r"^(\S*\d\S*(?: [A-Z]{2})?)\s+(\D.*)$")  # "10115 Berlin", "1011 AB Amsterdam"


def _dec(text: str | None) -> Decimal:
    return Decimal(text) if text not in (None, "") else Decimal(0)


def _vat_id(tax_id: str) -> str | None:
    compact = re.sub(r"[\s.\-/]", "", tax_id).upper()
    if len(compact) > 4 and compact[:2].isalpha() and vat_id_problem(compact) is None:
        return compact
    return None


def seller_address(text: str, country: str) -> Address:
    """The workspace's address is free text: the first line the street, the last one
    "postal code city", any between the street's second line. A last line that is only the
    country is left out."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and country and lines[-1].upper() in (country.upper(),):
        lines.pop()
    street = postal = city = None
    additional = None
    if lines:
        match = _POSTAL_LINE.match(lines[-1])
        if match:
            postal, city = match.group(1), match.group(2).strip()
            lines.pop()
        elif len(lines) > 1:
            city = lines.pop()
    if lines:
        street = lines[0]
        additional = ", ".join(lines[1:]) or None
    return Address(street=street, additional=additional, city=city, postal_code=postal, country=country or None)


def _endpoint(address: str, email: str, fmt: EinvoiceFormat) -> tuple[str, str] | None:
    if address and ":" in address:
        scheme, identifier = address.split(":", 1)
        return scheme, identifier
    if email and fmt is not EinvoiceFormat.PEPPOL:
        return "EM", email  # XRechnung and Factur-X accept an email address where no Peppol id is
    return None


def seller_party(seller: WorkspaceOut, fmt: EinvoiceFormat, categories: set[str]) -> Party:
    name = seller.legal_name.strip() or seller.name
    vat_id = _vat_id(seller.tax_id) if seller.tax_id else None
    tax_number = seller.tax_id.strip() if seller.tax_id and vat_id is None else None
    identifier = None
    if categories == {"O"} and vat_id:
        # BR-O-02: not subject to VAT, the invoice carries no VAT ID; the number still names the seller.
        identifier, vat_id = vat_id, None
    return Party(
        name=name,
        trading_name=seller.name if seller.name != name else None,
        address=seller_address(seller.address, seller.country),
        identifier=identifier,
        vat_id=vat_id,
        tax_number=tax_number,
        endpoint=_endpoint(seller.electronic_address, seller.email, fmt),
        contact_name=name,
        contact_phone=seller.phone or None,
        contact_email=seller.email or None,
    )


def buyer_party(client: ClientOut | None, fmt: EinvoiceFormat, categories: set[str]) -> Party:
    if client is None:
        return Party(name="", address=Address())
    vat_id = _vat_id(client.tax_number) if client.tax_number and categories != {"O"} else None
    return Party(
        name=client.name,
        address=Address(
            street=client.address_line1 or None,
            additional=client.address_line2 or None,
            city=client.city or None,
            postal_code=client.postal_code or None,
            region=client.region or None,
            country=client.country or None,
        ),
        vat_id=vat_id,
        endpoint=_endpoint(client.electronic_address, client.email, fmt),
        contact_email=client.email or None,
        contact_phone=client.phone or None,
    )


def _payment(seller: WorkspaceOut, reference: str) -> Payment:
    if seller.iban:
        return Payment(
            means_code="58",  # SEPA credit transfer
            reference=reference,
            iban=seller.iban.replace(" ", ""),
            bic=seller.bic or None,
            account_name=seller.legal_name.strip() or seller.name,
        )
    first = seller.payment_instructions.strip().splitlines()[:1]
    return Payment(means_code="1", reference=reference, text=first[0][:200] if first else None)


def _terms(invoice: InvoiceOut, fmt: EinvoiceFormat) -> str | None:
    early = invoice.early_payment
    if early is None:
        return None
    percent = Decimal(early.percent).quantize(Decimal("0.01"))
    if fmt in (EinvoiceFormat.XRECHNUNG_UBL, EinvoiceFormat.XRECHNUNG_CII):
        # XRechnung's own form of Skonto (BR-DE-18): a line of its own, ended by a line feed.
        return f"#SKONTO#TAGE={early.days}#PROZENT={percent}#\n"
    return (
        f"{percent} % discount if paid within {early.days} days, by {early.pay_by.isoformat()}: "
        f"{early.amount} {invoice.currency}"
    )


def _groups(breakdown: list[VatGroupOut]) -> list[VatGroup]:
    groups = []
    for g in breakdown:
        exempt = g.tax_category in EXEMPT
        groups.append(
            VatGroup(
                category=g.tax_category,
                rate=_dec(g.tax_rate),
                taxable=_dec(g.taxable_amount),
                tax=_dec(g.tax_amount),
                exemption_reason=g.exemption_reason if exempt else None,
                exemption_code=g.exemption_code if exempt else None,
            )
        )
    return groups


def _line_rate(category: str, own: str | None, standard: str) -> Decimal:
    if category != "S":
        return Decimal(0)
    return _dec(own if own is not None else standard)


def invoice_model(document: InvoiceDocument, fmt: EinvoiceFormat) -> Document:
    invoice = document.invoice
    currency = invoice.currency
    quantum = money.quantum(currency)
    categories = {g.tax_category for g in invoice.vat_breakdown} or {i.tax_category for i in invoice.items}
    lines = []
    for index, item in enumerate(invoice.items, start=1):
        quantity, price = _dec(item.quantity), _dec(item.unit_price)
        allowances = []
        if _dec(item.discount):
            allowances.append(
                AllowanceCharge(
                    charge=False,
                    amount=_dec(item.discount),
                    reason="Discount",
                    reason_code=DISCOUNT_CODE,
                    percent=_dec(item.discount_percent) if item.discount_percent else None,
                    base=(quantity * price).quantize(quantum, ROUND_HALF_UP) if item.discount_percent else None,
                )
            )
        lines.append(
            Line(
                id=str(index),
                name=item.description.strip().splitlines()[0] if item.description.strip() else "Item",
                quantity=quantity,
                price=price,
                net_amount=_dec(item.amount),
                vat_category=item.tax_category,
                vat_rate=_line_rate(item.tax_category, item.tax_rate, invoice.tax_rate),
                allowances=allowances,
            )
        )
    adjustments = [
        AllowanceCharge(
            charge=a.kind == "charge",
            amount=_dec(part.amount),
            reason=a.reason,
            reason_code=a.reason_code,
            percent=_dec(a.percent) if a.percent and part.base else None,
            base=_dec(part.base) if a.percent and part.base else None,
            vat_category=part.tax_category,
            vat_rate=_dec(part.tax_rate),
        )
        for a in invoice.adjustments
        for part in a.parts
    ]
    notes = [n for n in [invoice.notes.strip(), *invoice.legal_notes] if n]
    accounting = invoice.vat_accounting
    period = None
    if invoice.service_period_start and invoice.service_period_end:
        period = (invoice.service_period_start, invoice.service_period_end)
    buyer = buyer_party(document.client, fmt, categories)
    return Document(
        type_code=INVOICE,
        number=invoice.number or "DRAFT",  # a draft's problems are shown before it has a number
        issue_date=invoice.issue_date,
        currency=currency,
        minor_digits=money.exponent(currency),
        seller=seller_party(document.workspace, fmt, categories),
        buyer=buyer,
        lines=lines,
        vat_groups=_groups(invoice.vat_breakdown),
        line_total=_dec(invoice.subtotal),
        allowance_total=_dec(invoice.allowance_total),
        charge_total=_dec(invoice.charge_total),
        tax_exclusive=_dec(invoice.net_total),
        tax_total=_dec(invoice.tax_amount),
        tax_inclusive=_dec(invoice.total),
        payable=_dec(invoice.total),
        due_date=invoice.due_date,
        buyer_reference=(document.client.buyer_reference if document.client else "") or None,
        notes=["\n".join(notes)] if notes else [],
        # Unsaid on a draft, the date of supply is the issue date, as finalize will state it.
        delivery_date=(invoice.delivery_date or invoice.issue_date) if period is None else None,
        period=period,
        deliver_to=buyer.address if "K" in categories else None,
        tax_currency=accounting.currency if accounting and accounting.tax_amount is not None else None,
        tax_total_accounting=_dec(accounting.tax_amount) if accounting and accounting.tax_amount else None,
        payment=_payment(document.workspace, invoice.number or ""),
        payment_terms=_terms(invoice, fmt),
        allowances=adjustments,
    )


def credit_note_model(document: CreditNoteDocument, fmt: EinvoiceFormat) -> Document:
    """A credit note: its lines (an allowance credited back is a line of quantity -1), its
    breakdown, and the invoice it corrects (BG-3)."""
    note = document.credit_note
    currency = note.currency
    rates: dict[str, set[Decimal]] = {}
    for g in note.vat_breakdown:
        rates.setdefault(g.tax_category, set()).add(_dec(g.tax_rate))
    categories = set(rates)
    lines = []
    for index, x in enumerate(note.lines, start=1):
        net, quantity = _dec(x.amount), _dec(x.quantity)
        if net < 0:
            net_abs, quantity = -net, -quantity
        else:
            net_abs = net
        price = _dec(x.unit_price) if x.unit_price else None
        if price is None or (abs(quantity) * price).quantize(money.quantum(currency), ROUND_HALF_UP) != net_abs:
            price = (net_abs / abs(quantity)).quantize(Decimal("0.000001"), ROUND_HALF_UP) if quantity else net_abs
        if x.tax_rate is not None:
            rate = _dec(x.tax_rate)
        else:
            known = rates.get(x.tax_category, {Decimal(0)})
            rate = next(iter(known)) if len(known) == 1 else Decimal(0)
        lines.append(
            Line(
                id=str(index),
                name=x.description.strip().splitlines()[0] if x.description.strip() else "Credit",
                quantity=quantity,
                price=price,
                net_amount=net,
                vat_category=x.tax_category,
                vat_rate=rate,
            )
        )
    buyer = buyer_party(document.client, fmt, categories)
    period = None
    if document.service_period_start and document.service_period_end:
        period = (document.service_period_start, document.service_period_end)
    reference = note.invoice.number or ""
    total = _dec(note.total)
    return Document(
        type_code=CREDIT_NOTE,
        number=note.number,
        issue_date=note.issue_date,
        currency=currency,
        minor_digits=money.exponent(currency),
        seller=seller_party(document.workspace, fmt, categories),
        buyer=buyer,
        lines=lines,
        vat_groups=_groups(note.vat_breakdown),
        line_total=_dec(note.net_total),
        allowance_total=Decimal(0),
        charge_total=Decimal(0),
        tax_exclusive=_dec(note.net_total),
        tax_total=_dec(note.tax_amount),
        tax_inclusive=total,
        payable=total,
        buyer_reference=(document.client.buyer_reference if document.client else "") or None,
        notes=[note.reason] if note.reason else [],
        preceding=(reference, note.invoice.issue_date),
        delivery_date=document.delivery_date if period is None else None,
        period=period,
        deliver_to=buyer.address if "K" in categories else None,
        payment=Payment(means_code="1", reference=note.number),
        payment_terms=f"Credited against invoice {reference}",
    )
