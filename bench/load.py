"""Load over loopback against a running bench server: ``mixed_load`` (many clients flat out,
REST list and get with MCP `invoice` get beside them, against the same load on the
hand-written endpoints: throughput ratio, errors, p50/p99 latency and the server's memory
after warm-up, its second quarter against its last) and ``soak`` (a fresh server as
production runs it, paced at a steady rate for minutes: the growth of its resident set
after a warm-up minute).

The mix: 60% REST list of 50, 25% REST get of one invoice, 15% MCP `invoice` get. In the
mixed load it is a mix of clients (15% of them are assistants, each with its own MCP
session); in the soak it is a mix of requests in a fixed order."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.data import Workspace
from bench.figures import Bench, Figure
from bench.measure import rss_mb
from bench.server import running

if TYPE_CHECKING:
    from bench.data import BenchDatabase

MIX = {"list": 60, "get": 25, "mcp": 15}  # percent of clients (mixed load) or requests (soak)
SOAK_RATE = 25.0  # requests a second
WARM_UP = 60.0  # seconds of the soak before its first counted sample
SAMPLE_EVERY = 5.0

Call = Callable[[], Awaitable[bool]]  # True when the answer was right


def server_pid(pid: int) -> int:
    """The web process itself: under ``--profile`` the given pid is py-spy, its parent."""
    if Path(f"/proc/{pid}/comm").read_text().strip() != "py-spy":
        return pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0])


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    async def run(self, call: Call) -> None:
        started = time.perf_counter()
        try:
            ok = await call()
        except Exception as error:  # a failed request is counted, not raised: the load goes on
            ok = False
            self.first_error = self.first_error or f"{type(error).__name__}: {error}"[:300]
        self.latencies.append(time.perf_counter() - started)
        if not ok:
            self.errors += 1

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]

    def summary(self) -> str:
        return f"p50 {self.percentile(50) * 1000:.1f} ms, p99 {self.percentile(99) * 1000:.1f} ms"


class Calls:
    """The requests of the mix, on one shared HTTP client; each MCP session opened here is
    closed with it."""

    def __init__(self, base: str, token: str, ws: Workspace, connections: int) -> None:
        self.base, self.ws = base, ws
        self.headers = {"Authorization": f"Bearer {token}"}
        self.stack = AsyncExitStack()
        self.http = httpx.AsyncClient(
            base_url=base, headers=self.headers, timeout=60, limits=httpx.Limits(max_connections=connections)
        )
        self.stack.push_async_callback(self.http.aclose)

    def get(self, path: str, check: Callable[[httpx.Response], bool] = lambda _: True) -> Call:
        async def call() -> bool:
            answer = await self.http.get(path)
            return answer.status_code == 200 and check(answer)

        return call

    def rest(self, kind: str, reference: bool) -> Call:
        slug, invoice = self.ws.slug, self.ws.showcase_uuid
        if kind == "list":
            path = (
                f"/bench/reference/{slug}/invoices" if reference else f"/api/v1/workspaces/{slug}/invoices?per_page=50"
            )
            return self.get(path, lambda answer: len(answer.json()["items"]) == min(50, self.ws.size))
        if kind == "get" or reference:  # the reference side answers an MCP client's get over REST
            prefix = f"/bench/reference/{slug}" if reference else f"/api/v1/workspaces/{slug}"
            return self.get(f"{prefix}/invoices/{invoice}")
        raise ValueError(kind)

    async def mcp(self) -> Call:
        http2 = await self.stack.enter_async_context(httpx2.AsyncClient(headers=self.headers, timeout=60))
        client = await self.stack.enter_async_context(
            Client(streamable_http_client(f"{self.base}/api/mcp", http_client=http2))
        )
        arguments = {"action": "get", "company_slug": self.ws.slug, "uuid": str(self.ws.showcase_uuid)}

        async def call() -> bool:
            result = await client.call_tool("invoice", arguments)
            return not result.is_error and bool(result.structured_content)

        return call

    async def aclose(self) -> None:
        await self.stack.aclose()


def client_kinds(clients: int) -> list[str]:
    """Which request each client makes, in the proportions of ``MIX`` (at least one of each)."""
    mcp = max(1, round(clients * MIX["mcp"] / 100))
    get = max(1, round(clients * MIX["get"] / 100))
    return ["mcp"] * mcp + ["get"] * get + ["list"] * max(1, clients - mcp - get)


async def _flat_out(calls: list[Call], seconds: float) -> tuple[float, Tally]:
    """Each call in a loop by its own client for ``seconds``: requests a second and the tally."""
    tally = Tally()
    deadline = time.perf_counter() + seconds

    async def client(call: Call) -> None:
        while time.perf_counter() < deadline:
            await tally.run(call)

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in calls))
    return len(tally.latencies) / (time.perf_counter() - started), tally


async def mixed_load(bench: Bench, backend: str, base: str, token: str, ws: Workspace, pid: int) -> None:
    """The mix by ``--load-clients`` clients for ``--load-seconds``, against the stack and
    then against the hand-written endpoints (MCP clients asking the reference get)."""
    kinds = client_kinds(bench.args.load_clients)
    seconds = bench.args.load_seconds
    web = server_pid(pid)
    calls = Calls(base, token, ws, len(kinds))
    try:
        stack = [await calls.mcp() if kind == "mcp" else calls.rest(kind, False) for kind in kinds]
        reference = [calls.rest(kind, True) for kind in kinds]
        for call in {*stack[:1], *stack[-1:], *reference}:  # warm each path once
            await call()
        samples: list[float] = []
        sampler = asyncio.create_task(_sample_rss(web, samples))
        try:
            rate, ours = await _flat_out(stack, seconds)
        finally:
            sampler.cancel()
        reference_rate, theirs = await _flat_out(reference, seconds)
    finally:
        await calls.aclose()
    # Memory flat: the last quarter of the stack's run against its second quarter (the first
    # is the warm-up, when the pool opens its connections and buffers grow to the load).
    quarter = max(1, len(samples) // 4)
    before = statistics.median(samples[quarter : 2 * quarter] or samples)
    after = statistics.median(samples[-quarter:])
    errors = ours.errors + theirs.errors
    shares = f"{kinds.count('list')} list, {kinds.count('get')} get, {kinds.count('mcp')} MCP clients"
    bench.add(
        Figure(
            "mixed REST + MCP load, whole stack", "the same load against the hand-written endpoints",
            backend, ws.size, rate / reference_rate, "x", 0.5, True,
            f"{rate:.0f} vs {reference_rate:.0f} req/s, {shares}, {seconds:g} s each; "
            f"stack {ours.summary()}; reference {theirs.summary()}",
        )
    )  # fmt: skip
    bench.add(
        Figure(
            "mixed load: failed requests", "", backend, ws.size, errors, "count", 0, False,
            f"stack {ours.errors} of {len(ours.latencies)}, reference {theirs.errors} of {len(theirs.latencies)}"
            + (f"; first: {ours.first_error or theirs.first_error}" if errors else ""),
        )
    )  # fmt: skip
    bench.add(
        Figure(
            "mixed load: web process memory growth", "", backend, ws.size, after - before, "MB", 20, False,
            f"VmRSS medians: {before:.0f} MB in the second quarter of the stack's load, {after:.0f} MB in its last",
        )
    )  # fmt: skip


async def _sample_rss(pid: int, samples: list[float]) -> None:
    while True:
        samples.append(rss_mb(pid))
        await asyncio.sleep(1.0)


async def _paced(calls: list[Call], tally: Tally, until: float) -> None:
    """The calls in turn at ``SOAK_RATE`` a second until ``until``, each on time whether or
    not the ones before it have answered."""
    started = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    for n in range(10**9):
        at = started + n / SOAK_RATE
        if at >= until:
            break
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        task = asyncio.create_task(tally.run(calls[n % len(calls)]))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)


@asynccontextmanager
async def _sampling(pid: int, samples: list[float]) -> AsyncIterator[None]:
    async def sample() -> None:
        while True:
            samples.append(rss_mb(pid))
            await asyncio.sleep(SAMPLE_EVERY)

    task = asyncio.create_task(sample())
    try:
        yield
    finally:
        task.cancel()
        samples.append(rss_mb(pid))


async def soak(
    bench: Bench, db: BenchDatabase, redis_url: str | None, ws: Workspace, minutes: float, env: dict[str, str]
) -> None:
    """A fresh server (with ``env`` over the production settings) under the mix at a steady
    ``SOAK_RATE`` for ``minutes``: the growth of its VmRSS from the end of a warm-up minute."""
    pattern = [kind for kind, share in MIX.items() for _ in range(share // 5)]
    random.Random(7).shuffle(pattern)  # 20 slots: 12 list, 5 get, 3 MCP, interleaved
    with running(db, redis_url, bench.work_dir, env=env) as (base, pid):
        calls = Calls(base, db.token, ws, 64)
        try:
            mcp = [await calls.mcp() for _ in range(3)]
            turns = iter(range(10**9))
            order = [mcp[next(turns) % 3] if kind == "mcp" else calls.rest(kind, False) for kind in pattern]
            warm, tally, samples = Tally(), Tally(), list[float]()
            start = time.perf_counter()
            await _paced(order, warm, start + min(WARM_UP, minutes * 60 / 2))
            async with _sampling(pid, samples):
                await _paced(order, tally, start + minutes * 60)
        finally:
            await calls.aclose()
    growth = samples[-1] - samples[0]
    settings = ", ".join(f"{k}={v}" for k, v in env.items()) or "as production runs it"
    bench.add(
        Figure(
            f"soak at {SOAK_RATE:g} req/s for {minutes:g} min: web process memory growth", f"server {settings}",
            db.backend, ws.size, growth, "MB", 20, False,
            f"VmRSS after warm-up {samples[0]:.1f} MB, end {samples[-1]:.1f} MB, max {max(samples):.1f} MB "
            f"({len(samples)} samples); {tally.errors + warm.errors} failed of "
            f"{len(tally.latencies) + len(warm.latencies)}, {tally.summary()}"
            + (f"; first: {warm.first_error or tally.first_error}" if tally.errors + warm.errors else ""),
        )
    )  # fmt: skip
