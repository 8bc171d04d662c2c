"""The dashboard's server-side SVG charts (app/web/charts.py): bar geometry follows the amounts,
tooltips carry Babel-formatted money, empty data says so, every text is escaped, and each chart
is an accessible image with ids of its own.

The output is parsed as standalone XML; expected values are derived from the inputs."""

from __future__ import annotations

import datetime as dt
import random
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment
from markupsafe import Markup

from app.domain.stats_outputs import MonthOut
from app.web.charts import monthly_chart, status_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
STATUS_ORDER = ["draft", "sent", "overdue", "paid", "cancelled"]


def parse(chart: Markup) -> ET.Element:
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-month") is not None]


def segments(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-status") is not None]


def height(rect: ET.Element) -> float:
    return float(rect.get("height", "0"))


def tooltip(rect: ET.Element) -> str:
    title = rect.find("svg:title", NS)
    assert title is not None
    return title.text or ""


def viewbox_width(root: ET.Element) -> float:
    return float(root.get("viewBox", "").split()[2])


def twelve_months(last: dt.date) -> list[str]:
    months = []
    year, month = last.year, last.month
    for _ in range(12):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


# --- monthly chart ---------------------------------------------------------------------------------


def test_bar_heights_follow_the_amounts():
    """Bars are proportional to their amounts (paid 600 beside invoiced 1200 is exactly half as
    tall), a zero month has no height, all bars share one baseline, and data-value is the exact
    decimal string given."""
    months = [MonthOut("2026-03", "1200.00", "600.00"), MonthOut("2026-04", "0.00", "0")]
    found = bars(parse(monthly_chart(months, "USD")))
    by_key = {(r.get("data-month"), r.get("class")): r for r in found}

    invoiced = by_key[("2026-03", "bar-invoiced")]
    paid = by_key[("2026-03", "bar-paid")]
    assert height(invoiced) > 0
    assert height(paid) * 2 == height(invoiced)
    assert height(by_key[("2026-04", "bar-invoiced")]) == 0
    assert height(by_key[("2026-04", "bar-paid")]) == 0

    baselines = {round(float(r.get("y", "0")) + height(r), 2) for r in found}
    assert len(baselines) == 1

    given = {(m.month, f"bar-{kind}"): getattr(m, kind) for m in months for kind in ("invoiced", "paid")}
    assert {key: rect.get("data-value") for key, rect in by_key.items()} == given


def test_bar_heights_stay_proportional_across_months():
    """Heights across all months keep the ratios of the amounts (to the 0.01 the coordinates carry)."""
    amounts = ["150.00", "980.25", "3310.10", "47.00", "2200.00", "999.99"]
    months = [MonthOut(f"2025-{i + 1:02d}", amount, "0") for i, amount in enumerate(amounts)]
    found = [r for r in bars(parse(monthly_chart(months, "EUR"))) if r.get("class") == "bar-invoiced"]
    top = max(found, key=height)
    scale = height(top) / float(Decimal(top.get("data-value", "")))
    for rect in found:
        assert height(rect) == pytest.approx(float(Decimal(rect.get("data-value", ""))) * scale, abs=0.011)


@pytest.mark.parametrize(
    ("largest", "axis_max"),
    [("1200.00", 2000), ("2100", 2500), ("2600", 5000), ("5000", 5000), ("7000.01", 10000), ("0.30", "0.5")],
)
def test_axis_maximum_is_a_nice_number(largest, axis_max):
    """The value axis tops out at the max rounded up to 1, 2, 2.5 or 5 x 10^n: the top grid line sits
    where that amount would reach, and there are 3 to 5 grid lines, each with an amount label."""
    root = parse(monthly_chart([MonthOut("2026-01", largest, "0")], "USD"))
    bar = next(r for r in bars(root) if r.get("class") == "bar-invoiced")
    baseline = float(bar.get("y", "0")) + height(bar)
    grid = [line for line in root.iter(f"{SVG}line") if line.get("class") == "grid"]
    assert 3 <= len(grid) <= 5
    top = min(float(line.get("y1", "0")) for line in grid)
    assert height(bar) / (baseline - top) == pytest.approx(float(Decimal(largest) / Decimal(axis_max)), abs=1e-3)
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "axis-label" and t.get("text-anchor") == "end"]
    assert len(labels) == len(grid) + 1  # the baseline has a label too


def test_tooltips_carry_babel_formatted_amounts():
    """Each bar's <title> names the month and the amount as Babel formats it for the locale."""
    months = [MonthOut("2026-03", "1200.00", "600.00")]

    us = {r.get("class"): tooltip(r) for r in bars(parse(monthly_chart(months, "USD")))}
    assert us["bar-invoiced"] == "Mar 2026 · invoiced $1,200.00"
    assert us["bar-paid"] == "Mar 2026 · paid $600.00"

    de = {r.get("class"): tooltip(r) for r in bars(parse(monthly_chart(months, "EUR", locale="de_DE")))}
    assert format_currency(Decimal("1200.00"), "EUR", locale="de_DE") == "1.200,00\xa0€"
    assert de["bar-invoiced"] == "März 2026 · invoiced 1.200,00\xa0€"
    assert de["bar-paid"] == "März 2026 · paid 600,00\xa0€"


