"""Helpers shared by the domain tests: invoices in a given lifecycle state, fresh sessions
for re-reading what was really committed, members with a role, and row counts.

Everything here goes through the real services and the real database; nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.db.models import Invoice, InvoiceEvent
from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.overdue import sweep_overdue
from app.domain.schemas import CancelInput, InvoiceCreate, ItemInput, MemberInput, PaymentInput, SendInput
from app.domain.workspaces import today_in
from tests.conftest import unique

# Every state an invoice can be in, as the lifecycle tests name them.
STATES = ["draft", "draft_finalized", "sent", "overdue", "paid", "cancelled"]
ACTIONS = ["update", "finalize", "send", "mark_paid", "cancel", "delete", "duplicate", "credit"]

# The contract (DESIGN.md section 2), written out independently of app.domain.lifecycle.
ALLOWED: dict[str, set[str]] = {
    "draft": {"update", "finalize", "send", "cancel", "delete", "duplicate"},
    "draft_finalized": {"send", "cancel", "duplicate"},
    "sent": {"send", "mark_paid", "cancel", "duplicate", "credit"},
    "overdue": {"send", "mark_paid", "cancel", "duplicate", "credit"},
    "paid": {"duplicate", "credit"},
    "cancelled": {"duplicate"},
}
STORED_STATUS = {
    "draft": "draft",
    "draft_finalized": "draft",
    "sent": "sent",
    "overdue": "overdue",
    "paid": "paid",
    "cancelled": "cancelled",
}


def allowed_in_order(state: str) -> list[str]:
    return [a for a in ACTIONS if a in ALLOWED[state]]


def item(
    description: str = "Development",
    quantity: str | int | Decimal = 1,
    unit_price: str | int | Decimal = 100,
    tax_rate: str | int | Decimal | None = None,
) -> ItemInput:
    """An item from plain text numbers, made exact with ``Decimal(str(...))``."""
    return ItemInput(
        description=description,
        quantity=Decimal(str(quantity)),
        unit_price=Decimal(str(unit_price)),
        tax_rate=None if tax_rate is None else Decimal(str(tax_rate)),
    )


async def create(
    billing: Billing, access: WorkspaceAccess, *, items: list[ItemInput] | None = None, **fields: Any
) -> InvoiceOut:
    if "tax_rate" in fields and not isinstance(fields["tax_rate"], Decimal):
        fields["tax_rate"] = Decimal(str(fields["tax_rate"]))
    fields.setdefault("title", "Website work")
    out = await billing.invoices.create_invoice(
        access, InvoiceCreate(items=[item()] if items is None else items, **fields)
    )
    assert isinstance(out, InvoiceOut)
    return out


async def reload(billing: Billing, access: WorkspaceAccess, invoice_uuid: uuid.UUID) -> InvoiceOut:
    """The invoice as the database has it now, even after set-based statements (the overdue
    sweep) that bypass the session's identity map."""
    row = await billing.invoices.find(access, invoice_uuid)
    await billing.session.refresh(row)
    return billing.invoices.out(row)


async def invoice_in(billing: Billing, access: WorkspaceAccess, state: str, **fields: Any) -> InvoiceOut:
    """A fresh invoice in ``state`` (one of STATES), reached through the real actions."""
    if state == "overdue":
        today = today_in(access.workspace)
        fields.setdefault("issue_date", today - dt.timedelta(days=40))
        fields.setdefault("due_date", today - dt.timedelta(days=10))
    out = await create(billing, access, **fields)
    if state == "draft":
        return out
    if state == "draft_finalized":
        return _out(await billing.invoices.finalize(access, out.uuid))
    if state == "cancelled":
        return _out(await billing.invoices.cancel(access, out.uuid, CancelInput(reason="set-up")))
    # With a client, the send emails it; without one there is nobody to email, so the send
    # is recorded as such (notify false), as it must be said explicitly.
    sent = _out(await billing.invoices.send(access, out.uuid, SendInput(notify="client_uuid" in fields)))
    if state == "sent":
        return sent
    if state == "paid":
        return _out(await billing.invoices.mark_paid(access, out.uuid, PaymentInput()))
    assert state == "overdue", state
    await sweep_overdue(billing.session)
    overdue = await reload(billing, access, out.uuid)
    assert overdue.status == "overdue"
    return overdue


def _out(result: object) -> InvoiceOut:
    assert isinstance(result, InvoiceOut), result
    return result


@asynccontextmanager
async def fresh_billing(db: Any, base_url: str = "") -> AsyncIterator[Billing]:
    """A second unit of work with its own session: what it reads is what was committed."""
    async with db.create_session_maker()() as session:
        yield Billing(session, base_url=base_url)


async def count_invoices(billing: Billing, workspace_id: uuid.UUID) -> int:
    return int(
        (
            await billing.session.execute(select(func.count(Invoice.id)).where(Invoice.workspace_id == workspace_id))
        ).scalar_one()
    )


async def count_events(billing: Billing, invoice_uuid: uuid.UUID, action: str) -> int:
    return int(
        (
            await billing.session.execute(
                select(func.count(InvoiceEvent.id)).where(
                    InvoiceEvent.invoice_id == invoice_uuid, InvoiceEvent.action == action
                )
            )
        ).scalar_one()
    )


async def make_member(
    billing: Billing, owner: Principal, access: WorkspaceAccess, role: str, **principal_fields: Any
) -> WorkspaceAccess:
    """A new user added to ``access``'s workspace with ``role``, and their access there."""
    email = f"{unique(role)}@example.com"
    user = await billing.accounts.create_user(email, "correct horse battery", role)
    await billing.workspaces.add_member(owner, access.workspace.slug, MemberInput(email=email, role=role))
    principal = Principal(user_id=user.id, name=user.name, **principal_fields)
    return await billing.access(principal, access.workspace.slug)
