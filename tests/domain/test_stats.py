"""Billing statistics (DESIGN.md section 2): per currency, never summed across currencies;
invoiced, paid, outstanding and overdue totals, counts by status, average days to payment,
the last 12 months, billable finalizations; per workspace and across a user's workspaces.

Expected values are computed from the invoices the server returned, not typed in."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Forbidden
from app.domain.outputs import InvoiceOut
from app.domain.schemas import CancelInput, PaymentInput
from app.domain.stats_outputs import CurrencyStats, StatsOut
from app.domain.workspaces import today_in
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import invoice_in, item, make_member

D = Decimal


def _by_currency(stats: StatsOut) -> dict[str, CurrencyStats]:
    return {c.currency: c for c in stats.currencies}


def _months_back(today: dt.date, n: int) -> str:
    year, month = today.year, today.month - n
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


async def _pay(
    billing: Billing, access: WorkspaceAccess, out: InvoiceOut, amount: str | None = None, on: dt.date | None = None
) -> InvoiceOut:
    paid = await billing.invoices.mark_paid(
        access, out.uuid, PaymentInput(amount=None if amount is None else D(amount), payment_date=on)
    )
    assert isinstance(paid, InvoiceOut)
    return paid


async def test_workspace_stats_per_currency(billing: Billing, access: WorkspaceAccess) -> None:
    """Each total follows its definition: invoiced = finalized and not cancelled; paid =
    money received on live invoices; outstanding = balance of sent + overdue; overdue =
    balance of overdue; drafts never finalized and cancelled invoices are not invoiced.
    EUR and USD are reported apart."""
    paid = await _pay(
        billing, access, await invoice_in(billing, access, "sent", tax_rate=10, items=[item("Dev", 40, 150)])
    )
    partly = await _pay(
        billing,
        access,
        await invoice_in(
            billing, access, "sent", tax_rate=10, items=[item("Frontend", 80, 150), item("Design", 20, 120)]
        ),
        "100.25",
    )
    overdue = await invoice_in(billing, access, "overdue", items=[item("Late", 1, "1000.10")])
    overdue = await _pay(billing, access, overdue, "0.10")
    draft = await invoice_in(billing, access, "draft", items=[item("Not yet", 1, 500)])
    finalized = await invoice_in(billing, access, "draft_finalized", items=[item("Locked", 1, 300)])
    sent_then_cancelled = await invoice_in(billing, access, "sent", items=[item("Oops", 1, 200)])
    cancelled = await billing.invoices.cancel(access, sent_then_cancelled.uuid, CancelInput(reason="duplicate"))
    assert isinstance(cancelled, InvoiceOut)
    euro = await invoice_in(billing, access, "sent", currency="EUR", items=[item("Hosting", 1, "50")])

    stats = await billing.stats.for_workspace(access)
    assert (stats.scope, stats.workspaces) == ("workspace", [access.workspace.slug])
    per = _by_currency(stats)
    assert sorted(per) == ["EUR", "USD"]
    usd, eur = per["USD"], per["EUR"]

    invoiced = [paid, partly, overdue, finalized]
    assert D(usd.total_invoiced) == sum(D(o.total) for o in invoiced)
    assert D(usd.total_paid) == D(paid.total) + D("100.25") + D("0.10")
    assert D(usd.total_outstanding) == D(partly.balance_due) + D(overdue.balance_due)
    assert usd.total_overdue == overdue.balance_due == "1000.00"
    assert usd.counts_by_status == {"draft": 2, "sent": 1, "paid": 1, "overdue": 1, "cancelled": 1}
    assert usd.invoice_count == 6
    assert draft.total == "500.00"  # a draft never finalized is not invoiced (above)
    assert (eur.total_invoiced, eur.total_paid, eur.total_outstanding, eur.total_overdue) == (
        euro.total,
        "0.00",
        euro.balance_due,
        "0.00",
    )
    assert eur.counts_by_status == {"draft": 0, "sent": 1, "paid": 0, "overdue": 0, "cancelled": 0}
    assert stats.counts_by_status == {"draft": 2, "sent": 2, "paid": 1, "overdue": 1, "cancelled": 1}
    # Finalizations are billable even if the invoice was cancelled afterwards; drafts are not.
    assert stats.billable_finalizations == 6
    assert eur.average_days_to_payment is None


async def test_amounts_are_never_added_across_currencies(billing: Billing) -> None:
    """A JPY and a KWD invoice keep their own totals and digits; no grand total mixes them."""
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner, currency="JPY")
    yen = await invoice_in(billing, access, "sent", items=[item("Yen work", 1, 1000)])
    fils = await invoice_in(billing, access, "sent", currency="KWD", items=[item("Fils work", 1, "1.234")])
    per = _by_currency(await billing.stats.for_workspace(access))
    assert (per["JPY"].total_invoiced, per["KWD"].total_invoiced) == (yen.total, fils.total) == ("1000", "1.234")
    assert per["KWD"].monthly[-1].invoiced == "1.234"


async def _paid_on(
    billing: Billing, access: WorkspaceAccess, sent_at: dt.datetime, *payments: tuple[str | None, dt.date]
) -> None:
    """A paid invoice sent at ``sent_at``, settled by ``payments`` (amount, payment_date)
    all recorded now, in that order."""
    out = await invoice_in(billing, access, "sent", items=[item("Work", 1, 100)])
    row = await billing.invoices.find(access, out.uuid)
    row.sent_at = sent_at
    await billing.session.flush()
    for amount, day in payments:
        out = await _pay(billing, access, out, amount, day)
    assert out.status == "paid"


def _days_ago(n: int, hour: int = 12) -> dt.datetime:
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=n)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


async def test_days_to_payment_run_to_the_payment_date_not_to_when_it_was_recorded(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """A payment recorded today but received 10 days after sending counts 10 days; one
    received yesterday for an invoice sent 5 days ago counts 4. Open invoices, even partly
    paid, are not in the average."""
    today = today_in(access.workspace)
    await _paid_on(billing, access, _days_ago(20), (None, today - dt.timedelta(days=10)))
    await _paid_on(billing, access, _days_ago(5), (None, today - dt.timedelta(days=1)))
    partly = await invoice_in(billing, access, "sent", items=[item("Open", 1, 100)])
    await billing.invoices.mark_paid(access, partly.uuid, PaymentInput(amount=D(10), payment_date=today))
    usd = _by_currency(await billing.stats.for_workspace(access))["USD"]
    assert usd.average_days_to_payment == 7.0  # (10 + 4) / 2, not (20 + 5) / 2 to the recording


async def test_days_to_payment_run_to_the_latest_payment_and_never_below_zero(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """Paid in parts, an invoice is paid on the latest payment date, whatever the order the
    payments were recorded in; money received before the invoice was sent counts 0 days."""
    today = today_in(access.workspace)
    sent = _days_ago(30)
    await _paid_on(billing, access, sent, ("40", today - dt.timedelta(days=18)), (None, today - dt.timedelta(days=24)))
    await _paid_on(billing, access, sent, (None, today - dt.timedelta(days=31)))
    usd = _by_currency(await billing.stats.for_workspace(access))["USD"]
    assert usd.average_days_to_payment == 6.0  # (12 + 0) / 2


async def test_days_to_payment_count_calendar_days_in_each_workspace_time_zone(billing: Billing) -> None:
    """Sent at 20:00 UTC is the next morning in Auckland and the same afternoon in Los
    Angeles: each invoice's days count from the day it was sent where its workspace is, per
    workspace and across a user's workspaces."""
    owner = await make_principal(billing)
    auckland = await make_workspace(billing, owner, timezone="Pacific/Auckland")
    los_angeles = await make_workspace(billing, owner, timezone="America/Los_Angeles")
    sent = _days_ago(30, hour=20)
    utc_day = sent.date()
    # Auckland: sent on utc_day + 1, paid on utc_day + 4: 3 days (4 by the UTC calendar).
    await _paid_on(billing, auckland, sent, (None, utc_day + dt.timedelta(days=4)))
    # Los Angeles: sent on utc_day, paid on utc_day + 9: 9 days.
    await _paid_on(billing, los_angeles, sent, (None, utc_day + dt.timedelta(days=9)))
    assert _by_currency(await billing.stats.for_workspace(auckland))["USD"].average_days_to_payment == 3.0
    assert _by_currency(await billing.stats.for_workspace(los_angeles))["USD"].average_days_to_payment == 9.0
    assert _by_currency(await billing.stats.for_user(owner))["USD"].average_days_to_payment == 6.0