def test_desc_summarises_the_totals():
    """The <desc> states the invoiced and paid totals over the months shown."""
    months = [MonthOut("2026-01", "100.10", "50.05"), MonthOut("2026-02", "200.20", "0")]
    root = parse(monthly_chart(months, "USD"))
    desc = root.find("svg:desc", NS)
    assert desc is not None
    total_invoiced = sum((Decimal(m.invoiced) for m in months), Decimal(0))
    total_paid = sum((Decimal(m.paid) for m in months), Decimal(0))
    assert format_currency(total_invoiced, "USD", locale="en_US") in (desc.text or "")
    assert format_currency(total_paid, "USD", locale="en_US") in (desc.text or "")


def test_twelve_months_make_24_bars_in_month_order():
    """Twelve months give 24 bars, invoiced then paid per month, left to right in month order
    (even when handed over shuffled), labelled with short month names and the year on the first
    month and on January."""
    keys = twelve_months(dt.date(2026, 3, 1))
    months = [MonthOut(m, str(100 * (i + 1)), str(50 * i)) for i, m in enumerate(keys)]
    random.Random(12).shuffle(months)
    root = parse(monthly_chart(months, "USD"))

    found = bars(root)
    assert len(found) == 24
    assert [r.get("data-month") for r in found] == [m for m in keys for _ in range(2)]
    assert [r.get("class") for r in found] == ["bar-invoiced", "bar-paid"] * 12
    xs = [float(r.get("x", "0")) for r in found]
    assert xs == sorted(xs)
    assert len(set(xs)) == 24

    label_texts = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    dates = [dt.date(int(m[:4]), int(m[5:]), 1) for m in keys]
    for day in dates:
        assert format_date(day, "MMM", locale="en_US") in label_texts
    expected_years = [str(d.year) for i, d in enumerate(dates) if i == 0 or d.month == 1]
    assert [t for t in label_texts if t and t.isdigit()] == expected_years


@pytest.mark.parametrize(
    "months",
    [[], [MonthOut("2026-01", "0.00", "0.00"), MonthOut("2026-02", "0", "0.00")]],
    ids=["no-months", "all-zero"],
)
def test_monthly_without_amounts_says_so(months):
    """No months, or only zero amounts: still an accessible svg, with the empty message and no bars."""
    root = parse(monthly_chart(months, "USD"))
    assert root.get("role") == "img"
    assert list(root.iter(f"{SVG}rect")) == []
    empty = [t for t in root.iter(f"{SVG}text") if t.get("class") == "empty"]
    assert [t.text for t in empty] == ["No invoices in the last 12 months yet"]


def test_legend_uses_the_bar_classes():
    """The legend holds a swatch for each series, styled through the same classes as the bars."""
    root = parse(monthly_chart([MonthOut("2026-01", "10", "5")], "USD"))
    legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"]
    assert len(legend) == 1
    assert [r.get("class") for r in legend[0].iter(f"{SVG}rect")] == ["bar-invoiced", "bar-paid"]


# --- status chart ----------------------------------------------------------------------------------


def test_status_segments_are_proportional_and_fill_the_width():
    """Segments come in the fixed status order, their widths follow the counts and add up to the
    full width, and each starts where the previous one ends."""
    counts = {"paid": 6, "draft": 2, "cancelled": 1, "sent": 3, "overdue": 4}
    root = parse(status_chart(counts))
    found = segments(root)
    total = sum(counts.values())
    width = viewbox_width(root)

    assert [r.get("data-status") for r in found] == STATUS_ORDER
    assert [int(r.get("data-count", "")) for r in found] == [counts[s] for s in STATUS_ORDER]
    assert [r.get("class") for r in found] == [f"status-{s}" for s in STATUS_ORDER]
    widths = [float(r.get("width", "0")) for r in found]
    assert sum(widths) == pytest.approx(width, abs=1e-9)
    for rect, w in zip(found, widths, strict=True):
        assert w == pytest.approx(width * int(rect.get("data-count", "")) / total, abs=0.011)
    edge = 0.0
    for rect, w in zip(found, widths, strict=True):
        assert float(rect.get("x", "")) == pytest.approx(edge, abs=1e-9)
        edge += w


def test_status_skips_zero_and_unknown_statuses():
    """Zero counts draw no segment and unknown statuses are ignored entirely."""
    counts = {"draft": 0, "sent": 4, "overdue": 0, "paid": 8, "refunded": 5}
    root = parse(status_chart(counts))
    found = segments(root)
    assert [r.get("data-status") for r in found] == ["sent", "paid"]
    assert sum(float(r.get("width", "0")) for r in found) == pytest.approx(viewbox_width(root), abs=1e-9)
    assert "refunded" not in str(status_chart(counts)).lower()


