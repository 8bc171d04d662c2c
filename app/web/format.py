"""Jinja filters that write figures for people: amounts in their currency, dates and times
in the workspace's locale and timezone (babel), and status words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

DEFAULT_LOCALE = "en_US"
STATUS_WORDS = {
    "draft": "Draft",
    "sent": "Sent",
    "paid": "Paid",
    "overdue": "Overdue",
    "cancelled": "Cancelled",
    "queued": "Queued",
    "sending": "Sending",
    "opened": "Opened",
    "bounced": "Bounced",
    "failed": "Failed",
}


def _workspace(context: Context) -> Any:
    nav = context.get("nav")
    return nav.get("current") if isinstance(nav, dict) else None


def _locale(context: Context) -> str:
    workspace = _workspace(context)
    return str(getattr(workspace, "locale", None) or context.get("locale") or DEFAULT_LOCALE)


@pass_context
def money(context: Context, amount: str | Decimal | None, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    return str(format_currency(Decimal(amount), currency, locale=_locale(context)))


@pass_context
def number(context: Context, value: str | Decimal | float | None) -> str:
    if value is None or value == "":
        return ""
    return str(format_decimal(Decimal(str(value)), locale=_locale(context)))


@pass_context
def day(context: Context, value: dt.date | None) -> str:
    if value is None:
        return ""
    return str(format_date(value, "medium", locale=_locale(context)))


@pass_context
def moment(context: Context, value: dt.datetime | None) -> str:
    """A time in the workspace's timezone (UTC outside a workspace)."""
    if value is None:
        return ""
    workspace = _workspace(context)
    zone = ZoneInfo(getattr(workspace, "timezone", None) or "UTC")
    return str(format_datetime(value.astimezone(zone), "medium", tzinfo=zone, locale=_locale(context)))


def status_word(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", (status or "").replace("_", " ").capitalize())


def install(environment: Environment) -> None:
    environment.filters.update(money=money, number=number, day=day, moment=moment, status_word=status_word)
