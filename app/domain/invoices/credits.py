"""Credit notes: a finalized invoice is corrected by a document of its own, never altered.
A credit note credits the whole rest of the invoice, chosen lines (or part of their
quantity), or a net amount of an invoice with one VAT group; its VAT is worked out per
group like the invoice's (a full credit reverses exactly the tax still uncredited). It is
numbered from its own gapless series, lowers the invoice's balance, leaves a refund due on
a paid one, and cancels an open invoice it credits in full."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.db.models import CreditNote, Invoice
from app.domain import mail_limits, money, parties, vat
from app.domain.access import Scope, WorkspaceAccess
from app.domain.accounts import utcnow
from app.domain.deliveries import EmailKind, queue_emails, recipients_of
from app.domain.einvoice_formats import check_issue
from app.domain.errors import NotFound, ValidationFailed
from app.domain.invoices.base import Result
from app.domain.invoices.bounds import check_amount, check_decimal
from app.domain.invoices.numbers import Numbers
from app.domain.lifecycle import Action, Status
from app.domain.outputs import CreditNoteDocument, CreditNoteOut, Page
from app.domain.schemas import CreditInput, ListQuery, SendInput
from app.domain.service import rehearsal
from app.domain.views import credit_note_out, issued_groups
from app.domain.workspaces import today_in

CREDIT_PATTERN = "CN-{YYYY}-{SEQ:4}"


@dataclass
class _Group:
    key: vat.Key
    exemption: tuple[str | None, str | None]
    taxable_minor: int = 0
    tax_minor: int = 0


def _key(group: dict[str, Any]) -> vat.Key:
    return vat.Key(vat.Category(group["tax_category"]), Decimal(group["tax_rate"]))


def _remaining(invoice: Invoice) -> dict[vat.Key, _Group]:
    """Each VAT group of the invoice less what its credit notes already credited."""
    left: dict[vat.Key, _Group] = {}
    for g in issued_groups(invoice):
        group = left.setdefault(_key(g), _Group(_key(g), (g["exemption_code"], g["exemption_reason"])))
        group.taxable_minor += g["taxable_minor"]
        group.tax_minor += g["tax_minor"]
    for note in invoice.credit_notes:
        for g in note.vat_breakdown:
            if _key(g) in left:
                left[_key(g)].taxable_minor -= g["taxable_minor"]
                left[_key(g)].tax_minor -= g["tax_minor"]
    return left


def _credited_quantity(invoice: Invoice, line: int) -> Decimal:
    return sum(
        (Decimal(x["quantity"]) for note in invoice.credit_notes for x in note.lines if x.get("line") == line),
        Decimal(0),
    )


class Credits(Numbers):
    async def credit(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: CreditInput, *, dry_run: bool = False
    ) -> Result:
        """Issue a credit note for the invoice (``credit`` in the lifecycle)."""
        async with self.acting_on(access, invoice_uuid, Action.CREDIT, dry_run) as invoice:
            reason = data.reason.strip()
            if not reason:
                raise ValidationFailed.field(
                    "reason", "say why the invoice is credited; it is printed on the credit note"
                )
            note = await self._issue_credit_note(access, invoice, reason, data)
            before = Status(invoice.status)
            after = _status_after_credit(invoice)
            if after is not before:
                invoice.status = after.value
                if after is Status.CANCELLED:
                    invoice.cancelled_at, invoice.cancel_reason = utcnow(), reason
                else:
                    invoice.paid_at = utcnow()
            self._record(
                access, invoice, "credit", before, after, note=reason,
                data={"credit_note": note.number, "total": money.format_amount(note.total_minor, note.currency)},
            )  # fmt: skip
            return await self._finish(invoice, dry_run)

    async def _issue_credit_note(
        self, access: WorkspaceAccess, invoice: Invoice, reason: str, data: CreditInput | None = None
    ) -> CreditNote:
        """The credit note of ``data`` (the whole rest when None), numbered and added."""
        left = _remaining(invoice)
        if data is None or (data.lines is None and data.amount is None):
            lines, groups = self._whole_rest(invoice, left)
        elif data.lines is not None and data.amount is not None:
            raise ValidationFailed.field("amount", "give lines or an amount, not both")
        elif data.lines is not None:
            lines, groups = _chosen_lines(invoice, data, left)
        else:
            assert data.amount is not None
            lines, groups = _an_amount(invoice, data.amount, left)
        if not lines or sum(g.taxable_minor + g.tax_minor for g in groups) <= 0:
            raise ValidationFailed.field("lines", "nothing is left to credit on this invoice")
        day = today_in(access.workspace)
        note = CreditNote(
            workspace_id=invoice.workspace_id,
            invoice_id=invoice.id,
            invoice=invoice,
            number=await self._next_number(access, day, CREDIT_PATTERN, taken=self._credit_number_taken),
            issue_date=day,
            reason=reason,
            currency=invoice.currency,
            lines=lines,
            vat_breakdown=[
                {
                    "tax_category": g.key.category.value,
                    "tax_rate": format(g.key.rate, "f"),
                    "exemption_code": g.exemption[0],
                    "exemption_reason": g.exemption[1],
                    "taxable_minor": g.taxable_minor,
                    "tax_minor": g.tax_minor,
                }
                for g in groups
            ],
            net_minor=sum(g.taxable_minor for g in groups),
            tax_minor=sum(g.tax_minor for g in groups),
            total_minor=sum(g.taxable_minor + g.tax_minor for g in groups),
            public_token=secrets.token_urlsafe(24),
        )
        # invoice=invoice above has already put the note on invoice.credit_notes.
        self.session.add(note)
        invoice.credited_minor += note.total_minor
        if invoice.client is not None and invoice.client.einvoice_format:
            await self.session.flush()
            document = parties.credit_note_document(note, access.workspace, access.role.value, self.base_url)
            await check_issue(document, invoice.client, "credit note")
        return note

    def _whole_rest(self, invoice: Invoice, left: dict[vat.Key, _Group]) -> tuple[list[dict[str, Any]], list[_Group]]:
        groups = [g for g in left.values() if g.taxable_minor or g.tax_minor]
        if not invoice.credit_notes:
            lines = [
                {
                    "line": i + 1,
                    "description": x.description,
                    "quantity": format(x.quantity, "f"),
                    "unit_price": format(x.unit_price, "f"),
                    "amount_minor": x.amount_minor,
                    "tax_category": x.tax_category or invoice.tax_category,
                    "tax_rate": format(_line_rate(invoice, x), "f"),
                }
                for i, x in enumerate(invoice.items)
            ]
            for a in invoice.adjustments or []:
                sign = -1 if a["kind"] == "allowance" else 1
                for part in a["parts"]:
                    lines.append({
                        "description": a["reason"] or a["reason_code"], "quantity": "1",
                        "amount_minor": sign * part["amount_minor"], "tax_category": part["tax_category"],
                        "tax_rate": part["tax_rate"],
                    })  # fmt: skip
        else:
            lines = [
                {
                    "description": f"The rest of invoice {invoice.number} at {vat.describe(g.key)}",
                    "quantity": "1",
                    "amount_minor": g.taxable_minor,
                    "tax_category": g.key.category.value,
                    "tax_rate": format(g.key.rate, "f"),
                }
                for g in groups
            ]
        return lines, groups

    async def cancel_with_credit_note(self, access: WorkspaceAccess, invoice: Invoice, reason: str | None) -> None:
        """A finalized invoice is cancelled by crediting the rest of it (none is left when
        earlier credit notes credited it all)."""
        if invoice.finalized_at is None:
            return
        left = _remaining(invoice)
        if any(g.taxable_minor or g.tax_minor for g in left.values()):
            note = await self._issue_credit_note(access, invoice, reason or "Invoice cancelled")
            self._record(
                access, invoice, "credit", Status(invoice.status), Status(invoice.status), note=reason,
                data={"credit_note": note.number, "total": money.format_amount(note.total_minor, note.currency)},
            )  # fmt: skip

    async def send_credit_note(
        self, access: WorkspaceAccess, note_uuid: uuid.UUID, data: SendInput, *, dry_run: bool = False
    ) -> Result:
        """Email a credit note (its PDF attached) to the client, or to ``data.to``; answered
        with its invoice, which tracks the delivery like its own emails."""
        await self.enter(access, Scope.INVOICES_SEND)
        async with rehearsal(self.session, dry_run):
            note = await self.find_credit_note(access, note_uuid)
            invoice = await self.find(access, note.invoice_id, lock=True)
            recipients = recipients_of(invoice, data.to)
            if not recipients:
                raise ValidationFailed.field(
                    "to", "nobody to email: give one or more addresses in to, or an email address to the client"
                )
            message = (data.message or "").strip()
            status = Status(invoice.status)
            self._record(
                access, invoice, "credit_note_sent", status, status,
                data={"credit_note": note.number, "recipients": recipients} | ({"message": message} if message else {}),
            )  # fmt: skip
            await mail_limits.take(self.session, access.workspace_id, recipients, dry_run=dry_run)
            queue_emails(
                self.session, invoice, EmailKind.CREDIT_NOTE, recipients, message, self.base_url, dry_run=dry_run,
                credit_note_id=note.id,
            )  # fmt: skip
            return await self._finish(invoice, dry_run, recipients=recipients)

    async def _credit_number_taken(self, access: WorkspaceAccess, number: str) -> bool:
        query = select(CreditNote.id).where(CreditNote.workspace_id == access.workspace_id, CreditNote.number == number)
        return (await self.session.execute(query.limit(1))).first() is not None

    # --- reading ------------------------------------------------------------------------------

    async def find_credit_note(self, access: WorkspaceAccess, note_uuid: uuid.UUID) -> CreditNote:
        query = select(CreditNote).where(CreditNote.workspace_id == access.workspace_id, CreditNote.id == note_uuid)
        note = (await self.session.execute(query)).unique().scalar_one_or_none()
        if note is None:
            raise NotFound(f"no credit note {note_uuid} in this workspace", code="credit_note_not_found")
        return note

    async def get_credit_note(self, access: WorkspaceAccess, note_uuid: uuid.UUID) -> CreditNoteOut:
        await self.enter(access, Scope.INVOICES_READ)
        return credit_note_out(await self.find_credit_note(access, note_uuid), self.base_url)

    async def credit_note_document(self, access: WorkspaceAccess, note_uuid: uuid.UUID) -> CreditNoteDocument:
        """What the PDF of a credit note shows."""
        await self.enter(access, Scope.INVOICES_READ)
        note = await self.find_credit_note(access, note_uuid)
        return parties.credit_note_document(note, access.workspace, access.role.value, self.base_url)

    async def list_credit_notes(
        self, access: WorkspaceAccess, query: ListQuery, invoice_uuid: uuid.UUID | None = None
    ) -> Page[CreditNoteOut]:
        await self.enter(access, Scope.INVOICES_READ)
        where: list[Any] = [CreditNote.workspace_id == access.workspace_id]
        if invoice_uuid is not None:
            await self.find(access, invoice_uuid)  # another workspace's invoice is not found, as everywhere
            where.append(CreditNote.invoice_id == invoice_uuid)
        if query.search:
            where.append(CreditNote.number.ilike(f"%{query.search}%"))
        total = (await self.session.execute(select(func.count()).select_from(CreditNote).where(*where))).scalar_one()
        rows = (
            (
                await self.session.execute(
                    select(CreditNote)
                    .where(*where)
                    .order_by(CreditNote.id.desc())
                    .offset((query.page - 1) * query.per_page)
                    .limit(query.per_page)
                )
            )
            .unique()
            .scalars()
        )
        items = [credit_note_out(n, self.base_url) for n in rows]
        return Page(
            items=items, total=total, page=query.page, per_page=query.per_page,
            has_more=query.page * query.per_page < total,
        )  # fmt: skip


def _status_after_credit(invoice: Invoice) -> Status:
    status = Status(invoice.status)
    if status is Status.PAID:
        return status  # settled already: what it credits is a refund due
    if invoice.credited_minor >= invoice.total_minor:
        return Status.CANCELLED
    if invoice.total_minor - invoice.paid_minor - invoice.discount_taken_minor - invoice.credited_minor <= 0:
        return Status.PAID
    return status


def _chosen_lines(
    invoice: Invoice, data: CreditInput, left: dict[vat.Key, _Group]
) -> tuple[list[dict[str, Any]], list[_Group]]:
    assert data.lines is not None
    if not data.lines:
        raise ValidationFailed.field("lines", "name at least one line, or leave lines out to credit the whole invoice")
    taxable: dict[vat.Key, int] = {}
    lines = []
    for i, chosen in enumerate(data.lines):
        field = f"lines[{i}]"
        if not 1 <= chosen.line <= len(invoice.items):
            raise ValidationFailed.field(f"{field}.line", f"the invoice has lines 1 to {len(invoice.items)}")
        item = invoice.items[chosen.line - 1]
        open_quantity = item.quantity - _credited_quantity(invoice, chosen.line)
        if open_quantity <= 0:
            raise ValidationFailed.field(f"{field}.line", f"line {chosen.line} is credited in full already")
        quantity = open_quantity if chosen.quantity is None else chosen.quantity
        check_decimal(quantity, f"{field}.quantity", Decimal(0), max(open_quantity, Decimal(0)), low_open=True)
        net = money.to_minor(money.from_minor(item.amount_minor, invoice.currency) * quantity / item.quantity,
                             invoice.currency)  # fmt: skip
        category = vat.Category(item.tax_category or invoice.tax_category)
        rate = _line_rate(invoice, item)
        key = vat.Key(category, rate)
        taxable[key] = taxable.get(key, 0) + net
        lines.append({
            "line": chosen.line, "description": item.description, "quantity": format(quantity, "f"),
            "unit_price": format(item.unit_price, "f"), "amount_minor": net, "tax_category": category.value,
            "tax_rate": format(rate, "f"),
        })  # fmt: skip
    return lines, _taxed(taxable, left, invoice.currency)


def _line_rate(invoice: Invoice, item: Any) -> Decimal:
    """The rate a line is taxed at: its own or the invoice's standard rate, 0 outside S."""
    if (item.tax_category or invoice.tax_category) != vat.Category.STANDARD.value:
        return Decimal(0)
    return Decimal(invoice.tax_rate if item.tax_rate is None else item.tax_rate)


