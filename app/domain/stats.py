"""Billing statistics per currency, per workspace or across a user's workspaces, computed
with SQL aggregates (never by loading invoices)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.db.models import Invoice, Membership, Payment, Workspace
from app.domain import money, tenancy
from app.domain.access import Principal, Scope, WorkspaceAccess
from app.domain.lifecycle import Status
from app.domain.schemas import CurrencyStats, MonthOut, StatsOut
from app.domain.workspaces import today_in

MONTHS = 12


def _months(today: dt.date) -> list[str]:
    year, month = today.year, today.month
    out = []
    for _ in range(MONTHS):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


@dataclass
class _Sums:
    """One currency's running figures, in minor units."""

    invoiced: int = 0
    paid: int = 0
    outstanding: int = 0
    overdue: int = 0
    count: int = 0
    days: float = 0.0  # days from sending to payment, summed over ``timed`` paid invoices
    timed: int = 0


class StatsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name

    def _days_between(self, start: Any, end: Any) -> ColumnElement[Any]:
        if self._dialect == "postgresql":
            return func.extract("epoch", end - start) / 86400.0
        return func.julianday(end) - func.julianday(start)

    async def for_workspace(self, access: WorkspaceAccess) -> StatsOut:
        access.require(Scope.INVOICES_READ)
        await tenancy.bind(self.session, access.workspace_id)
        ws = access.workspace
        return await self._compute([ws.id], [ws.slug], "workspace", today_in(ws))

    async def for_user(self, principal: Principal) -> StatsOut:
        principal.require_scope(Scope.INVOICES_READ)
        await tenancy.bind(self.session, None)  # spans the caller's workspaces
        rows = (
            (
                await self.session.execute(
                    select(Workspace)
                    .join(Membership, Membership.workspace_id == Workspace.id)
                    .where(Membership.user_id == principal.user_id)
                    .order_by(Workspace.slug)
                )
            )
            .scalars()
            .all()
        )
        today = dt.datetime.now(dt.UTC).date()
        return await self._compute([w.id for w in rows], [w.slug for w in rows], "all", today)

    async def _compute(self, ids: list[uuid.UUID], slugs: list[str], scope: str, today: dt.date) -> StatsOut:
        inv = Invoice
        mine = inv.workspace_id.in_(ids)
        months = _months(today)
        first_day = dt.date.fromisoformat(months[0] + "-01")
        # One pass over the invoices: grouped by what each figure depends on (currency,
        # status, finalized or not, the day of issue within the last twelve months), summed
        # here. Days, not months (here and for payments): a plain column hashes for free where
        # formatting a month costs every row (bench/: 86 against 55 ms over 100k invoices).
        finalized = inv.finalized_at.is_not(None)
        issued_in_window = case((inv.issue_date >= first_day, inv.issue_date), else_=None)
        paid_days = case(
            (
                and_(inv.status == Status.PAID.value, inv.sent_at.is_not(None)),
                self._days_between(inv.sent_at, inv.paid_at),
            )
        )
        groups = await self.session.execute(
            select(
                inv.currency,
                inv.status,
                finalized,
                issued_in_window,
                func.count(),  # count(*): no column to read
                func.coalesce(func.sum(inv.total_minor), 0),
                func.coalesce(func.sum(inv.paid_minor), 0),
                func.sum(paid_days),
                func.count(paid_days),
            )
            .where(mine)
            .group_by(inv.currency, inv.status, finalized, issued_in_window)
        )
        # Like total_paid, money on invoices later cancelled is left out: those few invoices
        # are found by index, not by joining every payment to its invoice.
        cancelled = select(inv.id).where(mine, inv.status == Status.CANCELLED.value)
        paid_by_month = await self.session.execute(
            select(Payment.currency, Payment.payment_date, func.sum(Payment.amount_minor))
            .where(
                Payment.workspace_id.in_(ids), Payment.payment_date >= first_day, Payment.invoice_id.not_in(cancelled)
            )
            .group_by(Payment.currency, Payment.payment_date)
        )

        per_status: dict[str, dict[str, int]] = defaultdict(dict)
        overall: dict[str, int] = {s.value: 0 for s in Status}
        sums: dict[str, _Sums] = defaultdict(_Sums)
        monthly: dict[str, dict[str, list[int]]] = defaultdict(lambda: {m: [0, 0] for m in months})
        billable = 0
        for currency, status, is_final, issued, n, total, paid, days, timed in groups.all():
            n, total, paid = int(n), int(total), int(paid)
            per_status[currency][status] = per_status[currency].get(status, 0) + n
            overall[status] += n
            figures = sums[currency]
            figures.count += n
            if status != Status.CANCELLED.value:
                figures.paid += paid
                if is_final:
                    figures.invoiced += total
                    month = f"{issued.year:04d}-{issued.month:02d}" if issued is not None else None
                    if month in monthly[currency]:  # issued in a month to come is left out
                        monthly[currency][month][0] += total
            if status in (Status.SENT.value, Status.OVERDUE.value):
                figures.outstanding += total - paid
            if status == Status.OVERDUE.value:
                figures.overdue += total - paid
            if timed:
                figures.days += float(days)
                figures.timed += int(timed)
            billable += n if is_final else 0
        for currency, day, amount in paid_by_month.all():
            month = f"{day.year:04d}-{day.month:02d}"
            if month in monthly[currency]:
                monthly[currency][month][1] += int(amount or 0)

        currencies = []
        fmt = money.format_amount
        for currency in sorted(sums):
            figures = sums[currency]
            currencies.append(
                CurrencyStats(
                    currency=currency,
                    total_invoiced=fmt(figures.invoiced, currency),
                    total_paid=fmt(figures.paid, currency),
                    total_outstanding=fmt(figures.outstanding, currency),
                    total_overdue=fmt(figures.overdue, currency),
                    invoice_count=figures.count,
                    counts_by_status={s.value: per_status[currency].get(s.value, 0) for s in Status},
                    average_days_to_payment=round(figures.days / figures.timed, 1) if figures.timed else None,
                    monthly=[
                        MonthOut(month=m, invoiced=fmt(v[0], currency), paid=fmt(v[1], currency))
                        for m, v in monthly[currency].items()
                    ],
                )
            )
        return StatsOut(
            scope=scope,
            workspaces=slugs,
            counts_by_status=overall,
            billable_finalizations=int(billable),
            currencies=currencies,
        )
