"""The hand-over from a committed transaction to whatever delivers its emails.

A send queues its outbox rows in the session (``hand_over``); only once that transaction
has committed are they passed on, to the arq queue or to the in-process runner, whichever
the composition root put in the session's ``info``. A rolled-back transaction hands over
nothing. If the hand-over itself fails (Redis is down), the rows are still in the database
and the relay finds them: this is a shortcut, never the only path."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.domain.mail_limits import QUOTA, MailQuota

PENDING = "billcraft.outbox.pending"
DISPATCH = "billcraft.outbox.dispatch"

# (delivery id, attempts so far): what a dispatcher needs to name the job uniquely.
Dispatch = Callable[[list[tuple[uuid.UUID, int]]], None]


def session_info(dispatch: Dispatch | None, quota: MailQuota | None = None) -> dict[str, Any]:
    """The ``info`` every session of the application starts with: who delivers committed
    sends, and the caps a send must stay within (``app.domain.mail_limits``)."""
    info: dict[str, Any] = {}
    if dispatch:
        info[DISPATCH] = dispatch
    if quota is not None:
        info[QUOTA] = quota
    return info


def hand_over(session: AsyncSession, deliveries: list[tuple[uuid.UUID, int]]) -> None:
    if deliveries:
        session.info.setdefault(PENDING, []).extend(deliveries)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    dispatch = session.info.get(DISPATCH)
    if pending and dispatch is not None:
        dispatch(pending)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)
