"""Turning invoice rows into the invoice JSON that REST, MCP and the web all return."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.db.models import Client, CreditNote, Invoice
from app.domain import early_payment, lifecycle, money, vat
from app.domain.lifecycle import Status
from app.domain.outputs import (
    ActorOut,
    ClientRef,
    CreditNoteLineOut,
    CreditNoteOut,
    CreditNoteRef,
    DeliveryOut,
    EarlyPaymentOut,
    HistoryOut,
    InvoiceOut,
    InvoiceRef,
    InvoiceSummary,
    ItemOut,
    PaymentOut,
)
from app.domain.vat_outputs import AdjustmentOut, AdjustmentPart, VatAccountingOut, VatGroupOut


def plain_decimal(value: Decimal) -> str:
    """``40`` rather than ``40.0000``, ``1.5`` rather than ``1.50``; never scientific."""
    text = format(value.normalize(), "f")
    return text


def price_text(value: Decimal, currency: str) -> str:
    """A unit price shows at least its currency's digits (``150.00``) and keeps any finer ones."""
    places = money.exponent(currency)
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return format(normalized, "f")
    return format(value.quantize(money.quantum(currency)), "f")


def _client_ref(invoice: Invoice) -> ClientRef | None:
    return ClientRef(uuid=invoice.client.id, name=invoice.client.name) if invoice.client else None


def shown_to_client(invoice: Invoice) -> bool:
    """Whether the client may see the invoice without an account: once it has been sent
    (and so also when it is overdue, paid, or cancelled after sending). A draft, finalized
    or not, or one cancelled before it was ever sent, has been sent to nobody."""
    return invoice.sent_at is not None


def public_url(invoice: Invoice, base_url: str) -> str | None:
    """The client's page of the invoice (``/i/<token>``), or None while nobody may see it:
    exactly what that page serves (``app/domain/public.py``)."""
    if not shown_to_client(invoice):
        return None
    return f"{base_url}/i/{invoice.public_token}"


def invoice_out(invoice: Invoice, base_url: str) -> InvoiceOut:
    currency = invoice.currency
    amount = money.format_amount
    groups = vat_breakdown(invoice)
    balance = early_payment.balance_minor(
        invoice.total_minor, invoice.paid_minor, invoice.discount_taken_minor, invoice.credited_minor
    )
    return InvoiceOut(
        uuid=invoice.id,
        number=invoice.number,
        title=invoice.title,
        status=Status(invoice.status),
        client=_client_ref(invoice),
        currency=currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        notes=invoice.notes,
        tax_rate=plain_decimal(invoice.tax_rate),
        delivery_date=invoice.delivery_date,
        service_period_start=invoice.service_period_start,
        service_period_end=invoice.service_period_end,
        tax_category=invoice.tax_category,
        exemption_code=invoice.exemption_code,
        exemption_reason=invoice.exemption_reason,
        items=[
            ItemOut(
                description=line.description,
                quantity=plain_decimal(line.quantity),
                unit_price=price_text(line.unit_price, currency),
                tax_rate=None if line.tax_rate is None else plain_decimal(line.tax_rate),
                amount=amount(line.amount_minor, currency),
                tax_amount=amount(line.tax_minor, currency),
                discount_percent=None if line.discount_percent is None else plain_decimal(line.discount_percent),
                discount=amount(line.discount_minor, currency),
                tax_category=line.tax_category or invoice.tax_category,
                exemption_code=line.exemption_code,
                exemption_reason=line.exemption_reason,
            )
            for line in invoice.items
        ],
        adjustments=[_adjustment(a, currency) for a in invoice.adjustments or []],
        subtotal=amount(invoice.subtotal_minor, currency),
        allowance_total=amount(invoice.allowance_minor, currency),
        charge_total=amount(invoice.charge_minor, currency),
        net_total=amount(invoice.subtotal_minor - invoice.allowance_minor + invoice.charge_minor, currency),
        tax_amount=amount(invoice.tax_minor, currency),
        vat_breakdown=groups,
        legal_notes=legal_notes(groups),
        vat_exchange_rate=None if invoice.vat_exchange_rate is None else plain_decimal(invoice.vat_exchange_rate),
        vat_accounting=_vat_accounting(invoice),
        total=amount(invoice.total_minor, currency),
        amount_paid=amount(invoice.paid_minor, currency),
        credited=amount(invoice.credited_minor, currency),
        balance_due=amount(max(balance, 0), currency),
        refund_due=amount(max(-balance, 0), currency),
        credit_notes=[
            CreditNoteRef(uuid=n.id, number=n.number, issue_date=n.issue_date, total=amount(n.total_minor, currency))
            for n in invoice.credit_notes
        ],
        early_payment=_early_payment(invoice),
        finalized_at=invoice.finalized_at,
        sent_at=invoice.sent_at,
        paid_at=invoice.paid_at,
        cancelled_at=invoice.cancelled_at,
        cancel_reason=invoice.cancel_reason,
        payments=[
            PaymentOut(
                uuid=p.id,
                amount=amount(p.amount_minor, currency),
                payment_date=p.payment_date,
                payment_method=p.payment_method,
                recorded_at=p.created_at,
            )
            for p in invoice.payments
        ],
        history=[
            HistoryOut(
                action=e.action,
                from_status=Status(e.from_status) if e.from_status else None,
                to_status=Status(e.to_status) if e.to_status else None,
                at=e.created_at,
                actor=ActorOut(uuid=e.actor_user_id, name=e.actor_name),
                channel=e.channel,
                oauth_client=e.oauth_client_id,
                note=e.note,
                data=e.data,
            )
            for e in invoice.history
        ],
        deliveries=[
            DeliveryOut(
                uuid=d.id,
                to=d.recipient,
                kind=d.kind,
                status=d.status,
                attempts=d.attempts,
                queued_at=d.queued_at,
                sent_at=d.sent_at,
                opened_at=d.opened_at,
                bounced_at=d.bounced_at,
                failed_at=d.failed_at,
                next_attempt_at=d.next_attempt_at if d.status == "queued" else None,
                reason=d.reason,
            )
            for d in invoice.deliveries
        ],
        allowed_actions=lifecycle.allowed_actions(invoice),
        public_url=public_url(invoice, base_url),
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
    )


