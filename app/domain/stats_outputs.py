"""The shapes the stats answer with: per currency and month for a workspace or all of a
person's workspaces (``StatsOut``), and each workspace's share of a person's figures."""

from __future__ import annotations

from msgspec import Struct


class MonthOut(Struct):
    month: str
    invoiced: str
    paid: str


class CurrencyStats(Struct):
    currency: str
    total_invoiced: str
    total_paid: str
    total_outstanding: str
    total_overdue: str
    invoice_count: int
    counts_by_status: dict[str, int]
    average_days_to_payment: float | None
    monthly: list[MonthOut]


class StatsOut(Struct):
    scope: str
    workspaces: list[str]
    counts_by_status: dict[str, int]
    billable_finalizations: int
    currencies: list[CurrencyStats]


class WorkspaceShare(Struct):
    """One workspace's part of a person's figures across their workspaces, in one currency;
    the shares are percents of that currency's total over all of them (None when it is 0)."""

    company_slug: str
    name: str
    currency: str
    total_invoiced: str
    total_paid: str
    total_outstanding: str
    total_overdue: str
    invoice_count: int
    share_of_invoiced: float | None
    share_of_outstanding: float | None
