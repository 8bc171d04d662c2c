"""Invoices: creation, edits, the enforced lifecycle, payments, numbering, duplication.

Every method takes a ``WorkspaceAccess``; every query filters by its workspace. Each state
change appends a history event with actor, channel and OAuth client. ``dry_run`` runs the
change for real inside a savepoint, captures the result, then rolls the savepoint back.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from app.db.models import Client, EmailDelivery, Invoice, InvoiceCounter, InvoiceEvent, InvoiceItem, Payment
from app.domain import lifecycle, mail_limits, money, numbering
from app.domain.access import Scope, WorkspaceAccess
from app.domain.accounts import check_email, utcnow
from app.domain.clients import ClientService, client_out
from app.domain.deliveries import DeliveryStatus, EmailKind, queue_emails
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.lifecycle import Action, Status
from app.domain.schemas import (
    CancelInput,
    DryRunOut,
    DuplicateInput,
    FromPreviousInput,
    InvoiceCreate,
    InvoiceDocument,
    InvoiceFilter,
    InvoiceOut,
    InvoiceSummary,
    InvoiceUpdate,
    ItemInput,
    NextNumberOut,
    Page,
    PaymentInput,
    QuoteLine,
    QuoteOut,
    SendInput,
)
from app.domain.search import contains
from app.domain.service import DomainService, rehearsal
from app.domain.views import SUMMARY_COLUMNS, invoice_out, invoice_summary
from app.domain.workspaces import today_in, workspace_out

MAX_QUANTITY = Decimal(1_000_000)
MAX_UNIT_PRICE = Decimal(1_000_000_000)
MAX_LINE_AMOUNT = Decimal(1_000_000_000_000)
MAX_DECIMALS = 4
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)

Result = InvoiceOut | DryRunOut

NO_RECIPIENT = (
    "nobody to email: give one or more addresses in to, or an email address to the client; "
    "to record the send without emailing anyone (it went out another way), send with notify false"
)

# The scope each lifecycle action needs: the service requires it, and faces ask
# ``permitted_actions`` what to offer.
ACTION_SCOPE = {
    Action.UPDATE: Scope.INVOICES_WRITE,
    Action.FINALIZE: Scope.INVOICES_WRITE,
    Action.SEND: Scope.INVOICES_SEND,
    Action.MARK_PAID: Scope.PAYMENTS_WRITE,
    Action.CANCEL: Scope.INVOICES_WRITE,
    Action.DELETE: Scope.INVOICES_WRITE,
    Action.DUPLICATE: Scope.INVOICES_WRITE,
}


def permitted_actions(access: WorkspaceAccess, invoice: InvoiceOut) -> list[str]:
    """The actions the invoice allows now that this caller may also take."""
    return [a for a in invoice.allowed_actions if access.allows(ACTION_SCOPE[Action(a)])]


def _check_decimal(value: Decimal, field: str, low: Decimal, high: Decimal, *, low_open: bool = False) -> Decimal:
    if not value.is_finite():
        raise ValidationFailed.field(field, "must be a finite number")
    # The range first: quantizing an absurd value overflows Decimal's 28-digit precision.
    if (value <= low if low_open else value < low) or value > high:
        bound = "greater than" if low_open else "at least"
        raise ValidationFailed.field(field, f"must be {bound} {low} and at most {high}; got {value}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        places = value.quantize(Decimal(1).scaleb(-MAX_DECIMALS))
        if value != places:
            raise ValidationFailed.field(field, f"at most {MAX_DECIMALS} decimal places")
        # Only trailing zeros beyond the limit: keep the same value without them, so that
        # the stored text stays short (1.000...0 with 40 zeros would not fit the column).
        return places
    return value


def _check_date(value: dt.date, field: str) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise ValidationFailed.field(field, f"must be between {EARLIEST} and {LATEST}")
    return value


def check_tax_rate(value: Decimal, field: str = "tax_rate") -> Decimal:
    return _check_decimal(value, field, Decimal(0), Decimal(100))


class InvoiceService(DomainService[Invoice]):
    class Repo(SQLAlchemyAsyncRepository[Invoice]):
        model_type = Invoice

    repository_type = Repo

    def __init__(self, session: AsyncSession, *, base_url: str = "", **kwargs: Any) -> None:
        super().__init__(session=session, **kwargs)
        self.base_url = base_url

    # --- reading ----------------------------------------------------------------------------

    async def find(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, *, lock: bool = False) -> Invoice:
        query = select(Invoice).where(Invoice.workspace_id == access.workspace_id, Invoice.id == invoice_uuid)
        if lock:
            # Serialises concurrent transitions of one invoice on PostgreSQL (a payment racing
            # a cancel): the second waits, then sees the first's result.
            query = query.with_for_update(of=Invoice)
        invoice = (await self.session.execute(query)).unique().scalar_one_or_none()
        if invoice is None:
            raise NotFound(f"no invoice {invoice_uuid} in this workspace", code="invoice_not_found")
        return invoice

    def out(self, invoice: Invoice) -> InvoiceOut:
        return invoice_out(invoice, self.base_url)

    async def get_out(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> InvoiceOut:
        await self.enter(access, Scope.INVOICES_READ)
        return self.out(await self.find(access, invoice_uuid))

    async def document(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> InvoiceDocument:
        """What the PDF of an invoice shows."""
        await self.enter(access, Scope.INVOICES_READ)
        invoice = await self.find(access, invoice_uuid)
        return InvoiceDocument(
            invoice=self.out(invoice),
            workspace=workspace_out(access.workspace, access.role.value),
            client=client_out(invoice.client) if invoice.client else None,
        )

    async def list_page(self, access: WorkspaceAccess, query: InvoiceFilter) -> Page[InvoiceSummary]:
        await self.enter(access, Scope.INVOICES_READ)
        where: list[Any] = [Invoice.workspace_id == access.workspace_id]
        if query.status is not None:
            try:
                where.append(Invoice.status == Status(query.status).value)
            except ValueError:
                raise ValidationFailed.field(
                    "status", f"{query.status!r} is not a status; allowed: {', '.join(s.value for s in Status)}"
                ) from None
        if query.client_uuid is not None:
            where.append(Invoice.client_id == query.client_uuid)
        if query.delivery_status is not None:
            where.append(Invoice.id.in_(self._with_delivery(access, query.delivery_status)))
        if query.date_from is not None:
            where.append(Invoice.issue_date >= query.date_from)
        if query.date_to is not None:
            where.append(Invoice.issue_date <= query.date_to)
        if query.date_from and query.date_to and query.date_from > query.date_to:
            raise ValidationFailed.field("date_to", "must be on or after date_from")
        if query.search:
            where.append(or_(contains(Invoice.title, query.search), contains(Invoice.number, query.search)))
        # One statement: the page's rows as plain columns, and the count beside them (an
        # uncorrelated subquery, counted once); a page past the end asks for the count alone.
        # count(*), not count(id): an index on the filter's columns answers it alone.
        counting = select(func.count()).select_from(Invoice).where(*where)
        counted = counting.scalar_subquery().label("total")
        rows = (
            await self.session.execute(
                select(*SUMMARY_COLUMNS, counted)
                .outerjoin(Client, Client.id == Invoice.client_id)
                .where(*where)
                .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                .limit(query.per_page)
                .offset((query.page - 1) * query.per_page)
            )
        ).all()
        total = int(rows[0].total) if rows else (await self.session.execute(counting)).scalar_one()
        items = [invoice_summary(row) for row in rows]
        return Page(
            items=items,
            total=total,
            page=query.page,
            per_page=query.per_page,
            has_more=query.page * query.per_page < total,
        )

    @staticmethod
    def _with_delivery(access: WorkspaceAccess, status: str) -> Any:
        """Invoices with at least one email in this delivery status."""
        try:
            wanted = DeliveryStatus(status).value
        except ValueError:
            allowed = ", ".join(s.value for s in DeliveryStatus)
            raise ValidationFailed.field(
                "delivery_status", f"{status!r} is not a delivery status; allowed: {allowed}"
            ) from None
        return select(EmailDelivery.invoice_id).where(
            EmailDelivery.workspace_id == access.workspace_id, EmailDelivery.status == wanted
        )

    # --- creating and editing ---------------------------------------------------------------

    async def create_invoice(self, access: WorkspaceAccess, data: InvoiceCreate, *, dry_run: bool = False) -> Result:
        await self.enter(access, Scope.INVOICES_WRITE)
        async with rehearsal(self.session, dry_run):
            invoice = await self._new_invoice(
                access,
                title=data.title,
                client_uuid=data.client_uuid,
                currency=data.currency,
                issue_date=data.issue_date,
                due_date=data.due_date,
                notes=data.notes,
                tax_rate=data.tax_rate,
                items=data.items,
            )
            if data.number is not None:
                invoice.number = await self._free_explicit_number(access, data.number, None)
            self.session.add(invoice)
            self._record(access, invoice, "create", None, Status.DRAFT)
            return await self._finish(invoice, dry_run)

    async def _new_invoice(
        self,
        access: WorkspaceAccess,
        *,
        title: str,
        client_uuid: uuid.UUID | None,
        currency: str | None,
        issue_date: dt.date | None,
        due_date: dt.date | None,
        notes: str,
        tax_rate: Decimal,
        items: Sequence[ItemInput],
    ) -> Invoice:
        workspace = access.workspace
        title = title.strip()
        if not title:
            raise ValidationFailed.field("title", "must not be blank")
        code = money.check_currency(currency) if currency else workspace.default_currency
        issue = _check_date(issue_date, "issue_date") if issue_date else today_in(workspace)
        due = _check_date(due_date, "due_date") if due_date else issue + dt.timedelta(days=workspace.payment_terms_days)
        _check_dates(issue, due)
        client = await self._client(access, client_uuid)
        invoice = Invoice(
            workspace_id=access.workspace_id,
            client_id=client.id if client else None,
            client=client,
            title=title,
            status=Status.DRAFT.value,
            currency=code,
            issue_date=issue,
            due_date=due,
            notes=notes.strip(),
            tax_rate=check_tax_rate(tax_rate),
            public_token=secrets.token_urlsafe(24),
            items=[],
            payments=[],
            history=[],
            deliveries=[],
        )
        self._set_items(invoice, items)
        return invoice

    async def _client(self, access: WorkspaceAccess, client_uuid: uuid.UUID | None) -> Client | None:
        if client_uuid is None:
            return None
        return await ClientService(session=self.session).find(access, client_uuid, field="client_uuid")

    def _set_items(self, invoice: Invoice, items: Sequence[ItemInput]) -> None:
        """Replace the items and recompute every amount from them. Totals are sums of
        rounded lines; nothing a caller sends is trusted as an amount."""
        invoice.items = self._lines(invoice, items, invoice.currency, invoice.tax_rate)
        self._total(invoice)

    @staticmethod
    def _lines(invoice: Invoice, items: Sequence[ItemInput], currency: str, tax_rate: Decimal) -> list[InvoiceItem]:
        """Checked and priced item rows for ``invoice``, without touching it."""
        lines: list[InvoiceItem] = []
        for i, item in enumerate(items):
            description = item.description.strip()
            if not description:
                raise ValidationFailed.field(f"items[{i}].description", "must not be blank")
            quantity = _check_decimal(item.quantity, f"items[{i}].quantity", Decimal(0), MAX_QUANTITY, low_open=True)
            price = _check_decimal(item.unit_price, f"items[{i}].unit_price", Decimal(0), MAX_UNIT_PRICE)
            rate = None if item.tax_rate is None else check_tax_rate(item.tax_rate, f"items[{i}].tax_rate")
            if quantity * price > MAX_LINE_AMOUNT:
                raise ValidationFailed.field(
                    f"items[{i}]", f"quantity x unit_price must be at most {MAX_LINE_AMOUNT:,}"
                )
            amounts = money.line_amounts(quantity, price, tax_rate if rate is None else rate, currency)
            lines.append(
                InvoiceItem(
                    workspace_id=invoice.workspace_id,
                    position=i,
                    description=description,
                    quantity=quantity,
                    unit_price=price,
                    tax_rate=rate,
                    amount_minor=amounts.amount_minor,
                    tax_minor=amounts.tax_minor,
                )
            )
        return lines

    @staticmethod
    def _total(invoice: Invoice) -> None:
        invoice.subtotal_minor = sum(line.amount_minor for line in invoice.items)
        invoice.tax_minor = sum(line.tax_minor for line in invoice.items)
        invoice.total_minor = invoice.subtotal_minor + invoice.tax_minor

    async def update_invoice(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: InvoiceUpdate, *, dry_run: bool = False
    ) -> Result:
        await self.enter(access, ACTION_SCOPE[Action.UPDATE])
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            lifecycle.require(Action.UPDATE, invoice)
            changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
            if not changes:
                raise ValidationFailed.field("body", "nothing to update: give at least one field")
            # Check every field before changing any: a refused update leaves the invoice as it
            # was, even if the caller's unit of work is committed afterwards.
            values: dict[str, Any] = {}
            if "title" in changes:
                if not changes["title"].strip():
                    raise ValidationFailed.field("title", "must not be blank")
                values["title"] = changes["title"].strip()
            if "notes" in changes:
                values["notes"] = changes["notes"].strip()
            if "currency" in changes:
                values["currency"] = money.check_currency(changes["currency"])
            if "tax_rate" in changes:
                values["tax_rate"] = check_tax_rate(changes["tax_rate"])
            if "client_uuid" in changes:
                client = await self._client(access, changes["client_uuid"])
                values["client_id"] = client.id if client else None
                values["client"] = client
            if "issue_date" in changes:
                values["issue_date"] = _check_date(changes["issue_date"], "issue_date")
            if "due_date" in changes:
                values["due_date"] = _check_date(changes["due_date"], "due_date")
            _check_dates(values.get("issue_date", invoice.issue_date), values.get("due_date", invoice.due_date))
            if "number" in changes:
                number = changes["number"]
                values["number"] = (
                    None if number is None else await self._free_explicit_number(access, number, invoice.id)
                )
            currency = values.get("currency", invoice.currency)
            tax_rate = values.get("tax_rate", invoice.tax_rate)
            if "items" in changes:
                values["items"] = self._lines(invoice, changes["items"], currency, tax_rate)
            elif {"currency", "tax_rate"} & changes.keys():
                values["items"] = self._lines(
                    invoice, [_item_input(line) for line in invoice.items], currency, tax_rate
                )
            for name, value in values.items():
                setattr(invoice, name, value)
            if "items" in values:
                self._total(invoice)
            self._record(access, invoice, "update", Status.DRAFT, Status.DRAFT, data={"fields": sorted(changes)})
            return await self._finish(invoice, dry_run)

    async def delete_invoice(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> None:
        await self.enter(access, ACTION_SCOPE[Action.DELETE])
        invoice = await self.find(access, invoice_uuid, lock=True)
        lifecycle.require(Action.DELETE, invoice)
        await self.session.delete(invoice)
        await self.session.flush()

    # --- lifecycle --------------------------------------------------------------------------

    async def finalize(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, *, number: str | None = None, dry_run: bool = False
    ) -> Result:
        """Lock the draft's content and give it its number: ``number`` when given (checked
        and unique in the workspace, as on update), else the one it was given while a draft,
        else the pattern's next. One unit: a refused number leaves the draft as it was."""
        await self.enter(access, ACTION_SCOPE[Action.FINALIZE])
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            lifecycle.require(Action.FINALIZE, invoice)
            explicit = None
            if number is not None and number.strip():
                explicit = await self._free_explicit_number(access, number, invoice.id)
            await self._finalize(access, invoice, explicit)
            return await self._finish(invoice, dry_run)

    async def _finalize(self, access: WorkspaceAccess, invoice: Invoice, number: str | None = None) -> None:
        if not invoice.items:
            raise ValidationFailed.field("items", "an invoice needs at least one item before it is finalized")
        if number is not None:
            invoice.number = number
        elif invoice.number is None:
            invoice.number = await self._next_number(access, invoice.issue_date)
        invoice.finalized_at = utcnow()
        self._record(access, invoice, "finalize", Status.DRAFT, Status.DRAFT, data={"number": invoice.number})

    async def send(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: SendInput, *, dry_run: bool = False
    ) -> Result:
        await self.enter(access, ACTION_SCOPE[Action.SEND])
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            lifecycle.require(Action.SEND, invoice)
            recipients = _recipients(invoice, data.to) if data.notify else []
            if data.notify and not recipients:
                # Refused before anything changes: sending a draft finalizes and numbers it
                # for good, which must not happen for an email that nobody would receive.
                raise ValidationFailed.field("to", NO_RECIPIENT)
            details: dict[str, Any] = {"recipients": recipients}
            if not data.notify:
                details["notify"] = False
            if data.message:
                details["message"] = data.message.strip()
            before = Status(invoice.status)
            if before == Status.DRAFT:
                if invoice.finalized_at is None:
                    await self._finalize(access, invoice)
                invoice.status = Status.SENT.value
                invoice.sent_at = utcnow()
                self._record(access, invoice, "send", before, Status.SENT, data=details)
                kind = EmailKind.INVOICE
            else:
                self._record(access, invoice, "remind", before, before, data=details)
                kind = EmailKind.REMINDER
            await mail_limits.take(self.session, access.workspace_id, recipients, dry_run=dry_run)
            queue_emails(
                self.session, invoice, kind, recipients, details.get("message", ""), self.base_url, dry_run=dry_run
            )
            return await self._finish(invoice, dry_run, recipients=recipients)

    async def mark_paid(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: PaymentInput, *, dry_run: bool = False
    ) -> Result:
        await self.enter(access, ACTION_SCOPE[Action.MARK_PAID])
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            lifecycle.require(Action.MARK_PAID, invoice)
            balance = invoice.total_minor - invoice.paid_minor
            currency = invoice.currency
            if data.amount is None:
                amount = balance
            else:
                if not data.amount.is_finite():
                    raise ValidationFailed.field("amount", "must be a finite number")
                # Bounds first: rounding an absurd amount (1E+30) overflows Decimal's precision.
                if data.amount <= 0:
                    raise ValidationFailed.field("amount", "must be greater than 0")
                if data.amount > money.from_minor(balance, currency):
                    due = money.format_amount(balance, currency)
                    raise ValidationFailed.field("amount", f"exceeds the balance due of {due} {currency}")
                if data.amount != money.round_money(data.amount, currency):
                    raise ValidationFailed.field(
                        "amount", f"{currency} amounts have {money.exponent(currency)} decimal places at most"
                    )
                amount = money.to_minor(data.amount, currency)
                if amount <= 0:
                    raise ValidationFailed.field("amount", "must be greater than 0")
                if amount > balance:
                    due = money.format_amount(balance, currency)
                    raise ValidationFailed.field("amount", f"exceeds the balance due of {due} {currency}")
            today = today_in(access.workspace)
            paid_on = data.payment_date or today
            _check_date(paid_on, "payment_date")
            if paid_on > today:
                raise ValidationFailed.field("payment_date", f"cannot be in the future (today is {today})")
            method = data.payment_method.strip()
            if amount > 0:
                invoice.payments.append(
                    Payment(
                        workspace_id=invoice.workspace_id,
                        invoice_id=invoice.id,
                        amount_minor=amount,
                        currency=currency,
                        payment_date=paid_on,
                        payment_method=method,
                    )
                )
            invoice.paid_minor += amount
            before = Status(invoice.status)
            after = before
            if invoice.paid_minor >= invoice.total_minor:
                after = Status.PAID
                invoice.status = after.value
                invoice.paid_at = utcnow()
                invoice.days_to_payment = _days_to_payment(invoice, access.workspace.timezone)
            self._record(
                access,
                invoice,
                "payment",
                before,
                after,
                data={
                    "amount": money.format_amount(amount, currency),
                    "payment_date": paid_on.isoformat(),
                    "payment_method": method,
                },
            )
            return await self._finish(invoice, dry_run)

    async def cancel(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: CancelInput, *, dry_run: bool = False
    ) -> Result:
        await self.enter(access, ACTION_SCOPE[Action.CANCEL])
        async with rehearsal(self.session, dry_run):
            invoice = await self.find(access, invoice_uuid, lock=True)
            lifecycle.require(Action.CANCEL, invoice)
            before = Status(invoice.status)
            reason = (data.reason or "").strip() or None
            invoice.status = Status.CANCELLED.value
            invoice.cancelled_at = utcnow()
            invoice.cancel_reason = reason
            self._record(access, invoice, "cancel", before, Status.CANCELLED, note=reason)
            return await self._finish(invoice, dry_run)

    # --- copies -----------------------------------------------------------------------------

    async def duplicate(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: DuplicateInput, *, dry_run: bool = False
    ) -> Result:
        await self.enter(access, ACTION_SCOPE[Action.DUPLICATE])
        async with rehearsal(self.session, dry_run):
            source = await self.find(access, invoice_uuid)
            copy = await self._copy(access, source, data.title, data.issue_date, data.due_date)
            self._record(access, copy, "create", None, Status.DRAFT, data={"duplicated_from": str(source.id)})
            return await self._finish(copy, dry_run)

    async def from_previous(self, access: WorkspaceAccess, data: FromPreviousInput, *, dry_run: bool = False) -> Result:
        """A new draft pre-filled from the client's latest invoice, with new dates."""
        await self.enter(access, Scope.INVOICES_WRITE)
        async with rehearsal(self.session, dry_run):
            client = await ClientService(session=self.session).find(access, data.client_uuid, field="client_uuid")
            latest = (
                (
                    await self.session.execute(
                        select(Invoice)
                        .where(Invoice.workspace_id == access.workspace_id, Invoice.client_id == client.id)
                        .order_by(
                            (Invoice.status == Status.CANCELLED.value).asc(),
                            Invoice.issue_date.desc(),
                            Invoice.id.desc(),
                        )
                        .limit(1)
                    )
                )
                .unique()
                .scalar_one_or_none()
            )
            if latest is None:
                raise NotFound(f"{client.name} has no invoice to start from", code="no_previous_invoice")
            copy = await self._copy(access, latest, None, data.issue_date, data.due_date)
            self._record(access, copy, "create", None, Status.DRAFT, data={"created_from": str(latest.id)})
            return await self._finish(copy, dry_run)

    async def _copy(
        self,
        access: WorkspaceAccess,
        source: Invoice,
        title: str | None,
        issue_date: dt.date | None,
        due_date: dt.date | None,
    ) -> Invoice:
        # The range first: a date near 9999-12-31 plus the source's terms would overflow.
        issue = _check_date(issue_date, "issue_date") if issue_date else today_in(access.workspace)
        due = _check_date(due_date, "due_date") if due_date else issue + (source.due_date - source.issue_date)
        copy = await self._new_invoice(
            access,
            title=title or source.title,
            client_uuid=source.client_id,
            currency=source.currency,
            issue_date=issue,
            due_date=due,
            notes=source.notes,
            tax_rate=source.tax_rate,
            items=[_item_input(line) for line in source.items],
        )
        self.session.add(copy)
        return copy

    # --- numbers ----------------------------------------------------------------------------

    async def suggest_number(self, access: WorkspaceAccess) -> NextNumberOut:
        """The number the next finalization would take, or the continuation of the numbers
        this workspace actually uses when they follow another pattern."""
        await self.enter(access, Scope.INVOICES_READ)
        workspace = access.workspace
        latest = (
            await self.session.execute(
                select(Invoice.number)
                .where(Invoice.workspace_id == access.workspace_id, Invoice.number.is_not(None))
                .order_by(func.coalesce(Invoice.finalized_at, Invoice.created_at).desc(), Invoice.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if latest and not numbering.matches(workspace.number_pattern, latest):
            following = numbering.continue_number(latest)
            while following and await self._number_taken(access, following, None):
                following = numbering.continue_number(following)
            if following:
                return NextNumberOut(number=following, source="continues " + latest)
        day = today_in(workspace)
        scope = numbering.scope(workspace.number_pattern, day)
        last = (
            await self.session.execute(
                select(InvoiceCounter.last_value).where(
                    InvoiceCounter.workspace_id == access.workspace_id, InvoiceCounter.scope == scope
                )
            )
        ).scalar_one_or_none() or 0
        seq = last + 1
        while await self._number_taken(access, numbering.render(workspace.number_pattern, day, seq), None):
            seq += 1
        return NextNumberOut(number=numbering.render(workspace.number_pattern, day, seq), source="pattern")

    async def _next_number(self, access: WorkspaceAccess, day: dt.date) -> str:
        """Take the next number of the pattern for ``day``: the counter row is locked until
        the transaction ends, so concurrent finalizations get consecutive numbers and a
        rolled-back one gives its number back (no gaps)."""
        pattern = access.workspace.number_pattern
        scope = numbering.scope(pattern, day)
        dialect_insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        await self.session.execute(
            dialect_insert(InvoiceCounter)
            .values(
                id=uuid7(),
                workspace_id=access.workspace_id,
                scope=scope,
                last_value=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "scope"])
        )
        counter = (
            await self.session.execute(
                select(InvoiceCounter)
                .where(InvoiceCounter.workspace_id == access.workspace_id, InvoiceCounter.scope == scope)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        seq = counter.last_value + 1
        # A number typed in by hand may already hold the next place: step over it.
        while await self._number_taken(access, numbering.render(pattern, day, seq), None):
            seq += 1
        counter.last_value = seq
        return numbering.render(pattern, day, seq)

    async def _number_taken(self, access: WorkspaceAccess, number: str, except_id: uuid.UUID | None) -> bool:
        query = select(Invoice.id).where(Invoice.workspace_id == access.workspace_id, Invoice.number == number)
        if except_id is not None:
            query = query.where(Invoice.id != except_id)
        return (await self.session.execute(query.limit(1))).first() is not None

    async def _free_explicit_number(self, access: WorkspaceAccess, number: str, except_id: uuid.UUID | None) -> str:
        number = numbering.check_number(number)
        if await self._number_taken(access, number, except_id):
            raise Conflict(
                f"the number {number} is already used in this workspace", code="number_taken", field="number"
            )
        return number

    # --- shared -----------------------------------------------------------------------------

    def _record(
        self,
        access: WorkspaceAccess,
        invoice: Invoice,
        action: str,
        before: Status | None,
        after: Status | None,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        principal = access.principal
        invoice.history.append(
            InvoiceEvent(
                workspace_id=invoice.workspace_id,
                action=action,
                from_status=before.value if before else None,
                to_status=after.value if after else None,
                actor_user_id=principal.user_id,
                actor_name=principal.name,
                channel=principal.channel.value,
                oauth_client_id=principal.oauth_client_id,
                note=note,
                data=data,
                created_at=utcnow(),
            )
        )

    async def _finish(self, invoice: Invoice, dry_run: bool, recipients: list[str] | None = None) -> Result:
        """Flush and describe the result (built before a dry run's savepoint is rolled back)."""
        await self.session.flush()
        result = self.out(invoice)
        if not dry_run:
            return result
        return DryRunOut(dry_run=True, invoice=result, recipients=recipients or [])


def quote(items: Sequence[ItemInput], currency: str, tax_rate: Decimal) -> QuoteOut:
    """Price items without saving anything (the editor's running totals): the same checks,
    rounding and sums as an invoice that holds them."""
    code = money.check_currency(currency)
    lines = InvoiceService._lines(Invoice(), items, code, check_tax_rate(tax_rate))
    subtotal = sum(line.amount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    return QuoteOut(
        currency=code,
        lines=[
            QuoteLine(
                amount=money.format_amount(x.amount_minor, code), tax_amount=money.format_amount(x.tax_minor, code)
            )
            for x in lines
        ],
        subtotal=money.format_amount(subtotal, code),
        tax_amount=money.format_amount(tax, code),
        total=money.format_amount(subtotal + tax, code),
    )


def _days_to_payment(invoice: Invoice, timezone: str) -> int | None:
    """Whole days from the day the invoice was sent, in its workspace's calendar, to the day
    its last payment was received (0 when the money came first); kept for the statistics."""
    if invoice.sent_at is None or not invoice.payments:
        return None
    sent_on = invoice.sent_at.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    return max((max(p.payment_date for p in invoice.payments) - sent_on).days, 0)


def _check_dates(issue: dt.date, due: dt.date) -> None:
    if due < issue:
        raise ValidationFailed.field("due_date", f"must be on or after the issue date ({issue})")


def _item_input(line: InvoiceItem) -> ItemInput:
    return ItemInput(
        description=line.description, quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate
    )


def _recipients(invoice: Invoice, to: list[str] | None) -> list[str]:
    """Each address checked (one addr-spec each), each once, in the order given."""
    if to:
        checked = [check_email(address, f"to[{i}]") for i, address in enumerate(to)]
        return list(dict.fromkeys(checked))
    if invoice.client is not None and invoice.client.email:
        return [check_email(invoice.client.email, "client.email")]
    return []
