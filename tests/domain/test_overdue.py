"""The overdue sweep (DESIGN.md sections 2 and 6): sent invoices past due become overdue
when the workspace's own today is past the due date; set-based and idempotent, recording
each transition once."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from app.db.models import InvoiceEvent
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.overdue import sweep_overdue
from app.domain.schemas import InvoiceUpdate, PaymentInput, SendInput
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import count_events, create, invoice_in, reload

DUE = dt.date(2024, 6, 14)
ISSUED = dt.date(2024, 6, 1)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


async def _sent_due(billing: Billing, access: WorkspaceAccess, due: dt.date = DUE) -> InvoiceOut:
    draft = await create(billing, access, issue_date=ISSUED, due_date=due)
    sent = await billing.invoices.send(access, draft.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    assert sent.status == "sent"
    return sent


async def test_the_day_boundary_follows_each_workspace_time_zone(billing: Billing) -> None:
    """Due 2024-06-14: Auckland (UTC+12) is past due from 12:00 UTC that day, UTC from
    midnight UTC, Los Angeles (UTC-7) from 07:00 UTC the next day."""
    owner = await make_principal(billing)
    auckland = await make_workspace(billing, owner, timezone="Pacific/Auckland")
    utc = await make_workspace(billing, owner, timezone="UTC")
    los_angeles = await make_workspace(billing, owner, timezone="America/Los_Angeles")
    invoices = {
        "auckland": (auckland, await _sent_due(billing, auckland)),
        "utc": (utc, await _sent_due(billing, utc)),
        "los_angeles": (los_angeles, await _sent_due(billing, los_angeles)),
    }

    async def statuses() -> dict[str, str]:
        return {name: (await reload(billing, ws, out.uuid)).status for name, (ws, out) in invoices.items()}

    await sweep_overdue(billing.session, now=_utc(2024, 6, 14, 11, 59))  # Auckland 23:59 on the due day
    assert await statuses() == {"auckland": "sent", "utc": "sent", "los_angeles": "sent"}
    await sweep_overdue(billing.session, now=_utc(2024, 6, 14, 12, 0))  # Auckland 00:00 the next day
    assert await statuses() == {"auckland": "overdue", "utc": "sent", "los_angeles": "sent"}
    await sweep_overdue(billing.session, now=_utc(2024, 6, 15, 0, 0))  # UTC midnight; LA still on the 14th
    assert await statuses() == {"auckland": "overdue", "utc": "overdue", "los_angeles": "sent"}
    await sweep_overdue(billing.session, now=_utc(2024, 6, 15, 6, 59))  # LA 23:59 on the due day
    assert (await statuses())["los_angeles"] == "sent"
    await sweep_overdue(billing.session, now=_utc(2024, 6, 15, 7, 0))  # LA midnight
    assert await statuses() == {"auckland": "overdue", "utc": "overdue", "los_angeles": "overdue"}

    for name, (ws, out) in invoices.items():
        after = await reload(billing, ws, out.uuid)
        events = [h for h in after.history if h.action == "overdue"]
        assert len(events) == 1, name
        event = events[0]
        assert (event.from_status, event.to_status, event.channel) == ("sent", "overdue", "worker")
        assert event.note is not None
        assert ws.workspace.timezone in event.note
        assert "2024-06-14" in event.note
        assert after.allowed_actions == ["send", "mark_paid", "cancel", "duplicate", "credit"]


async def test_running_the_sweep_twice_records_each_transition_once(billing: Billing, access: WorkspaceAccess) -> None:
    """A second run at the same moment moves nothing anywhere and adds no history."""
    out = await _sent_due(billing, access)
    now = _utc(2024, 7, 1, 9, 0)
    first = await sweep_overdue(billing.session, now=now)
    assert first >= 1
    assert await sweep_overdue(billing.session, now=now) == 0
    assert await sweep_overdue(billing.session, now=now + dt.timedelta(days=3)) == 0
    assert await count_events(billing, out.uuid, "overdue") == 1
    assert (await reload(billing, access, out.uuid)).status == "overdue"


async def test_only_sent_invoices_past_due_move(billing: Billing, access: WorkspaceAccess) -> None:
    """Drafts, paid, cancelled and not-yet-due invoices are left alone; the due day itself
    is not overdue."""
    past = {"issue_date": ISSUED, "due_date": DUE}
    draft = await create(billing, access, issue_date=ISSUED, due_date=DUE)
    finalized = await invoice_in(billing, access, "draft_finalized", **past)
    paid = await invoice_in(billing, access, "paid", **past)
    cancelled = await invoice_in(billing, access, "cancelled", **past)
    due_today = await _sent_due(billing, access, due=dt.date(2024, 7, 1))
    late = await _sent_due(billing, access, due=dt.date(2024, 6, 30))
    await sweep_overdue(billing.session, now=_utc(2024, 7, 1, 12, 0))
    got = {
        name: (await reload(billing, access, out.uuid)).status
        for name, out in {
            "draft": draft,
            "finalized": finalized,
            "paid": paid,
            "cancelled": cancelled,
            "due_today": due_today,
            "late": late,
        }.items()
    }
    assert got == {
        "draft": "draft",
        "finalized": "draft",
        "paid": "paid",
        "cancelled": "cancelled",
        "due_today": "sent",
        "late": "overdue",
    }


async def test_an_overdue_invoice_can_still_be_paid_and_keeps_its_history(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """Overdue -> paid through mark_paid, with the sweep's event kept in order."""
    out = await invoice_in(billing, access, "overdue")
    paid = await billing.invoices.mark_paid(access, out.uuid, PaymentInput())
    assert isinstance(paid, InvoiceOut)
    assert paid.status == "paid"
    assert [h.action for h in paid.history] == ["create", "finalize", "send", "overdue", "payment"]
    assert (paid.history[-1].from_status, paid.history[-1].to_status) == ("overdue", "paid")


