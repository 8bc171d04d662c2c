"""Server-side SVG charts for the billing dashboard.

Two charts live here, each returned as :class:`markupsafe.Markup` so a Jinja template can
drop it in with ``{{ chart }}``:

* :func:`monthly_chart`: invoiced and paid amounts per month as grouped vertical bars.
* :func:`status_chart`: invoice counts by status as one horizontal stacked bar.

The charts are plain SVG: no JavaScript, nothing fetched from elsewhere. Colours come from the
stylesheet through CSS classes (``bar-invoiced``, ``bar-paid``, ``grid``, ``axis-label``,
``legend``, ``empty`` and ``status-<name>``); the SVG carries only geometry. Amounts stay
``Decimal`` and are formatted with Babel; floats are used only for pixel positions. Every
piece of text is escaped, and each chart has ``role="img"`` with a ``<title>`` and ``<desc>``
whose ids are unique per call, so several charts can share a page.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from babel.dates import format_date
from babel.numbers import format_compact_currency, format_currency
from markupsafe import Markup, escape

from app.domain.lifecycle import Status

__all__ = ["MonthLike", "monthly_chart", "status_chart"]

SVG_NS = "http://www.w3.org/2000/svg"

# Monthly chart geometry, in viewBox units.
_M_WIDTH = 720
_M_HEIGHT = 300
_M_LEFT = 64  # room for the amount labels
_M_RIGHT = 8
_M_TOP = 40  # room for the legend
_M_BOTTOM = 44  # room for month and year labels
_M_PLOT_W = _M_WIDTH - _M_LEFT - _M_RIGHT
_M_PLOT_H = _M_HEIGHT - _M_TOP - _M_BOTTOM
_M_PLOT_BOTTOM = _M_TOP + _M_PLOT_H

# Status chart geometry.
_S_WIDTH = 600
_S_BAR_H = 28
_S_LEGEND_Y = _S_BAR_H + 24
_S_HEIGHT = _S_LEGEND_Y + 12
_S_LEGEND_COL = _S_WIDTH // 5

# The order the bar and its legend read in: the life of an invoice, cancelled last.
STATUSES: tuple[str, ...] = tuple(
    s.value for s in (Status.DRAFT, Status.SENT, Status.OVERDUE, Status.PAID, Status.CANCELLED)
)

_EMPTY_MONTHLY = "No invoices in the last 12 months yet"
_EMPTY_STATUS = "No invoices yet"

# Grid intervals per mantissa of the axis maximum: 1 -> quarters, 2 -> halves, 2.5 and 5 -> fifths.
_NICE_STEPS: tuple[tuple[Decimal, int], ...] = (
    (Decimal(1), 4),
    (Decimal(2), 4),
    (Decimal("2.5"), 5),
    (Decimal(5), 5),
    (Decimal(10), 4),
)

_CENT = Decimal("0.01")


class MonthLike(Protocol):
    """One month of totals: ``month`` is ``YYYY-MM``, amounts are decimal strings."""

    @property
    def month(self) -> str: ...

    @property
    def invoiced(self) -> str: ...

    @property
    def paid(self) -> str: ...


# --- small SVG helpers ---------------------------------------------------------------------------


def _num(value: Decimal | float | int) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{Decimal(str(value)).quantize(_CENT, ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _shown(value: object) -> str:
    """An attribute value as text: numbers as coordinates, everything else as given."""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return _num(value)
    return str(value)


def _attrs(attrs: Mapping[str, object]) -> str:
    return "".join(f' {name}="{escape(_shown(value))}"' for name, value in attrs.items())


def _el(tag: str, attrs: Mapping[str, object], *children: str) -> str:
    """An element; ``children`` must already be SVG markup (escaped)."""
    if not children:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{''.join(children)}</{tag}>"


def _text(attrs: Mapping[str, object], content: str) -> str:
    return _el("text", attrs, str(escape(content)))


def _title(content: str, id_: str | None = None) -> str:
    return _el("title", {"id": id_} if id_ else {}, str(escape(content)))


def _slug(text: str) -> str:
    """Characters safe inside an id; anything else is dropped."""
    return re.sub(r"[^A-Za-z0-9_-]", "", text)[:16] or "x"


def _ids(kind: str, extra: str = "") -> tuple[str, str]:
    stem = f"chart-{kind}-{_slug(extra) + '-' if extra else ''}{uuid.uuid4().hex[:8]}"
    return f"{stem}-title", f"{stem}-desc"


def _svg(kind: str, width: int, height: int, title_id: str, desc_id: str, body: Sequence[str]) -> Markup:
    attrs = {
        "xmlns": SVG_NS,
        "class": f"chart chart-{kind}",
        "viewBox": f"0 0 {width} {height}",
        "role": "img",
        "aria-labelledby": title_id,
        "aria-describedby": desc_id,
        "font-size": 11,
    }
    return Markup(_el("svg", attrs, *body))


# --- monthly chart -------------------------------------------------------------------------------


def _month_date(month: str) -> datetime.date:
    try:
        year, number = month.split("-")
        return datetime.date(int(year), int(number), 1)
    except ValueError as exc:
        raise ValueError(f"month must look like YYYY-MM, got {month!r}") from exc


def _nice_axis(maximum: Decimal) -> tuple[Decimal, int]:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above ``maximum``, with its number of grid steps."""
    power = Decimal(1).scaleb(maximum.adjusted())
    for mantissa, steps in _NICE_STEPS:
        if mantissa * power >= maximum:
            return mantissa * power, steps
    raise AssertionError("unreachable: 10 x 10^n always exceeds the maximum")  # pragma: no cover


