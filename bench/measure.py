"""How things are measured: medians of repeated timings, throughput at a fixed concurrency,
and the memory of a process (peak resident set) or of a process tree (proportional set,
so pages shared between Chromium's processes count once)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path


def median(values: list[float]) -> float:
    return statistics.median(values)


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def median_time(call: Callable[[], Awaitable[object]], times: int) -> float:
    return median([await timed(call) for _ in range(times)])


async def throughput(call: Callable[[], Awaitable[object]], seconds: float, concurrency: int) -> float:
    """Calls completed per second by ``concurrency`` callers, each calling in a loop."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB (10^6 bytes, as the targets say)."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    """The process's resident set now (VmRSS), in MB."""
    return _status_mb(pid, "VmRSS")


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no {field} for process {pid}")


def _children_by_parent() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The command name is in parentheses and may hold spaces: the parent follows the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.setdefault(parent, []).append(int(entry.name))
    return found


def tree_pss_mb(pid: int) -> float:
    """The proportional set size of a process and all its descendants, in MB."""
    total_kib = 0
    children = _children_by_parent()
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
                    break
            pending += children.get(current, [])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a process that ended while we walked the tree
    return total_kib * 1024 / 1e6
