"""How much email one account can make Billcraft send: a cap per workspace per hour and per
recipient per day (``BILLCRAFT_MAIL_LIMIT_WORKSPACE``, ``BILLCRAFT_MAIL_LIMIT_RECIPIENT``).

Anyone may sign up and create workspaces, so without caps Billcraft would be a way to mail
strangers. A send asks the quota before it queues its emails; past a cap it is refused with
``EmailLimitReached`` (429), naming the cap and when it frees up. The recipient's cap counts
every workspace's emails to that address together: a second workspace gets no fresh budget
for the same victim.

The counters live outside the database (``app.ratelimit.MailLimits``, Redis shared by every
replica, or memory in embedded mode); the composition root puts them in each session's
``info``, as it does the outbox's dispatcher, so every face's send meets the same caps."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.errors import DomainError

QUOTA = "billcraft.mail_quota"


class EmailLimitReached(DomainError):
    status = 429
    code = "email_limit_reached"
    title = "Too many emails"

    def __init__(self, limit: str, retry_after: int, resets_at: dt.datetime) -> None:
        super().__init__(
            f"{limit}; nothing was sent or changed. Try again in {retry_after} s (at {resets_at:%Y-%m-%d %H:%M} UTC)",
            limit=limit,
            retry_after=retry_after,
            resets_at=resets_at.isoformat(timespec="seconds"),
        )
        self.retry_after = retry_after


class MailQuota(Protocol):
    async def take(self, workspace_id: uuid.UUID, recipients: list[str], *, dry_run: bool) -> None:
        """Count ``recipients`` emails of the workspace, or raise ``EmailLimitReached``
        (a dry run only checks)."""


async def take(session: AsyncSession, workspace_id: uuid.UUID, recipients: list[str], *, dry_run: bool) -> None:
    """The session's quota takes the emails; a session without one (tests of other rules,
    scripts, the benchmarks) sends without a cap."""
    quota: MailQuota | None = session.info.get(QUOTA)
    if quota is not None and recipients:
        await quota.take(workspace_id, recipients, dry_run=dry_run)