async def test_monthly_has_twelve_months_of_invoiced_and_paid(billing: Billing, access: WorkspaceAccess) -> None:
    """monthly lists the last 12 months oldest first, invoiced by issue month and paid by
    payment date; older invoices count in the totals but not in the months."""
    today = today_in(access.workspace)
    this_month = await _pay(
        billing, access, await invoice_in(billing, access, "sent", items=[item("Now", 1, 120)]), "20"
    )
    issue = dt.date.fromisoformat(_months_back(today, 3) + "-10")
    earlier = await invoice_in(
        billing, access, "sent", items=[item("Then", 1, 300)], issue_date=issue, due_date=issue + dt.timedelta(days=400)
    )
    ancient_day = dt.date.fromisoformat(_months_back(today, 14) + "-01")
    ancient = await invoice_in(
        billing,
        access,
        "sent",
        items=[item("Long ago", 1, 77)],
        issue_date=ancient_day,
        due_date=ancient_day + dt.timedelta(days=900),
    )
    late_payment = await billing.invoices.mark_paid(
        access, earlier.uuid, PaymentInput(amount=D(5), payment_date=issue + dt.timedelta(days=1))
    )
    assert isinstance(late_payment, InvoiceOut)

    usd = _by_currency(await billing.stats.for_workspace(access))["USD"]
    months = [m.month for m in usd.monthly]
    assert len(months) == 12
    assert months == [_months_back(today, n) for n in range(11, -1, -1)]
    by_month = {m.month: m for m in usd.monthly}
    expected_invoiced: dict[str, Decimal] = defaultdict(Decimal)
    for out in (this_month, earlier):
        expected_invoiced[out.issue_date.strftime("%Y-%m")] += D(out.total)
    for month, entry in by_month.items():
        assert D(entry.invoiced) == expected_invoiced.get(month, D(0)), month
    assert by_month[today.strftime("%Y-%m")].paid == "20.00"
    assert by_month[issue.strftime("%Y-%m")].paid == "5.00"
    assert sum(D(m.paid) for m in usd.monthly) == D("25.00")
    assert D(usd.total_invoiced) == D(this_month.total) + D(earlier.total) + D(ancient.total)
    assert all(m.invoiced == "0.00" for m in usd.monthly if m.month not in expected_invoiced)


