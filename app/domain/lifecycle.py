"""The invoice status lifecycle: which action is allowed from which state, and the refusal
that names the current status and the actions allowed now."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from app.domain.errors import InvalidTransition


class Status(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class Action(StrEnum):
    UPDATE = "update"
    FINALIZE = "finalize"
    SEND = "send"
    MARK_PAID = "mark_paid"
    CANCEL = "cancel"
    DELETE = "delete"
    DUPLICATE = "duplicate"
    CREDIT = "credit"


OPEN = (Status.SENT, Status.OVERDUE)

_FROM: dict[Action, frozenset[Status]] = {
    Action.UPDATE: frozenset({Status.DRAFT}),
    Action.FINALIZE: frozenset({Status.DRAFT}),
    Action.SEND: frozenset({Status.DRAFT, Status.SENT, Status.OVERDUE}),
    Action.MARK_PAID: frozenset(OPEN),
    Action.CANCEL: frozenset({Status.DRAFT, Status.SENT, Status.OVERDUE}),
    Action.DELETE: frozenset({Status.DRAFT}),
    Action.DUPLICATE: frozenset(Status),
    Action.CREDIT: frozenset({Status.SENT, Status.OVERDUE, Status.PAID}),
}

# Actions that only a draft whose content is not yet locked may take.
_UNFINALIZED_ONLY = frozenset({Action.UPDATE, Action.FINALIZE, Action.DELETE})


class HasState(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def finalized_at(self) -> object: ...


def is_finalized_draft(invoice: HasState) -> bool:
    """A draft whose content is locked and numbered, not sent yet."""
    return Status(invoice.status) == Status.DRAFT and invoice.finalized_at is not None


def shows_draft_mark(invoice: HasState) -> bool:
    """Whether its documents carry the DRAFT watermark: until it is finalized."""
    return invoice.finalized_at is None


def allowed_actions(invoice: HasState) -> list[Action]:
    return [a for a in Action if _allows(a, invoice)]


def _allows(action: Action, invoice: HasState) -> bool:
    if Status(invoice.status) not in _FROM[action]:
        return False
    return not (action in _UNFINALIZED_ONLY and invoice.finalized_at is not None)


def require(action: Action, invoice: HasState) -> None:
    if _allows(action, invoice):
        return
    status = invoice.status
    reason = None
    if Status(status) == Status.DRAFT and invoice.finalized_at is not None:
        reason = {
            Action.UPDATE: "this draft is finalized and its content is locked",
            Action.FINALIZE: "this draft is already finalized",
            Action.DELETE: "a finalized invoice is never deleted; cancel it instead",
        }.get(action)
    elif action == Action.DELETE:
        reason = f"only a draft that was never finalized can be deleted, and this invoice is {status}"
    elif action == Action.MARK_PAID and Status(status) == Status.DRAFT:
        reason = "a draft cannot be marked paid; send it first"
    raise InvalidTransition(action.value, status, [a.value for a in allowed_actions(invoice)], reason)
