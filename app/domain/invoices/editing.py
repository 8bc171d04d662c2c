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
from app.domain import early_payment, lifecycle, money, vat
from app.domain.access import Scope, WorkspaceAccess
from app.domain.errors import ValidationFailed
from app.domain.invoices.adjustments import adjustment_inputs
from app.domain.invoices.base import ACTION_SCOPE, Result
from app.domain.invoices.bounds import (
    check_date,
    check_dates,
    check_delivery,
    check_exchange_rate,
    check_tax_rate,
    not_blank,
)
from app.domain.invoices.numbers import Numbers
from app.domain.invoices.pricing import Defaults, apply, item_input, price
from app.domain.lifecycle import Action, Status
from app.domain.schemas import AdjustmentInput, InvoiceCreate, InvoiceUpdate, ItemInput
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


async def _delivery(edit: Edit, value: dt.date | None) -> dict[str, Any]:
    return {}  # checked after every rule, with the period's other end


async def _exchange_rate(edit: Edit, value: Decimal | None) -> dict[str, Any]:
    return {"vat_exchange_rate": None if value is None else check_exchange_rate(value)}


async def _number(edit: Edit, value: str | None) -> dict[str, Any]:
    if value is None:
        return {"number": None}
    return {"number": await edit.service._free_explicit_number(edit.access, value, edit.invoice.id)}


async def _tax_category(edit: Edit, value: str) -> dict[str, Any]:
    return {"tax_category": vat.category(value, "tax_category").value}


async def _exemption_code(edit: Edit, value: str | None) -> dict[str, Any]:
    return {"exemption_code": vat.exemption_code(value, "exemption_code") if value else None}


async def _exemption_reason(edit: Edit, value: str | None) -> dict[str, Any]:
    return {"exemption_reason": (value or "").strip() or None}


async def _priced_later(edit: Edit, value: object) -> dict[str, Any]:
    return {}  # items, allowances and charges: priced after every rule, with the invoice's defaults


async def _early_payment(edit: Edit, value: object) -> dict[str, Any]:
    return {}  # checked after every rule, against the dates the invoice will have


# In the order their errors are reported; every field of ``InvoiceUpdate`` has one.
FIELD_RULES: dict[str, FieldRule] = {
    "title": _title,
    "notes": _notes,
    "currency": _currency,
    "tax_rate": _tax_rate,
    "tax_category": _tax_category,
    "exemption_code": _exemption_code,
    "exemption_reason": _exemption_reason,
    "client_uuid": _client,
    "issue_date": _issue_date,
    "due_date": _due_date,
    "number": _number,
    "vat_exchange_rate": _exchange_rate,
    "delivery_date": _delivery,
    "service_period_start": _delivery,
    "service_period_end": _delivery,
    "items": _priced_later,
    "adjustments": _priced_later,
    early_payment.PERCENT: _early_payment,
    early_payment.DAYS: _early_payment,
}
DELIVERY = ("delivery_date", "service_period_start", "service_period_end")
# Changing one of these prices every line again.
REPRICING = {"items", "adjustments", "currency", "tax_rate", "tax_category", "exemption_code", "exemption_reason"}


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
                adjustments=data.adjustments,
                vat_defaults=(data.tax_category, data.exemption_code, data.exemption_reason),
                early_discount=(data.early_payment_discount, data.early_payment_days),
                delivery=(data.delivery_date, data.service_period_start, data.service_period_end),
            )
            if data.number is not None:
                invoice.number = await self._free_explicit_number(access, data.number, None)
            if data.vat_exchange_rate is not None:
                invoice.vat_exchange_rate = check_exchange_rate(data.vat_exchange_rate)
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
        adjustments: Sequence[AdjustmentInput] = (),
        vat_defaults: tuple[str, str | None, str | None] = ("S", None, None),
        early_discount: tuple[Decimal | None, int | None] = (None, None),
        delivery: tuple[dt.date | None, dt.date | None, dt.date | None] = (None, None, None),
    ) -> Invoice:
        workspace = access.workspace
        title = not_blank(title, "title")
        code = money.check_currency(currency) if currency else workspace.default_currency
        issue = check_date(issue_date, "issue_date") if issue_date else today_in(workspace)
        due = check_date(due_date, "due_date") if due_date else issue + dt.timedelta(days=workspace.payment_terms_days)
        check_dates(issue, due)
        percent, days = early_payment.check_terms(*early_discount, issue, due, days_given=True)
        delivery_date, period_start, period_end = (
            check_date(day, name) if day else None for day, name in zip(delivery, DELIVERY, strict=True)
        )
        check_delivery(delivery_date, period_start, period_end)
        category, exemption, reason = vat_defaults
        defaults = Defaults(
            currency=code,
            tax_rate=check_tax_rate(tax_rate),
            tax_category=vat.category(category, "tax_category"),
            exemption_code=vat.exemption_code(exemption, "exemption_code") if exemption else None,
            exemption_reason=(reason or "").strip() or None,
        )
        priced = price(access.workspace_id, items, adjustments, defaults)
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
            tax_rate=defaults.tax_rate,
            delivery_date=delivery_date,
            service_period_start=period_start,
            service_period_end=period_end,
            tax_category=defaults.tax_category.value,
            exemption_code=defaults.exemption_code,
            exemption_reason=defaults.exemption_reason,
            early_discount_percent=percent,
            early_discount_days=days,
            public_token=secrets.token_urlsafe(24),
            items=[],
            payments=[],
            history=[],
            deliveries=[],
            credit_notes=[],
        )
        apply(invoice, priced)
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
            for name in DELIVERY:
                if name in changes:
                    values[name] = check_date(changes[name], name) if changes[name] else None
            check_delivery(*(values.get(name, getattr(invoice, name)) for name in DELIVERY))
            percent = changes.get(early_payment.PERCENT, invoice.early_discount_percent)
            days = changes.get(early_payment.DAYS, invoice.early_discount_days)
            values["early_discount_percent"], values["early_discount_days"] = early_payment.check_terms(
                percent, days, issue, due, days_given=early_payment.DAYS in changes
            )
            priced = None
            if REPRICING & changes.keys():
                items = (
                    changes["items"] if "items" in changes else [item_input(x, invoice.currency) for x in invoice.items]
                )
                adjustments = changes.get("adjustments", adjustment_inputs(invoice))
                defaults = Defaults(
                    currency=values.get("currency", invoice.currency),
                    tax_rate=values.get("tax_rate", invoice.tax_rate),
                    tax_category=vat.Category(values.get("tax_category", invoice.tax_category)),
                    exemption_code=values.get("exemption_code", invoice.exemption_code),
                    exemption_reason=values.get("exemption_reason", invoice.exemption_reason),
                )
                priced = price(invoice.workspace_id, items, adjustments, defaults)
            for name, value in values.items():
                setattr(invoice, name, value)
            if priced is not None:
                apply(invoice, priced)
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
