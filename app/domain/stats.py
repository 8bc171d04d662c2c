"""Billing statistics per currency, per workspace or across a user's workspaces, computed
with SQL aggregates (never by loading invoices)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
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


class StatsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name

    def _month(self, column: Any) -> ColumnElement[str]:
        if self._dialect == "postgresql":
            return func.to_char(column, "YYYY-MM")
        return func.strftime("%Y-%m", column)

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
        live = inv.status != Status.CANCELLED.value
        invoiced = and_(inv.finalized_at.is_not(None), live)
        open_ = inv.status.in_([Status.SENT.value, Status.OVERDUE.value])
        balance = inv.total_minor - inv.paid_minor
        paid_days = self._days_between(inv.sent_at, inv.paid_at)
        totals = await self.session.execute(
            select(
                inv.currency,
                func.coalesce(func.sum(case((invoiced, inv.total_minor), else_=0)), 0),
                func.coalesce(func.sum(case((live, inv.paid_minor), else_=0)), 0),
                func.coalesce(func.sum(case((open_, balance), else_=0)), 0),
                func.coalesce(func.sum(case((inv.status == Status.OVERDUE.value, balance), else_=0)), 0),
                func.count(inv.id),
                func.avg(case((and_(inv.status == Status.PAID.value, inv.sent_at.is_not(None)), paid_days))),
            )
            .where(mine)
            .group_by(inv.currency)
        )
        counts = await self.session.execute(
            select(inv.currency, inv.status, func.count(inv.id)).where(mine).group_by(inv.currency, inv.status)
        )
        billable = (
            await self.session.execute(select(func.count(inv.id)).where(mine, inv.finalized_at.is_not(None)))
        ).scalar_one()
        months = _months(today)
        first_day = dt.date.fromisoformat(months[0] + "-01")
        issued_month = self._month(inv.issue_date)
        invoiced_by_month = await self.session.execute(
            select(inv.currency, issued_month, func.sum(inv.total_minor))
            .where(mine, invoiced, inv.issue_date >= first_day)
            .group_by(inv.currency, issued_month)
        )
        paid_month = self._month(Payment.payment_date)
        # Like total_paid, money on invoices later cancelled is left out.
        paid_by_month = await self.session.execute(
            select(Payment.currency, paid_month, func.sum(Payment.amount_minor))
            .join(inv, inv.id == Payment.invoice_id)
            .where(Payment.workspace_id.in_(ids), live, Payment.payment_date >= first_day)
            .group_by(Payment.currency, paid_month)
        )

        per_status: dict[str, dict[str, int]] = defaultdict(dict)
        overall: dict[str, int] = {s.value: 0 for s in Status}
        for currency, status, n in counts.all():
            per_status[currency][status] = n
            overall[status] += n
        monthly: dict[str, dict[str, list[int]]] = defaultdict(lambda: {m: [0, 0] for m in months})
        for currency, month, total in invoiced_by_month.all():
            if month in monthly[currency]:
                monthly[currency][month][0] = int(total or 0)
        for currency, month, total in paid_by_month.all():
            if month in monthly[currency]:
                monthly[currency][month][1] = int(total or 0)

        currencies = []
        for currency, inv_total, paid, outstanding, overdue, n, avg_days in sorted(totals.all()):
            fmt = money.format_amount
            currencies.append(
                CurrencyStats(
                    currency=currency,
                    total_invoiced=fmt(int(inv_total), currency),
                    total_paid=fmt(int(paid), currency),
                    total_outstanding=fmt(int(outstanding), currency),
                    total_overdue=fmt(int(overdue), currency),
                    invoice_count=int(n),
                    counts_by_status={s.value: per_status[currency].get(s.value, 0) for s in Status},
                    average_days_to_payment=None if avg_days is None else round(float(avg_days), 1),
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
