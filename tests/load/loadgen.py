"""The load generator: ``clients`` concurrent asyncio clients for ``seconds`` against one
served Billcraft, spread over several tenants (a user with a bearer token and a workspace
of theirs each). Every client keeps an httpx client for REST and one MCP session (the SDK's
own client over Streamable HTTP) for the whole run, and mixes, at random but reproducibly
(seeded per client):

- REST: list invoices (with filters), get one, create one, move one of its own along its
  lifecycle (update, finalize, send, remind, part or full payment, cancel), workspace and
  cross-workspace stats, list and create clients, and a refusal it expects (a payment on a
  draft, a cancellation of a paid invoice: 409 ``invalid_transition``);
- MCP: the ``invoice`` tool's list, get, create, stats, send, mark_paid, cancel and update
  actions, the ``client`` tool's list and create, and the same expected refusal.

It records every request's latency and outcome. An error is a 5xx, a transport error, a
4xx or tool error that was not expected, a success whose content contradicts what was
asked (a full payment that leaves the invoice unpaid), or an answer without the
``RateLimit-*`` headers (the shared limiter was not in the path, or failed open). It keeps
what the server acknowledged (every created invoice with its total, every state change and
the history entries it must have left) so that the caller can check the database against
it, and samples the server process's RSS every second.

``run_load(base, tenants, clients=..., seconds=..., pid=...)`` drives any served Billcraft
whose tenants it is given; ``tests/load/test_load.py`` runs it on a database of its own.
By hand, the full profile (60 s, 50 clients):

    BILLCRAFT_LOAD_SECONDS=60 BILLCRAFT_TEST_DATABASE=postgresql uv run pytest tests/load -s
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import os
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import httpx2
import mcp_types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

# Digits of the currencies the tenants bill in (ISO 4217 minor units).
MINOR_DIGITS = {"USD": 2, "EUR": 2, "JPY": 0}
TIMEOUT = 60.0
# Idle connections are dropped well before uvicorn closes them (its keep-alive timeout is
# 5 s, as is httpx's default expiry): with equal timeouts a request sent on a connection the
# server is closing at that moment fails with a ReadError, which says nothing about Billcraft.
KEEPALIVE_EXPIRY = 2.0
RSS_EVERY = 1.0
RATE_LIMIT_HEADER = "RateLimit-Limit"
ERROR_SAMPLES = 50
REST, MCP = "rest", "mcp"


@dataclass(frozen=True)
class Tenant:
    """A user's bearer token, the slug of their workspace, its currency and its clients."""

    token: str
    slug: str
    currency: str
    client_uuids: tuple[str, ...]


def to_minor(amount: str, currency: str) -> int:
    """``"1419.50"`` in USD is 141950; the server answers amounts with the currency's digits."""
    return int(Decimal(amount).scaleb(MINOR_DIGITS[currency]))


def from_minor(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-MINOR_DIGITS[currency]))


@dataclass
class Tracked:
    """An invoice this run created, as the server last acknowledged it, with the history
    entries that the acknowledged changes must have left."""

    uuid: str
    currency: str
    total: str
    status: str = "draft"
    finalized: bool = False
    amount_paid: str = "0"
    balance_due: str = "0"
    events: list[str] = field(default_factory=lambda: ["create"])

    def acknowledge(self, invoice: dict[str, Any], events: Sequence[str]) -> None:
        self.status = invoice["status"]
        self.finalized = invoice["finalized_at"] is not None
        self.amount_paid = invoice["amount_paid"]
        self.balance_due = invoice["balance_due"]
        self.events.extend(events)

    @property
    def open(self) -> bool:
        return self.status in ("draft", "sent", "overdue")


@dataclass
class Ledger:
    """What the server acknowledged, to be found in the database afterwards."""

    invoices: dict[str, Tracked] = field(default_factory=dict)
    clients_created: int = 0
    state_changes: int = 0


