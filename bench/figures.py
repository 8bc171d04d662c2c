"""A run's figures and how a pair is measured: ``Figure`` (one row of the table: a ratio or
a memory reading against its target), ``Bench`` (the run's arguments, its figures, progress
on stderr, and ``alternate``, which measures two sides in alternation round after round)
and the table printed at the end."""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import click

from bench.measure import median


@dataclass
class Figure:
    what: str
    against: str
    database: str
    invoices: int | None
    value: float
    unit: str  # "x" for a ratio, "MB" for memory, "count" for a number of events (errors)
    target: float
    higher_is_better: bool
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.figures: list[Figure] = []
        self.work_dir = Path(tempfile.mkdtemp(prefix="billcraft-bench-"))

    def step(self, message: str) -> None:
        click.echo(f"  {message}", err=True)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        mark = "ok" if figure.met else "MISSED"
        self.step(f"-> {figure.what} [{figure.database} {figure.invoices or ''}]: {value_of(figure)} ({mark})")

    async def alternate(
        self, ours: Callable[[], Awaitable[float]], theirs: Callable[[], Awaitable[float]]
    ) -> tuple[float, float, float]:
        """Measure a pair in alternation, round after round: the median of the per-round
        ratios ours/theirs, and the median of each side's measurements."""
        pairs = [(await ours(), await theirs()) for _ in range(self.args.rounds)]
        return (
            median([a / b for a, b in pairs]),
            median([a for a, _ in pairs]),
            median([b for _, b in pairs]),
        )

    def table(self) -> str:
        lines = [
            f"Billcraft benchmarks: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{self.args.rounds} rounds (medians of per-round ratios)",
            "",
            "| what | against | database | invoices | measured | target | |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in self.figures:
            unit = {"MB": " MB", "count": ""}.get(f.unit, " x")
            target = f"{'>=' if f.higher_is_better else '<='} {f.target:g}{unit}"
            size = f"{f.invoices:,}" if f.invoices else ""
            lines.append(
                f"| {f.what} | {f.against} | {f.database} | {size} | {value_of(f)} ({f.detail}) | {target} | "
                f"{'ok' if f.met else 'MISSED'} |"
            )
        return "\n".join(lines)


def value_of(f: Figure) -> str:
    if f.unit == "MB":
        return f"{f.value:.0f} MB"
    if f.unit == "count":
        return f"{f.value:.0f}"
    return f"{f.value:.2f} x"