async def test_the_sweep_uses_today_by_default(billing: Billing, access: WorkspaceAccess) -> None:
    """Without ``now`` the sweep uses the current time: yesterday's due date is overdue,
    today's is not."""
    from app.domain.workspaces import today_in

    today = today_in(access.workspace)
    yesterday = await create(
        billing, access, issue_date=today - dt.timedelta(days=5), due_date=today - dt.timedelta(days=1)
    )
    due_today = await create(billing, access, issue_date=today - dt.timedelta(days=5), due_date=today)
    for draft in (yesterday, due_today):
        await billing.invoices.send(access, draft.uuid, SendInput(notify=False))
    await sweep_overdue(billing.session)
    assert (await reload(billing, access, yesterday.uuid)).status == "overdue"
    assert (await reload(billing, access, due_today.uuid)).status == "sent"


async def test_a_draft_moved_into_the_past_is_not_swept(billing: Billing, access: WorkspaceAccess) -> None:
    """Only sent invoices become overdue, whatever a draft's due date says."""
    draft = await create(billing, access)
    moved = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(issue_date=ISSUED, due_date=DUE))
    assert isinstance(moved, InvoiceOut)
    await sweep_overdue(billing.session, now=_utc(2025, 1, 1))
    assert (await reload(billing, access, draft.uuid)).status == "draft"


async def test_the_history_reads_in_the_order_things_happened_whatever_their_ids(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """The sweep's events get their ids from the database's clock, the others from
    Python's: two events in one millisecond may have ids that sort the wrong way round.
    Here the send's id is made to sort after everything, as such a tie can; the history
    still reads create, finalize, send, overdue."""
    out = await invoice_in(billing, access, "overdue")
    send = next(e for e in out.history if e.action == "send")
    event = (
        await billing.session.execute(
            select(InvoiceEvent).where(InvoiceEvent.invoice_id == out.uuid, InvoiceEvent.action == "send")
        )
    ).scalar_one()
    assert event.created_at == send.at
    await billing.session.execute(
        update(InvoiceEvent)
        .where(InvoiceEvent.id == event.id)
        .values(id=uuid.UUID("ffffffff-ffff-7fff-bfff-ffffffffffff"))
    )
    billing.session.expunge_all()
    access = await billing.access(access.principal, access.workspace.slug)
    again = await reload(billing, access, out.uuid)
    assert [h.action for h in again.history] == ["create", "finalize", "send", "overdue"]