async def test_stats_for_user_cover_all_their_workspaces(billing: Billing) -> None:
    """for_user adds up each currency across every workspace the user belongs to (any role),
    and nothing from workspaces they are not in."""
    user = await make_principal(billing, "multi")
    first = await make_workspace(billing, user)
    second = await make_workspace(billing, user, currency="EUR")
    a = await invoice_in(billing, first, "sent", items=[item("A", 1, 100)])
    b = await invoice_in(billing, second, "sent", items=[item("B", 1, 200)])
    c = await invoice_in(billing, second, "paid", currency="USD", items=[item("C", 1, 50)])
    stranger = await make_principal(billing, "stranger")
    theirs = await make_workspace(billing, stranger)
    await invoice_in(billing, theirs, "sent", items=[item("Not mine", 1, 999)])
    viewer_of = await make_workspace(billing, stranger, currency="GBP")
    shared = await invoice_in(billing, viewer_of, "sent", items=[item("Shared", 1, 7)])
    member = await make_member(billing, stranger, viewer_of, "viewer")

    mine = await billing.stats.for_user(user)
    assert mine.scope == "all"
    assert mine.workspaces == sorted([first.workspace.slug, second.workspace.slug])
    per = _by_currency(mine)
    assert sorted(per) == ["EUR", "USD"]
    assert D(per["USD"].total_invoiced) == D(a.total) + D(c.total)
    assert D(per["USD"].total_paid) == D(c.total)
    assert D(per["USD"].total_outstanding) == D(a.total)
    assert per["EUR"].total_invoiced == b.total
    assert mine.counts_by_status == {"draft": 0, "sent": 2, "paid": 1, "overdue": 0, "cancelled": 0}
    assert mine.billable_finalizations == 3

    only_first = _by_currency(await billing.stats.for_workspace(first))
    assert list(only_first) == ["USD"]
    assert only_first["USD"].total_invoiced == a.total

    viewer_stats = await billing.stats.for_user(member.principal)
    assert viewer_stats.workspaces == [viewer_of.workspace.slug]
    assert _by_currency(viewer_stats)["GBP"].total_invoiced == shared.total


async def test_stats_for_a_user_without_workspaces_are_empty(billing: Billing) -> None:
    """No workspace: no currencies, zero counts."""
    loner = await make_principal(billing, "loner")
    stats = await billing.stats.for_user(loner)
    assert (stats.workspaces, stats.currencies, stats.billable_finalizations) == ([], [], 0)
    assert set(stats.counts_by_status.values()) == {0}


async def test_stats_need_the_invoices_read_scope(billing: Billing, access: WorkspaceAccess) -> None:
    """A token without invoices:read cannot read stats, per workspace or across them."""
    limited = Principal(user_id=access.principal.user_id, name="bot", scopes=frozenset({"clients:read"}))
    limited_access = await billing.access(limited, access.workspace.slug)
    for call in (billing.stats.for_workspace(limited_access), billing.stats.for_user(limited)):
        with pytest.raises(Forbidden) as refused:
            await call
        assert refused.value.code == "insufficient_scope"