def _adjustment(stored: dict[str, Any], currency: str) -> AdjustmentOut:
    amount = money.format_amount
    return AdjustmentOut(
        kind=stored["kind"],
        reason=stored["reason"],
        reason_code=stored["reason_code"],
        percent=None if stored["percent"] is None else plain_decimal(Decimal(stored["percent"])),
        amount=amount(sum(p["amount_minor"] for p in stored["parts"]), currency),
        tax_category=stored["tax_category"],
        tax_rate=None if stored["tax_rate"] is None else plain_decimal(Decimal(stored["tax_rate"])),
        parts=[
            AdjustmentPart(
                tax_category=p["tax_category"],
                tax_rate=plain_decimal(Decimal(p["tax_rate"])),
                base=None if p["base_minor"] is None else amount(p["base_minor"], currency),
                amount=amount(p["amount_minor"], currency),
            )
            for p in stored["parts"]
        ],
    )


def vat_breakdown(invoice: Invoice) -> list[VatGroupOut]:
    return groups_out(issued_groups(invoice), invoice.currency)


def issued_groups(invoice: Invoice) -> list[dict[str, Any]]:
    """The VAT breakdown the invoice was priced with, in minor units. One priced before VAT
    groups existed (taxed line by line) has its lines grouped, with the tax it was issued with."""
    stored = invoice.vat_breakdown
    if stored is None:
        sums: dict[tuple[str, Decimal], list[int]] = {}
        for line in invoice.items:
            rate = invoice.tax_rate if line.tax_rate is None else line.tax_rate
            taxable_tax = sums.setdefault((line.tax_category or invoice.tax_category, rate), [0, 0])
            taxable_tax[0] += line.amount_minor
            taxable_tax[1] += line.tax_minor
        stored = [
            {"tax_category": c, "tax_rate": str(r), "taxable_minor": t, "tax_minor": x, "exemption_code": None,
             "exemption_reason": None}
            for (c, r), (t, x) in sums.items()
        ]  # fmt: skip
    return stored


def groups_out(stored: list[dict[str, Any]], currency: str) -> list[VatGroupOut]:
    return [
        VatGroupOut(
            tax_category=g["tax_category"],
            tax_rate=plain_decimal(Decimal(g["tax_rate"])),
            taxable_amount=money.format_amount(g["taxable_minor"], currency),
            tax_amount=money.format_amount(g["tax_minor"], currency),
            exemption_code=g["exemption_code"],
            exemption_reason=g["exemption_reason"],
        )
        for g in stored
    ]