def _an_amount(
    invoice: Invoice, amount: Decimal, left: dict[vat.Key, _Group]
) -> tuple[list[dict[str, Any]], list[_Group]]:
    groups = [k for k, g in left.items() if g.taxable_minor > 0]
    if len(groups) != 1:
        raise ValidationFailed.field(
            "amount", "the invoice has several VAT groups: credit chosen lines instead, so each is taxed at its rate"
        )
    net = check_amount(amount, "amount", invoice.currency, Decimal(10**12))
    line = {"description": "Credit", "quantity": "1", "amount_minor": net, "tax_category": groups[0].category.value,
            "tax_rate": format(groups[0].rate, "f")}  # fmt: skip
    return [line], _taxed({groups[0]: net}, left, invoice.currency)


def _taxed(taxable: dict[vat.Key, int], left: dict[vat.Key, _Group], currency: str) -> list[_Group]:
    """Each group's credited net, taxed once at its rate: never more than is left of it."""
    groups = []
    for key, net in taxable.items():
        rest = left.get(key)
        if rest is None or net > rest.taxable_minor:
            remaining = money.format_amount(rest.taxable_minor if rest else 0, currency)
            raise ValidationFailed.field(
                "amount", f"more than is left to credit at {vat.describe(key)} ({remaining} {currency} net left)"
            )
        tax = rest.tax_minor if net == rest.taxable_minor else min(vat.percent_of(net, key.rate), rest.tax_minor)
        groups.append(_Group(key, rest.exemption, net, tax))
    return groups