def _bar_height(value: Decimal, axis_max: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(0)
    return (value / axis_max * _M_PLOT_H).quantize(_CENT, ROUND_HALF_UP)


def monthly_chart(months: Sequence[MonthLike], currency: str, locale: str = "en_US") -> Markup:
    """Invoiced and paid per month as grouped vertical bars, one group per month in month order."""
    title_id, desc_id = _ids("monthly", currency)
    title = f"Invoiced and paid per month, {currency}"
    rows = sorted(months, key=lambda m: m.month)
    values = [(m, _month_date(m.month), Decimal(m.invoiced), Decimal(m.paid)) for m in rows]
    maximum = max((max(inv, paid) for _, _, inv, paid in values), default=Decimal(0))

    def money(amount: Decimal) -> str:
        return format_currency(amount, currency, locale=locale)

    def month_name(day: datetime.date, pattern: str = "MMM y") -> str:
        return format_date(day, pattern, locale=locale)

    if maximum <= 0:
        body = [
            _title(title, title_id),
            _el("desc", {"id": desc_id}, str(escape(_EMPTY_MONTHLY + "."))),
            _text(
                {"class": "empty", "x": _M_WIDTH / 2, "y": _M_HEIGHT / 2, "text-anchor": "middle"},
                _EMPTY_MONTHLY,
            ),
        ]
        return _svg("monthly", _M_WIDTH, _M_HEIGHT, title_id, desc_id, body)

    total_invoiced = sum((inv for _, _, inv, _ in values), Decimal(0))
    total_paid = sum((paid for _, _, _, paid in values), Decimal(0))
    first, last = values[0][1], values[-1][1]
    span = month_name(first) if first == last else f"{month_name(first)} to {month_name(last)}"
    count = f"{len(values)} month" if len(values) == 1 else f"{len(values)} months"
    desc = f"{count}, {span}: invoiced {money(total_invoiced)} in total, paid {money(total_paid)} in total."

    axis_max, steps = _nice_axis(maximum)
    parts = [_title(title, title_id), _el("desc", {"id": desc_id}, str(escape(desc)))]

    # Grid lines above the baseline, with compact amount labels (the baseline gets a label only).
    axis_labels = []
    for step in range(steps + 1):
        tick = axis_max * step / steps
        y = _M_PLOT_BOTTOM - (tick / axis_max * _M_PLOT_H)
        if step:
            parts.append(_el("line", {"class": "grid", "x1": _M_LEFT, "x2": _M_WIDTH - _M_RIGHT, "y1": y, "y2": y}))
        label = format_compact_currency(tick, currency, locale=locale, fraction_digits=2)
        axis_labels.append(
            _text({"class": "axis-label", "x": _M_LEFT - 6, "y": y + 4, "text-anchor": "end"}, label),
        )
    parts.append(_el("g", {}, *axis_labels))

    group_w = _M_PLOT_W / len(values)
    bar_w = group_w * 0.36
    gap = group_w * 0.04
    bars = []
    labels = []
    for index, (row, day, invoiced, paid) in enumerate(values):
        centre = _M_LEFT + group_w * index + group_w / 2
        when = month_name(day)
        for kind, value, raw, x in (
            ("invoiced", invoiced, row.invoiced, centre - gap / 2 - bar_w),
            ("paid", paid, row.paid, centre + gap / 2),
        ):
            height = _bar_height(value, axis_max)
            attrs = {
                "class": f"bar-{kind}",
                "data-month": row.month,
                "data-value": raw,
                "x": x,
                "y": _M_PLOT_BOTTOM - height,
                "width": bar_w,
                "height": height,
            }
            bars.append(_el("rect", attrs, _title(f"{when} · {kind} {money(value)}")))
        label_y = _M_PLOT_BOTTOM + 16
        labels.append(
            _text({"class": "axis-label", "x": centre, "y": label_y, "text-anchor": "middle"}, month_name(day, "MMM"))
        )
        if index == 0 or day.month == 1:
            labels.append(
                _text(
                    {"class": "axis-label", "x": centre, "y": label_y + 14, "text-anchor": "middle"},
                    month_name(day, "y"),
                )
            )
    parts.append(_el("g", {}, *bars))
    parts.append(_el("g", {}, *labels))

    legend = []
    x = _M_LEFT
    for kind, label in (("invoiced", "Invoiced"), ("paid", "Paid")):
        legend.append(_el("rect", {"class": f"bar-{kind}", "x": x, "y": 12, "width": 12, "height": 12}))
        legend.append(_text({"x": x + 18, "y": 22}, label))
        x += 18 + 8 * len(label) + 20
    parts.append(_el("g", {"class": "legend"}, *legend))

    return _svg("monthly", _M_WIDTH, _M_HEIGHT, title_id, desc_id, parts)


# --- status chart --------------------------------------------------------------------------------


def _percent(count: int, total: int) -> int:
    return int((Decimal(count) * 100 / Decimal(total)).quantize(Decimal(1), ROUND_HALF_UP))


def status_chart(counts: Mapping[str, int]) -> Markup:
    """Invoice counts by status as one stacked bar across the full width, then a legend row."""
    title_id, desc_id = _ids("status")
    title = "Invoices by status"
    present = [(status, counts[status]) for status in STATUSES if counts.get(status, 0) > 0]
    total = sum(count for _, count in present)

    if not total:
        body = [
            _title(title, title_id),
            _el("desc", {"id": desc_id}, str(escape(_EMPTY_STATUS + "."))),
            _text({"class": "empty", "x": _S_WIDTH / 2, "y": _S_BAR_H / 2 + 4, "text-anchor": "middle"}, _EMPTY_STATUS),
        ]
        return _svg("status", _S_WIDTH, _S_HEIGHT, title_id, desc_id, body)

    every = ", ".join(f"{status.capitalize()}: {max(counts.get(status, 0), 0)}" for status in STATUSES)
    desc = f"{total} invoice{'' if total == 1 else 's'}. {every}."
    parts = [_title(title, title_id), _el("desc", {"id": desc_id}, str(escape(desc)))]

    # Segment edges come from running totals, so the widths add up to exactly the full width.
    segments = []
    legend = []
    running = 0
    start = Decimal(0)
    for index, (status, count) in enumerate(present):
        running += count
        end = (Decimal(_S_WIDTH) * running / total).quantize(_CENT, ROUND_HALF_UP)
        name = status.capitalize()
        attrs = {
            "class": f"status-{status}",
            "data-status": status,
            "data-count": count,
            "x": start,
            "y": 0,
            "width": end - start,
            "height": _S_BAR_H,
        }
        segments.append(_el("rect", attrs, _title(f"{name}: {count} ({_percent(count, total)}%)")))
        start = end
        x = index * _S_LEGEND_COL
        legend.append(
            _el("rect", {"class": f"status-{status}", "x": x, "y": _S_LEGEND_Y - 10, "width": 12, "height": 12})
        )
        legend.append(_text({"x": x + 18, "y": _S_LEGEND_Y}, f"{name} {count}"))
    parts.append(_el("g", {}, *segments))
    parts.append(_el("g", {"class": "legend"}, *legend))
    return _svg("status", _S_WIDTH, _S_HEIGHT, title_id, desc_id, parts)
