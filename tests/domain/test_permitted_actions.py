"""What a face offers is what the service lets through: ``permitted_actions`` agrees with
the scope and role checks of every lifecycle action, for every role and for narrow tokens."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Forbidden
from app.domain.invoices import permitted_actions
from app.domain.lifecycle import Action
from app.domain.schemas import CancelInput, CreditInput, DuplicateInput, InvoiceUpdate, PaymentInput, SendInput
from tests.domain.helpers import invoice_in, make_member

Attempt = Callable[[Billing, WorkspaceAccess, uuid.UUID], Awaitable[Any]]


async def _delete(billing: Billing, access: WorkspaceAccess, key: uuid.UUID) -> None:
    savepoint = await billing.session.begin_nested()
    try:
        await billing.invoices.delete_invoice(access, key)
    finally:
        await savepoint.rollback()


# Each action, tried for real and undone (dry runs; the delete inside a savepoint).
ATTEMPTS: dict[str, Attempt] = {
    "update": lambda b, a, k: b.invoices.update_invoice(a, k, InvoiceUpdate(title="Changed"), dry_run=True),
    "finalize": lambda b, a, k: b.invoices.finalize(a, k, dry_run=True),
    "send": lambda b, a, k: b.invoices.send(a, k, SendInput(notify=False), dry_run=True),
    "mark_paid": lambda b, a, k: b.invoices.mark_paid(a, k, PaymentInput(), dry_run=True),
    "cancel": lambda b, a, k: b.invoices.cancel(a, k, CancelInput(), dry_run=True),
    "duplicate": lambda b, a, k: b.invoices.duplicate(a, k, DuplicateInput(), dry_run=True),
    "credit": lambda b, a, k: b.invoices.credit(a, k, CreditInput(reason="Checked"), dry_run=True),
    "delete": _delete,
}


@pytest.mark.parametrize(
    ("role", "scopes"),
    [
        ("viewer", None),
        ("member", None),
        ("admin", None),
        ("member", "invoices:read payments:write"),
        ("owner", "invoices:read invoices:send"),
    ],
)
async def test_offered_actions_are_exactly_those_the_service_allows(
    billing: Billing, owner: Principal, access: WorkspaceAccess, role: str, scopes: str | None
) -> None:
    """For a draft and a sent invoice: every action the invoice allows now is offered to
    this caller if and only if taking it is not refused for scope or role."""
    extra = {"scopes": frozenset(scopes.split())} if scopes else {}
    caller = await make_member(billing, owner, access, role, **extra)
    for state in ("draft", "sent"):
        invoice = await invoice_in(billing, access, state)
        offered = permitted_actions(caller, invoice)
        for action in invoice.allowed_actions:
            try:
                await ATTEMPTS[action](billing, caller, invoice.uuid)
                passed = True
            except Forbidden:
                passed = False
            assert (action in offered) == passed, (role, scopes, state, action)
    assert ATTEMPTS.keys() == {a.value for a in Action}, "a new action needs an attempt here"