def test_status_titles_show_count_and_rounded_percentage():
    """Each segment's <title> reads "Status: count (percent%)", the percentage rounded half up."""
    counts = {"sent": 4, "paid": 8}
    titles = {r.get("data-status"): tooltip(r) for r in segments(parse(status_chart(counts)))}
    assert titles["sent"] == "Sent: 4 (33%)"
    assert titles["paid"] == "Paid: 8 (67%)"

    # 1/8 = 12.5% and 3/8 = 37.5%: halves go up.
    halves = {"draft": 1, "overdue": 3, "paid": 4}
    titles = {r.get("data-status"): tooltip(r) for r in segments(parse(status_chart(halves)))}
    assert titles == {"draft": "Draft: 1 (13%)", "overdue": "Overdue: 3 (38%)", "paid": "Paid: 4 (50%)"}


def test_status_legend_and_desc_list_the_counts():
    """The legend lists each drawn status with its count; the <desc> lists every status's count."""
    counts = {"draft": 2, "paid": 5}
    root = parse(status_chart(counts))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Draft 2", "Paid 5"]
    assert [r.get("class") for r in legend.iter(f"{SVG}rect")] == ["status-draft", "status-paid"]
    desc = root.find("svg:desc", NS)
    assert desc is not None
    for status in STATUS_ORDER:
        assert f"{status.capitalize()}: {counts.get(status, 0)}" in (desc.text or "")


@pytest.mark.parametrize(
    "counts", [{}, {"draft": 0, "paid": 0}, {"archived": 3}], ids=["none", "all-zero", "only-unknown"]
)
def test_status_without_invoices_says_so(counts):
    """No invoices to show: an accessible svg with the empty message and no segments."""
    root = parse(status_chart(counts))
    assert root.get("role") == "img"
    assert list(root.iter(f"{SVG}rect")) == []
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "empty"] == ["No invoices yet"]


# --- escaping, accessibility, styling ---------------------------------------------------------------


def test_text_is_escaped():
    """A hostile currency ends up as escaped text (never markup, never inside an id), a hostile
    locale is refused by Babel, and a status key holding <script> is ignored."""
    hostile = '<script>alert("x")</script>'
    chart = monthly_chart([MonthOut("2026-01", "10.00", "5.00")], hostile)
    assert "<script" not in str(chart)
    root = parse(chart)
    title = root.find("svg:title", NS)
    assert title is not None
    assert hostile in (title.text or "")
    for element in root.iter():
        assert "<" not in (element.get("id") or "")

    with pytest.raises(ValueError, match="letters"):
        monthly_chart([MonthOut("2026-01", "10.00", "5.00")], "USD", locale=hostile)

    status = status_chart({hostile: 3, "sent": 1})
    assert "<script" not in str(status)
    assert [r.get("data-status") for r in segments(parse(status))] == ["sent"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: monthly_chart([MonthOut("2026-01", "10.00", "5.00")], "USD"),
        lambda: monthly_chart([], "USD"),
        lambda: status_chart({"sent": 2, "paid": 1}),
        lambda: status_chart({}),
    ],
    ids=["monthly", "monthly-empty", "status", "status-empty"],
)
def test_charts_are_accessible_images_with_their_own_ids(make):
    """The svg is role="img", labelled by a <title> and described by a <desc> inside it, scales by
    viewBox alone, and two calls never share an id."""
    first, second = parse(make()), parse(make())
    for root in (first, second):
        assert root.get("role") == "img"
        assert root.get("viewBox")
        assert root.get("width") is None
        assert root.get("height") is None
        ids = {element.get("id"): element for element in root.iter() if element.get("id")}
        assert ids[root.get("aria-labelledby")].tag == f"{SVG}title"
        assert ids[root.get("aria-describedby")].tag == f"{SVG}desc"
    first_ids = {e.get("id") for e in first.iter() if e.get("id")}
    second_ids = {e.get("id") for e in second.iter() if e.get("id")}
    assert first_ids
    assert first_ids.isdisjoint(second_ids)


def test_colours_come_from_classes_only():
    """No colour or style is inline: the stylesheet styles the classes."""
    months = [MonthOut(m, "120.00", "60.00") for m in twelve_months(dt.date(2026, 6, 1))]
    for chart in (monthly_chart(months, "USD"), status_chart({"draft": 1, "sent": 2, "paid": 3})):
        for element in parse(chart).iter():
            assert not {"fill", "stroke", "style", "color"} & set(element.attrib)
    monthly_classes = {e.get("class") for e in parse(monthly_chart(months, "USD")).iter()}
    assert {"chart chart-monthly", "bar-invoiced", "bar-paid", "grid", "axis-label", "legend"} <= monthly_classes


def test_charts_insert_into_autoescaped_templates_as_is():
    """Being Markup, a chart goes into an autoescaping Jinja template unchanged."""
    chart = status_chart({"sent": 1})
    rendered = Environment(autoescape=True).from_string("<div>{{ chart }}</div>").render(chart=chart)
    assert rendered == f"<div>{chart}</div>"
