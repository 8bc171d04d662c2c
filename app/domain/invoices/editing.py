"""Drafts made and changed: create, update and delete. An update is a table of field
rules (``FIELD_RULES``): each checks its field and says which columns it sets; every rule
runs before anything changes, so a refused update leaves the invoice as it was."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from app.db.models import Invoice
from app.domain import early_payment, lifecycle, money
from app.domain.access import Scope, WorkspaceAccess
from app.domain.errors import ValidationFailed
from app.domain.invoices.base import ACTION_SCOPE, Result
from app.domain.invoices.numbers import Numbers
from app.domain.invoices.pricing import (
    check_date,
    check_dates,
    check_tax_rate,
    item_input,
    not_blank,
    price_lines,
    set_totals,
)
from app.domain.lifecycle import Action, Status
from app.domain.schemas import InvoiceCreate, InvoiceUpdate, ItemInput
from app.domain.service import rehearsal
from app.domain.workspaces import today_in


@dataclass(frozen=True)
class Edit:
    """What a field rule may look at: the service (for lookups), the caller, the draft."""

    service: Editing
    access: WorkspaceAccess
    invoice: Invoice


FieldRule = Callable[[Edit, Any], Awaitable[dict[str, Any]]]


async def _title(edit: Edit, value: str) -> dict[str, Any]:
    return {"title": not_blank(value, "title")}


async def _notes(edit: Edit, value: str) -> dict[str, Any]:
    return {"notes": value.strip()}


async def _currency(edit: Edit, value: str) -> dict[str, Any]:
    return {"currency": money.check_currency(value)}


async def _tax_rate(edit: Edit, value: Decimal) -> dict[str, Any]:
    return {"tax_rate": check_tax_rate(value)}


async def _client(edit: Edit, value: uuid.UUID | None) -> dict[str, Any]:
    client = await edit.service._client(edit.access, value)
    return {"client_id": client.id if client else None, "client": client}


async def _issue_date(edit: Edit, value: dt.date) -> dict[str, Any]:
    return {"issue_date": check_date(value, "issue_date")}


async def _due_date(edit: Edit, value: dt.date) -> dict[str, Any]:
    return {"due_date": check_date(value, "due_date")}


async def _number(edit: Edit, value: str | None) -> dict[str, Any]:
    if value is None:
        return {"number": None}
    return {"number": await edit.service._free_explicit_number(edit.access, value, edit.invoice.id)}


async def _items(edit: Edit, value: list[ItemInput]) -> dict[str, Any]:
    return {}  # priced after every rule, once the currency and tax rate are known


async def _early_payment(edit: Edit, value: object) -> dict[str, Any]:
    return {}  # checked after every rule, against the dates the invoice will have


# In the order their errors are reported; every field of ``InvoiceUpdate`` has one.
FIELD_RULES: dict[str, FieldRule] = {
    "title": _title,
    "notes": _notes,
    "currency": _currency,
    "tax_rate": _tax_rate,
    "client_uuid": _client,
    "issue_date": _issue_date,
    "due_date": _due_date,
    "number": _number,
    "items": _items,
    early_payment.PERCENT: _early_payment,
    early_payment.DAYS: _early_payment,
}
# Changing one of these prices every line again.
REPRICING = {"items", "currency", "tax_rate"}


class Editing(Numbers):
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
                early_discount=(data.early_payment_discount, data.early_payment_days),
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
        early_discount: tuple[Decimal | None, int | None] = (None, None),
    ) -> Invoice:
        workspace = access.workspace
        title = not_blank(title, "title")
        code = money.check_currency(currency) if currency else workspace.default_currency
        issue = check_date(issue_date, "issue_date") if issue_date else today_in(workspace)
        due = check_date(due_date, "due_date") if due_date else issue + dt.timedelta(days=workspace.payment_terms_days)
        check_dates(issue, due)
        percent, days = early_payment.check_terms(*early_discount, issue, due, days_given=True)
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
            early_discount_percent=percent,
            early_discount_days=days,
            public_token=secrets.token_urlsafe(24),
            items=[],
            payments=[],
            history=[],
            deliveries=[],
        )
        invoice.items = price_lines(invoice.workspace_id, items, invoice.currency, invoice.tax_rate)
        set_totals(invoice)
        return invoice

    async def update_invoice(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, data: InvoiceUpdate, *, dry_run: bool = False
    ) -> Result:
        async with self.acting_on(access, invoice_uuid, Action.UPDATE, dry_run) as invoice:
            changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
            if not changes:
                raise ValidationFailed.field("body", "nothing to update: give at least one field")
            edit = Edit(self, access, invoice)
            values: dict[str, Any] = {}
            for name, rule in FIELD_RULES.items():
                if name in changes:
                    values.update(await rule(edit, changes[name]))
            issue, due = values.get("issue_date", invoice.issue_date), values.get("due_date", invoice.due_date)
            check_dates(issue, due)
            percent = changes.get(early_payment.PERCENT, invoice.early_discount_percent)
            days = changes.get(early_payment.DAYS, invoice.early_discount_days)
            values["early_discount_percent"], values["early_discount_days"] = early_payment.check_terms(
                percent, days, issue, due, days_given=early_payment.DAYS in changes
            )
            if REPRICING & changes.keys():
                items = changes["items"] if "items" in changes else [item_input(x) for x in invoice.items]
                currency = values.get("currency", invoice.currency)
                tax_rate = values.get("tax_rate", invoice.tax_rate)
                values["items"] = price_lines(invoice.workspace_id, items, currency, tax_rate)
            for name, value in values.items():
                setattr(invoice, name, value)
            if "items" in values:
                set_totals(invoice)
            self._record(access, invoice, "update", Status.DRAFT, Status.DRAFT, data={"fields": sorted(changes)})
            return await self._finish(invoice, dry_run)

    async def delete_invoice(self, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> None:
        await self.enter(access, ACTION_SCOPE[Action.DELETE])
        invoice = await self.find(access, invoice_uuid, lock=True)
        lifecycle.require(Action.DELETE, invoice)
        await self.session.delete(invoice)
        await self.session.flush()

    async def delete_showing(
        self, access: WorkspaceAccess, invoice_uuid: uuid.UUID, *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Delete a draft and answer what went (``{"dry_run", "deleted", "invoice"}``, the
        invoice as it was): MCP's delete and an approved delete answer this."""
        await self.enter(access, Scope.INVOICES_READ)
        before = self.out(await self.find(access, invoice_uuid))
        async with rehearsal(self.session, dry_run):
            await self.delete_invoice(access, invoice_uuid)
        return {"dry_run": dry_run, "deleted": True, "invoice": before}