@dataclass
class Recorder:
    """Every request's latency (seconds) and outcome, by kind (REST or MCP) and operation."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {REST: [], MCP: []})
    by_operation: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    connect_seconds: list[float] = field(default_factory=list)
    # HTTP statuses of the MCP transport's own requests, seen by an httpx2 event hook.
    mcp_http: Counter[int] = field(default_factory=Counter)
    last_done: float = 0.0  # time.monotonic() when the last request ended

    def done(self, kind: str, operation: str, seconds: float, error: str | None = None) -> None:
        self.last_done = time.monotonic()
        self.latencies[kind].append(seconds)
        self.by_operation[f"{kind}.{operation}"] += 1
        if error is not None:
            self.error(kind, operation, error)

    def error(self, kind: str, operation: str, detail: str) -> None:
        self.errors[f"{kind}.{operation}"] += 1
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(f"{kind}.{operation}: {detail}")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def rss_kib(pid: int) -> int | None:
    """The resident set of process ``pid`` (VmRSS in /proc/<pid>/status), or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of process ``pid`` so far (/proc/<pid>/stat), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The fields after the command name, which is in parentheses and may hold spaces.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_rss(pid: int, samples: list[tuple[float, int]], stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        kib = rss_kib(pid)
        if kib is not None:
            samples.append((time.monotonic() - started, kib))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_EVERY)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def quarter_medians(samples: Sequence[int]) -> tuple[float, float]:
    """The medians of the second and of the last quarter of ``samples`` (the first quarter
    is the warm-up). Needs at least four samples."""
    n = len(samples)
    if n < 4:
        raise ValueError(f"need at least 4 RSS samples, got {n}")
    quarter = n // 4
    second = samples[quarter : 2 * quarter]
    last = samples[n - quarter :]
    return statistics.median(second), statistics.median(last)


@dataclass
class LoadResult:
    clients: int
    tenants: int
    seconds: float
    elapsed: float
    recorder: Recorder
    ledger: Ledger
    rss: list[tuple[float, int]]
    rss_idle_kib: int | None
    server_cpu: float | None  # CPU seconds the server spent during the run
    loadgen_cpu: float  # and this process, the clients

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.recorder.latencies.values())

    def summary(self, target: str) -> dict[str, Any]:
        def kind(name: str) -> dict[str, Any]:
            values = self.recorder.latencies[name]
            return {
                "requests": len(values),
                "rps": round(len(values) / self.elapsed, 1),
                "p50_ms": round(percentile(values, 50) * 1000, 1),
                "p95_ms": round(percentile(values, 95) * 1000, 1),
                "p99_ms": round(percentile(values, 99) * 1000, 1),
                "max_ms": round(max(values, default=0.0) * 1000, 1),
                "errors": sum(n for op, n in self.recorder.errors.items() if op.startswith(f"{name}.")),
            }

        rss = [kib for _, kib in self.rss]
        memory: dict[str, Any] = {"idle_mib": _mib(self.rss_idle_kib), "samples": len(rss)}
        if rss:
            memory.update(start_mib=_mib(rss[0]), peak_mib=_mib(max(rss)), end_mib=_mib(rss[-1]))
        if len(rss) >= 4:
            second, last = quarter_medians(rss)
            memory.update(second_quarter_median_mib=_mib(second), last_quarter_median_mib=_mib(last))
        return {
            "target": target,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "clients": self.clients,
            "tenants": self.tenants,
            "seconds": self.seconds,
            "elapsed": round(self.elapsed, 2),
            "requests": self.requests,
            "rps": round(self.requests / self.elapsed, 1),
            "server_cpu_seconds": None if self.server_cpu is None else round(self.server_cpu, 1),
            "server_cpu_ms_per_request": (
                None if self.server_cpu is None else round(self.server_cpu * 1000 / max(1, self.requests), 2)
            ),
            "loadgen_cpu_seconds": round(self.loadgen_cpu, 1),
            "rest": kind(REST),
            "mcp": kind(MCP),
            "errors": self.recorder.error_count,
            "errors_by_operation": dict(self.recorder.errors),
            "error_samples": self.recorder.error_samples,
            "expected_refusals": dict(self.recorder.refusals),
            "operations": dict(sorted(self.recorder.by_operation.items())),
            "mcp_http_statuses": {str(k): v for k, v in sorted(self.recorder.mcp_http.items())},
            "mcp_connect_p50_ms": round(percentile(self.recorder.connect_seconds, 50) * 1000, 1),
            "acknowledged": {
                "invoices_created": len(self.ledger.invoices),
                "state_changes": self.ledger.state_changes,
                "clients_created": self.ledger.clients_created,
            },
            "rss": memory,
            "rss_timeline_mib": [[round(t, 1), _mib(kib)] for t, kib in self.rss],
        }