def credit_note_out(note: CreditNote, base_url: str) -> CreditNoteOut:
    currency, amount = note.currency, money.format_amount
    invoice = note.invoice
    return CreditNoteOut(
        uuid=note.id,
        number=note.number,
        invoice=InvoiceRef(uuid=invoice.id, number=invoice.number, issue_date=invoice.issue_date),
        client=_client_ref(invoice),
        issue_date=note.issue_date,
        reason=note.reason,
        currency=currency,
        lines=[
            CreditNoteLineOut(
                line=x.get("line"),
                description=x["description"],
                quantity=plain_decimal(Decimal(x["quantity"])),
                unit_price=price_text(Decimal(x["unit_price"]), currency) if x.get("unit_price") else None,
                amount=amount(x["amount_minor"], currency),
                tax_category=x["tax_category"],
                tax_rate=x.get("tax_rate"),
            )
            for x in note.lines
        ],
        vat_breakdown=groups_out(note.vat_breakdown, currency),
        net_total=amount(note.net_minor, currency),
        tax_amount=amount(note.tax_minor, currency),
        total=amount(note.total_minor, currency),
        public_url=f"{base_url}/c/{note.public_token}",
        created_at=note.created_at,
    )


def legal_notes(groups: list[VatGroupOut]) -> list[str]:
    """The notes the law has an invoice print for the categories it uses: each exempt
    group's reason, then reverse charge, intra-community supply, export, not subject."""
    notes = [
        f"Exempt from VAT: {g.exemption_reason or g.exemption_code}."
        for g in groups
        if g.tax_category == vat.Category.EXEMPT
    ]
    return notes + vat.notes_for(vat.Category(g.tax_category) for g in groups)


def _vat_accounting(invoice: Invoice) -> VatAccountingOut | None:
    currency, minor = invoice.vat_accounting_currency, invoice.vat_accounting_minor
    if currency is None or minor is None or invoice.vat_exchange_rate is None:
        return None
    return VatAccountingOut(
        currency=currency,
        rate=plain_decimal(invoice.vat_exchange_rate),
        tax_amount=money.format_amount(minor, currency),
    )


def _early_payment(invoice: Invoice) -> EarlyPaymentOut | None:
    last_day = early_payment.pay_by(invoice)
    if invoice.early_discount_percent is None or invoice.early_discount_days is None or last_day is None:
        return None  # the terms are set and cleared together
    discount, currency = early_payment.discount_minor(invoice), invoice.currency
    taken = invoice.discount_taken_minor
    return EarlyPaymentOut(
        percent=plain_decimal(invoice.early_discount_percent),
        days=invoice.early_discount_days,
        pay_by=last_day,
        discount=money.format_amount(discount, currency),
        amount=money.format_amount(invoice.total_minor - discount, currency),
        taken=money.format_amount(taken, currency) if taken else None,
    )


def invoice_summary(row: Any) -> InvoiceSummary:
    """A list row from the columns of ``SUMMARY_COLUMNS``, in their order (no invoice object
    is loaded; the row is unpacked by position, a page holds up to a hundred)."""
    (uuid_, number, title, status, currency, issue_date, due_date, total, paid, discount_taken, credited, created_at,
     client_id, client_name) = row[:14]  # fmt: skip
    balance = early_payment.balance_minor(total, paid, discount_taken, credited)
    return InvoiceSummary(
        uuid=uuid_,
        number=number,
        title=title,
        status=Status(status),
        client=ClientRef(uuid=client_id, name=client_name) if client_id is not None else None,
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        total=money.format_amount(total, currency),
        balance_due=money.format_amount(max(balance, 0), currency),
        created_at=created_at,
    )


# What a list row reads: the invoice's own columns and its client's name (outer join).
SUMMARY_COLUMNS = (
    Invoice.id, Invoice.number, Invoice.title, Invoice.status, Invoice.currency, Invoice.issue_date,
    Invoice.due_date, Invoice.total_minor, Invoice.paid_minor, Invoice.discount_taken_minor, Invoice.credited_minor,
    Invoice.created_at,
    Client.id.label("client_id"), Client.name.label("client_name"),
)  # fmt: skip