def _mib(kib: float | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def describe(summary: dict[str, Any]) -> str:
    """The summary as a few lines for the terminal."""
    lines = [
        f"load on {summary['target']}: {summary['clients']} clients over {summary['tenants']} tenants, "
        f"{summary['elapsed']} s: {summary['requests']} requests, {summary['rps']} req/s, "
        f"{summary['errors']} errors; CPU: server {summary['server_cpu_seconds']} s "
        f"({summary['server_cpu_ms_per_request']} ms a request), load generator {summary['loadgen_cpu_seconds']} s",
    ]
    for name in (REST, MCP):
        k = summary[name]
        lines.append(
            f"  {name.upper():4} {k['requests']:6} req {k['rps']:6} req/s  p50 {k['p50_ms']} ms  "
            f"p95 {k['p95_ms']} ms  p99 {k['p99_ms']} ms  max {k['max_ms']} ms  errors {k['errors']}"
        )
    rss = summary["rss"]
    lines.append(
        f"  RSS idle {rss.get('idle_mib')} MiB, start {rss.get('start_mib')}, peak {rss.get('peak_mib')}, "
        f"end {rss.get('end_mib')} (medians: 2nd quarter {rss.get('second_quarter_median_mib')}, "
        f"last quarter {rss.get('last_quarter_median_mib')})"
    )
    ack = summary["acknowledged"]
    lines.append(
        f"  acknowledged: {ack['invoices_created']} invoices created, {ack['state_changes']} state changes, "
        f"{ack['clients_created']} clients created; expected refusals {sum(summary['expected_refusals'].values())}"
    )
    lines.extend(f"  ! {sample}" for sample in summary["error_samples"][:10])
    return "\n".join(lines)


class TenantPool:
    """What the clients of one tenant share: the invoices seen (to read) and the customers."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.seen: list[str] = []
        self.customers: list[str] = list(tenant.client_uuids)


class _Run:
    """Start line and deadline shared by the clients: all connect, then all start."""

    def __init__(self, clients: int) -> None:
        self.waiting = clients
        self.all_arrived = asyncio.Event()
        self.start = asyncio.Event()
        self.deadline = math.inf

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0:
            self.all_arrived.set()


Operation = Callable[[], Awaitable[None]]


class LoadClient:
    """One simulated client: a REST session and an MCP session, one request at a time."""

    def __init__(self, index: int, base: str, pool: TenantPool, recorder: Recorder, ledger: Ledger, seed: int) -> None:
        self.index = index
        self.base = base
        self.pool = pool
        self.slug = pool.tenant.slug
        self.currency = pool.tenant.currency
        self.recorder = recorder
        self.ledger = ledger
        self.rng = random.Random(seed * 100_003 + index)
        self.own: list[Tracked] = []
        self.created = 0
        self.web: httpx.AsyncClient
        self.mcp: Client
        operations: list[tuple[Operation, int]] = [
            (self.rest_list_invoices, 10),
            (self.rest_get_invoice, 9),
            (self.rest_create_invoice, 7),
            (self.rest_advance, 9),
            (self.rest_stats, 3),
            (self.rest_all_stats, 2),
            (self.rest_list_clients, 4),
            (self.rest_create_client, 1),
            (self.rest_refused, 1),
            (self.mcp_list_invoices, 8),
            (self.mcp_get_invoice, 8),
            (self.mcp_create_invoice, 6),
            (self.mcp_advance, 7),
            (self.mcp_stats, 3),
            (self.mcp_list_clients, 3),
            (self.mcp_create_client, 1),
            (self.mcp_refused, 1),
        ]
        self.operations = [op for op, _ in operations]
        self.weights = [w for _, w in operations]

    async def run(self, run: _Run) -> None:
        headers = {"Authorization": f"Bearer {self.pool.tenant.token}"}
        arrived = False
        try:
            async with (
                httpx.AsyncClient(
                    base_url=self.base,
                    headers=headers,
                    timeout=TIMEOUT,
                    limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY),
                ) as web,
                httpx2.AsyncClient(
                    headers=headers,
                    timeout=TIMEOUT,
                    limits=httpx2.Limits(keepalive_expiry=KEEPALIVE_EXPIRY),
                    event_hooks={"response": [self._mcp_response]},
                ) as http,
            ):
                started = time.perf_counter()
                transport = streamable_http_client(f"{self.base}/api/mcp", http_client=http)
                async with Client(transport, elicitation_callback=_person_agrees) as mcp:
                    self.recorder.connect_seconds.append(time.perf_counter() - started)
                    self.web, self.mcp = web, mcp
                    run.arrive()
                    arrived = True
                    await run.start.wait()
                    while time.monotonic() < run.deadline:
                        await self.rng.choices(self.operations, self.weights)[0]()
        except Exception as exc:  # a client that cannot connect or close is an error, not a crash of the run
            self.recorder.error(MCP, "session", _exception(exc))
        finally:
            if not arrived:
                run.arrive()

    async def _mcp_response(self, response: httpx2.Response) -> None:
        self.recorder.mcp_http[response.status_code] += 1
        if (
            response.request.method == "POST"
            and response.status_code < 400
            and RATE_LIMIT_HEADER not in response.headers
        ):
            self.recorder.error(MCP, "transport", f"POST {response.url.path} answered without {RATE_LIMIT_HEADER}")

    # --- requests -------------------------------------------------------------------------

    async def rest(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        expect: int = 200,
        refusal: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """One REST request; its answer's JSON when it is the ``expect``ed success, else None.
        With ``refusal``, a 409 with that code is the expected answer (and None is returned)."""
        url = f"/api/v1/workspaces/{self.slug}{path}" if not path.startswith("/api/") else path
        started = time.perf_counter()
        try:
            response = await self.web.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.recorder.done(REST, operation, time.perf_counter() - started, _exception(exc))
            return None
        elapsed = time.perf_counter() - started
        error: str | None = None
        body: Any = None
        if RATE_LIMIT_HEADER not in response.headers:
            error = f"{method} {url} -> {response.status_code} without {RATE_LIMIT_HEADER}"
        elif refusal is not None:
            code = _code(response)
            if response.status_code == 409 and code == refusal:
                self.recorder.refusals[f"{REST}.{operation}"] += 1
            else:
                error = f"{method} {url}: expected 409 {refusal}, got {response.status_code}: {response.text[:300]}"
        elif response.status_code != expect:
            error = f"{method} {url} -> {response.status_code}: {response.text[:300]}"
        else:
            body = response.json()
        self.recorder.done(REST, operation, elapsed, error)
        return body

    async def tool(self, operation: str, name: str, /, refusal: str | None = None, **arguments: Any) -> Any:
        """One MCP tool call; its structured result on success, else None. With ``refusal``,
        a tool error with that code is the expected answer."""
        started = time.perf_counter()
        try:
            result = await self.mcp.call_tool(name, arguments)
        except Exception as exc:  # whatever the SDK raises (MCPError, transport errors) is an error here
            self.recorder.done(MCP, operation, time.perf_counter() - started, _exception(exc))
            return None
        elapsed = time.perf_counter() - started
        content = result.structured_content or {}
        error: str | None = None
        if result.is_error:
            code = (content.get("error") or {}).get("code")
            if refusal is not None and code == refusal:
                self.recorder.refusals[f"{MCP}.{operation}"] += 1
            else:
                error = f"{name} {arguments.get('action', '')}: tool error {_text(result.content)[:300]}"
        elif refusal is not None:
            error = f"{name} {arguments.get('action', '')}: expected refusal {refusal}, got success"
        self.recorder.done(MCP, operation, elapsed, error)
        return None if result.is_error or refusal is not None else content

    def check(self, kind: str, operation: str, invoice: dict[str, Any], status: str) -> bool:
        """A success whose invoice is not in the status the change leads to is an error."""
        if invoice["status"] == status:
            return True
        self.recorder.error(kind, operation, f"{invoice['uuid']} is {invoice['status']}, expected {status}")
        return False

    # --- what to send ---------------------------------------------------------------------

    def invoice_body(self) -> dict[str, Any]:
        self.created += 1
        digits = MINOR_DIGITS[self.currency]
        items = [
            {
                "description": f"Work package {k + 1}",
                "quantity": self.rng.randint(1, 40),
                "unit_price": str(Decimal(self.rng.randint(100, 50_000)).scaleb(-digits)),
            }
            for k in range(self.rng.randint(1, 3))
        ]
        return {
            "title": f"Load {self.index}-{self.created}",
            "client_uuid": self.rng.choice(self.pool.customers),
            "tax_rate": self.rng.choice([0, 10, 20]),
            "items": items,
        }

    def created_invoice(self, invoice: dict[str, Any]) -> None:
        tracked = Tracked(uuid=invoice["uuid"], currency=invoice["currency"], total=invoice["total"])
        tracked.acknowledge(invoice, [])
        self.ledger.invoices[tracked.uuid] = tracked
        self.own.append(tracked)
        self.pool.seen.append(tracked.uuid)

    def some_invoice(self) -> str | None:
        return self.rng.choice(self.pool.seen) if self.pool.seen else None

    def next_step(self, via: str) -> tuple[Tracked, str] | None:
        """One of this client's open invoices and a change its status allows."""
        candidates = [t for t in self.own if t.open]
        if not candidates:
            return None
        tracked = self.rng.choice(candidates)
        if tracked.status == "draft":
            steps = {"send": 4, "cancel": 1}
            if not tracked.finalized:
                steps.update(update=3, finalize=2 if via == REST else 0)
        else:
            steps = {"pay_full": 4, "pay_part": 2, "remind": 1, "cancel": 1}
        names = [s for s, w in steps.items() if w]
        return tracked, self.rng.choices(names, [steps[s] for s in names])[0]

    @staticmethod
    def expected_events(tracked: Tracked, step: str) -> tuple[list[str], str | None]:
        """The history entries ``step`` leaves on ``tracked``, and the status it leads to
        (None: depends on the amount)."""
        if step == "update":
            return ["update"], "draft"
        if step == "finalize":
            return ["finalize"], "draft"
        if step == "send":
            return ([] if tracked.finalized else ["finalize"]) + ["send"], "sent"
        if step == "remind":
            return ["remind"], tracked.status
        if step == "cancel":
            # A finalized invoice is cancelled by a credit note for all of it first.
            return (["credit"] if tracked.finalized or tracked.status != "draft" else []) + ["cancel"], "cancelled"
        return ["payment"], "paid" if step == "pay_full" else None

    def payment_amount(self, tracked: Tracked, step: str) -> str | None:
        """None pays the whole balance (the server's default); otherwise half of it."""
        balance = to_minor(tracked.balance_due, tracked.currency)
        if step == "pay_full" or balance < 2:
            return None
        return from_minor(balance // 2, tracked.currency)

    def acknowledged(self, kind: str, tracked: Tracked, step: str, invoice: dict[str, Any] | None) -> None:
        if invoice is None:
            return
        events, status = self.expected_events(tracked, step)
        if status is None:
            status = "paid" if invoice["balance_due"] == from_minor(0, tracked.currency) else "sent"
        tracked.acknowledge(invoice, events)
        self.ledger.state_changes += 1
        self.check(kind, step, invoice, status)

    # --- REST -----------------------------------------------------------------------------

    async def rest_list_invoices(self) -> None:
        params = self.rng.choice([{}, {"status": "sent"}, {"status": "draft", "per_page": 50}, {"page": 2}])
        page = await self.rest("list_invoices", "GET", "/invoices", params=params)
        if page is not None:
            self.pool.seen.extend(row["uuid"] for row in page["items"][:3])

    async def rest_get_invoice(self) -> None:
        target = self.some_invoice()
        if target is None:
            await self.rest_create_invoice()
            return
        await self.rest("get_invoice", "GET", f"/invoices/{target}")

    async def rest_create_invoice(self) -> None:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        created = await self.rest(
            "create_invoice", "POST", "/invoices", expect=201, json=self.invoice_body(), headers=headers
        )
        if created is not None:
            self.created_invoice(created)

    async def rest_advance(self) -> None:
        picked = self.next_step(REST)
        if picked is None:
            await self.rest_create_invoice()
            return
        tracked, step = picked
        path = f"/invoices/{tracked.uuid}"
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        invoice: Any
        if step == "update":
            notes = f"Updated by client {self.index} at {time.time()}"
            invoice = await self.rest(step, "PATCH", path, json={"notes": notes}, headers=headers)
        elif step == "finalize":
            invoice = await self.rest(step, "POST", f"{path}/finalize", headers=headers)
        elif step in ("send", "remind"):
            invoice = await self.rest(step, "POST", f"{path}/send", json={}, headers=headers)
        elif step == "cancel":
            invoice = await self.rest(step, "POST", f"{path}/cancel", json={"reason": "load"}, headers=headers)
        else:
            payment: dict[str, Any] = {"payment_method": "Bank transfer"}
            amount = self.payment_amount(tracked, step)
            if amount is not None:
                payment["amount"] = amount
            invoice = await self.rest(step, "POST", f"{path}/payments", json=payment, headers=headers)
        self.acknowledged(REST, tracked, step, invoice)

    async def rest_stats(self) -> None:
        await self.rest("stats", "GET", "/stats")

    async def rest_all_stats(self) -> None:
        await self.rest("all_stats", "GET", "/api/v1/stats")

    async def rest_list_clients(self) -> None:
        params = self.rng.choice([{}, {"search": "Customer"}, {"per_page": 5}])
        await self.rest("list_clients", "GET", "/clients", params=params)

    async def rest_create_client(self) -> None:
        n = self.rng.randrange(1_000_000)
        body = {"name": f"Customer {self.index}-{n}", "email": f"ap-{self.index}-{n}@example.com"}
        created = await self.rest("create_client", "POST", "/clients", expect=201, json=body)
        if created is not None:
            self.ledger.clients_created += 1
            self.pool.customers.append(created["uuid"])

    async def rest_refused(self) -> None:
        """A payment on a draft, or a cancellation of a paid invoice: refused, nothing written."""
        draft = next((t for t in self.own if t.status == "draft"), None)
        paid = next((t for t in self.own if t.status == "paid"), None)
        if draft is not None:
            await self.rest(
                "refused_payment", "POST", f"/invoices/{draft.uuid}/payments", json={}, refusal="invalid_transition"
            )
        elif paid is not None:
            await self.rest(
                "refused_cancel", "POST", f"/invoices/{paid.uuid}/cancel", json={}, refusal="invalid_transition"
            )
        else:
            await self.rest_create_invoice()

    # --- MCP ------------------------------------------------------------------------------

    async def mcp_list_invoices(self) -> None:
        filters: dict[str, Any] = self.rng.choice(
            [{}, {"status": "sent"}, {"status": "paid", "per_page": 50}, {"page": 2}]
        )
        page = await self.tool("invoice.list", "invoice", action="list", company_slug=self.slug, **filters)
        if page is not None:
            self.pool.seen.extend(row["uuid"] for row in page["items"][:3])

    async def mcp_get_invoice(self) -> None:
        target = self.some_invoice()
        if target is None:
            await self.mcp_create_invoice()
            return
        await self.tool("invoice.get", "invoice", action="get", company_slug=self.slug, uuid=target)

    async def mcp_create_invoice(self) -> None:
        body = self.invoice_body()
        created = await self.tool(
            "invoice.create",
            "invoice",
            action="create",
            company_slug=self.slug,
            idempotency_key=str(uuid.uuid4()),
            **body,
        )
        if created is not None:
            self.created_invoice(created)

    async def mcp_advance(self) -> None:
        picked = self.next_step(MCP)
        if picked is None:
            await self.mcp_create_invoice()
            return
        tracked, step = picked
        target = {"company_slug": self.slug, "uuid": tracked.uuid, "idempotency_key": str(uuid.uuid4())}
        invoice: Any
        operation = f"invoice.{step}"
        if step == "update":
            notes = f"Updated over MCP by client {self.index} at {time.time()}"
            invoice = await self.tool(operation, "invoice", action="update", notes=notes, **target)
        elif step in ("send", "remind"):
            invoice = await self.tool(operation, "invoice", action="send", **target)
        elif step == "cancel":
            invoice = await self.tool(operation, "invoice", action="cancel", reason="load", **target)
        else:
            amount = self.payment_amount(tracked, step)
            extra = {} if amount is None else {"amount": amount}
            invoice = await self.tool(
                operation, "invoice", action="mark_paid", payment_method="Card", **extra, **target
            )
        self.acknowledged(MCP, tracked, step, invoice)

    async def mcp_stats(self) -> None:
        await self.tool("invoice.stats", "invoice", action="stats", company_slug=self.slug)

    async def mcp_list_clients(self) -> None:
        await self.tool("client.list", "client", action="list", company_slug=self.slug, per_page=10)

    async def mcp_create_client(self) -> None:
        n = self.rng.randrange(1_000_000)
        created = await self.tool(
            "client.create",
            "client",
            action="create",
            company_slug=self.slug,
            name=f"Customer {self.index}-{n} (MCP)",
            email=f"mcp-{self.index}-{n}@example.com",
        )
        if created is not None:
            self.ledger.clients_created += 1
            self.pool.customers.append(created["uuid"])

    async def mcp_refused(self) -> None:
        draft = next((t for t in self.own if t.status == "draft"), None)
        if draft is None:
            await self.mcp_create_invoice()
            return
        await self.tool(
            "invoice.refused_payment",
            "invoice",
            refusal="invalid_transition",
            action="mark_paid",
            company_slug=self.slug,
            uuid=draft.uuid,
        )


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _text(content: Sequence[Any]) -> str:
    return " ".join(str(getattr(block, "text", block)) for block in content)


async def _person_agrees(context: Any, params: mcp_types.ElicitRequestParams) -> mcp_types.ElicitResult:
    """The person behind each client confirms every send and cancel the server asks about
    (the confirmation's round trip is part of the load)."""
    return mcp_types.ElicitResult(action="accept", content={"confirm": True})


def _exception(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_exception(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


async def run_load(
    base: str,
    tenants: Sequence[Tenant],
    *,
    clients: int,
    seconds: float,
    pid: int | None = None,
    seed: int = 1,
) -> LoadResult:
    """Run ``clients`` clients (spread round-robin over ``tenants``) for ``seconds`` against
    the Billcraft at ``base``, sampling the RSS of process ``pid`` if given. Requests in
    flight at the deadline are finished, never cut off, so that every outcome is known."""
    recorder, ledger = Recorder(), Ledger()
    pools = [TenantPool(t) for t in tenants]
    run = _Run(clients)
    workers = [LoadClient(i, base, pools[i % len(pools)], recorder, ledger, seed) for i in range(clients)]
    tasks = [asyncio.create_task(w.run(run)) for w in workers]
    await run.all_arrived.wait()
    rss: list[tuple[float, int]] = []
    idle = rss_kib(pid) if pid is not None else None
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, rss, stop)) if pid is not None else None
    server_cpu = cpu_seconds(pid) if pid is not None else None
    loadgen_cpu = time.process_time()
    started = time.monotonic()
    run.deadline = started + seconds
    run.start.set()
    await asyncio.gather(*tasks)
    elapsed = max(recorder.last_done, run.deadline) - started
    loadgen_cpu = time.process_time() - loadgen_cpu
    if pid is not None and server_cpu is not None:
        after = cpu_seconds(pid)
        server_cpu = None if after is None else after - server_cpu
    stop.set()
    if sampler is not None:
        await sampler
    return LoadResult(
        clients=clients,
        tenants=len(tenants),
        seconds=seconds,
        elapsed=elapsed,
        recorder=recorder,
        ledger=ledger,
        rss=rss,
        rss_idle_kib=idle,
        server_cpu=server_cpu,
        loadgen_cpu=loadgen_cpu,
    )
