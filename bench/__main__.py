"""``python -m bench``: build the data, measure each pair side by side, print the table.

For each database (PostgreSQL, SQLite): a fresh database with one workspace per size
(10k and 100k invoices by default); a Billcraft server on it (with the reference endpoint
beside the real ones, and Redis for the limiter on PostgreSQL, as in production) for the
REST and MCP pairs, and its peak memory after them; then stats and the overdue sweep in
this process, on the app's own engine. Then the PDF pairs in a process that loads the
worker. Every pair is measured in alternation, round after round; a figure is the median
of its rounds' ratios. Results are also written as JSON (``--out``)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
import httpx
import httpx2
import msgspec
import redis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import bindparam, text

from app.db.engine import database_config
from app.db.models import Invoice
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.overdue import sweep_overdue
from bench.data import BenchDatabase, Workspace
from bench.measure import median, median_time, peak_rss_mb, throughput, timed
from bench.reference import reference_stats, reference_sweep

ROOT = Path(__file__).resolve().parent.parent
_INV = Invoice.__table__.c
# Between two sweeps: every invoice of the workspace sent and past due again, no overdue events.
RESET_SQL = text("UPDATE invoice SET status = 'sent', due_date = :past WHERE workspace_id = :ws").bindparams(
    bindparam("past", type_=_INV.due_date.type), bindparam("ws", type_=_INV.workspace_id.type)
)
FORGET_OVERDUE_SQL = text("DELETE FROM invoice_event WHERE workspace_id = :ws AND action = 'overdue'").bindparams(
    bindparam("ws", type_=_INV.workspace_id.type)
)


@dataclass
class Figure:
    what: str
    against: str
    database: str
    invoices: int | None
    value: float
    unit: str  # "x" for a ratio, "MB" for memory
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
        self.step(f"-> {figure.what} [{figure.database} {figure.invoices or ''}]: {_value(figure)} ({mark})")

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

    # --- per database ---------------------------------------------------------------------

    async def database(self, backend: str) -> bytes | None:
        """Measure one backend; returns the showcase invoice's document (for the PDFs)."""
        click.echo(f"== {backend} ==", err=True)
        db = await BenchDatabase.create(backend, self.work_dir)
        try:
            sizes = self.args.sizes
            with click.progressbar(length=sum(sizes), label=f"  building {backend} data", file=sys.stderr) as bar:
                await db.build(sizes, bar.update)
            assert db.workspaces is not None
            redis_url = self.args.redis_url if backend == "postgresql" else None
            with self.server(db, redis_url) as (base, pid):
                for workspace in db.workspaces:
                    await self.rest_list(backend, base, db.token, workspace)
                    await self.mcp_get(backend, base, db.token, workspace)
                if not self.args.profile:  # under py-spy the pid is the profiler's
                    self.add(
                        Figure(
                            "web process peak memory after the run", "", backend, None,
                            peak_rss_mb(pid), "MB", 200, False, "VmHWM of the server process",
                        )
                    )  # fmt: skip
            await self.in_process(backend, db)
            return await self.document(db)
        finally:
            if self.args.keep:
                click.echo(f"  kept: {db.url} (token {db.token})", err=True)
            else:
                await db.drop()

    @contextmanager
    def server(self, db: BenchDatabase, redis_url: str | None) -> Iterator[tuple[str, int]]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BILLCRAFT_")}
        env |= db.env(redis_url) | {"BILLCRAFT_BASE_URL": base}
        log = (self.work_dir / f"server-{db.backend}.log").open("wb")
        command = [sys.executable, "-m", "bench.server", "--port", str(port)]
        if self.args.profile:
            # py-spy samples the server for the whole run: collapsed stacks, for flame graphs.
            self.args.profile.mkdir(parents=True, exist_ok=True)
            stacks = self.args.profile / f"server-{db.backend}.txt"
            command = ["py-spy", "record", "--format", "raw", "--rate", "200", "-o", str(stacks), "--", *command]
        process = subprocess.Popen(
            command,
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bench server did not start:\n{Path(log.name).read_text()[-3000:]}")
                time.sleep(0.1)
            yield base, process.pid
        finally:
            process.send_signal(signal.SIGINT if self.args.profile else signal.SIGTERM)  # py-spy saves on SIGINT
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()

    async def rest_list(self, backend: str, base: str, token: str, ws: Workspace) -> None:
        """Throughput of the REST list of 50 against the reference endpoint."""
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=self.args.concurrency)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as http:

            def getter(path: str) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    answer = await http.get(path)
                    if answer.status_code != 200 or len(answer.json()["items"]) != min(50, ws.size):
                        raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")

                return call

            stack = getter(f"/api/v1/workspaces/{ws.slug}/invoices?per_page=50")
            reference = getter(f"/bench/reference/{ws.slug}/invoices")
            await stack()
            await reference()
            ratio, ours, theirs = await self.alternate(
                lambda: throughput(stack, self.args.seconds, self.args.concurrency),
                lambda: throughput(reference, self.args.seconds, self.args.concurrency),
            )
        self.add(
            Figure(
                "REST list of 50 invoices, whole stack", "hand-written endpoint: one raw query, msgspec",
                backend, ws.size, ratio, "x", 0.6, True,
                f"{ours:.0f} vs {theirs:.0f} req/s at {self.args.concurrency} concurrent",
            )
        )  # fmt: skip

    async def mcp_get(self, backend: str, base: str, token: str, ws: Workspace) -> None:
        """Latency of `invoice` get over MCP against REST GET of the same invoice."""
        headers = {"Authorization": f"Bearer {token}"}
        arguments = {"action": "get", "company_slug": ws.slug, "uuid": str(ws.showcase_uuid)}
        path = f"/api/v1/workspaces/{ws.slug}/invoices/{ws.showcase_uuid}"
        async with (
            httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http,
            httpx2.AsyncClient(headers=headers, timeout=60) as http2,
            Client(streamable_http_client(f"{base}/api/mcp", http_client=http2)) as mcp,
        ):

            async def over_mcp() -> None:
                result = await mcp.call_tool("invoice", arguments)
                if result.is_error or not result.structured_content:
                    raise RuntimeError(f"invoice get over MCP failed: {result}")

            async def over_rest() -> None:
                answer = await http.get(path)
                if answer.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {answer.status_code}")

            await over_mcp()
            await over_rest()
            ratio, ours, theirs = await self.alternate(
                lambda: median_time(over_mcp, self.args.calls), lambda: median_time(over_rest, self.args.calls)
            )
        self.add(
            Figure(
                "`invoice` get over MCP (Streamable HTTP)", "REST GET of the same invoice",
                backend, ws.size, ratio, "x", 1.5, False, f"{ours * 1000:.1f} vs {theirs * 1000:.1f} ms",
            )
        )  # fmt: skip

    async def in_process(self, backend: str, db: BenchDatabase) -> None:
        """Stats and the sweep through the app's own engine, against raw SQL on it."""
        assert db.workspaces is not None
        assert db.user_id is not None
        config = database_config(db.settings())
        engine = config.get_engine()
        maker = config.create_session_maker()
        principal = Principal(user_id=db.user_id, name="Ada", channel=Channel.API)
        try:
            for ws in db.workspaces:

                async def stats(slug: str = ws.slug) -> None:
                    async with maker() as session:
                        billing = Billing(session)
                        await billing.stats.for_workspace(await billing.workspaces.access(principal, slug))

                async def reference(workspace_id: Any = ws.id) -> None:
                    async with engine.connect() as conn:
                        await reference_stats(conn, workspace_id)

                await stats()
                await reference()
                ratio, ours, theirs = await self.alternate(
                    lambda: median_time(stats, 3), lambda: median_time(reference, 3)
                )
                self.add(
                    Figure(
                        "stats", "one hand-written SQL aggregate", backend, ws.size, ratio, "x", 1.5, False,
                        f"{ours * 1000:.1f} vs {theirs * 1000:.1f} ms",
                    )
                )  # fmt: skip
            for ws in db.workspaces:
                await self.sweep(backend, engine, maker, ws)
        finally:
            await engine.dispose()

    async def sweep(self, backend: str, engine: Any, maker: Any, ws: Workspace) -> None:
        """The overdue sweep over every invoice of the workspace, all sent and past due,
        against one raw UPDATE; each run starts from the same state."""
        now = dt.datetime.now(dt.UTC)

        async def prepare() -> None:
            async with engine.begin() as conn:
                past = now.date() - dt.timedelta(days=10)
                await conn.execute(RESET_SQL, {"past": past, "ws": ws.id})
                await conn.execute(FORGET_OVERDUE_SQL, {"ws": ws.id})
            if backend == "postgresql":
                async with engine.connect() as conn:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("VACUUM ANALYZE invoice, invoice_event"))

        async def ours() -> None:
            async with maker() as session:
                moved = await sweep_overdue(session, now)
                await session.commit()
            if moved != ws.size:
                raise RuntimeError(f"the sweep moved {moved} invoices, not {ws.size}")

        async def theirs() -> None:
            async with engine.begin() as conn:
                moved = await reference_sweep(conn, now)
            if moved != ws.size:
                raise RuntimeError(f"the raw UPDATE moved {moved} invoices, not {ws.size}")

        async def from_the_same_state(run: Callable[[], Awaitable[None]]) -> float:
            await prepare()
            return await timed(run)

        ratio, a, b = await self.alternate(lambda: from_the_same_state(ours), lambda: from_the_same_state(theirs))
        self.add(
            Figure(
                "overdue sweep", "one raw UPDATE", backend, ws.size, ratio, "x", 2.0, False,
                f"{a * 1000:.0f} vs {b * 1000:.0f} ms",
            )
        )  # fmt: skip

    async def document(self, db: BenchDatabase) -> bytes:
        assert db.workspaces is not None
        assert db.user_id is not None
        config = database_config(db.settings())
        principal = Principal(user_id=db.user_id, name="Ada", channel=Channel.API)
        try:
            async with config.create_session_maker()() as session:
                billing = Billing(session)
                ws = db.workspaces[0]
                access = await billing.workspaces.access(principal, ws.slug)
                return msgspec.json.encode(await billing.invoices.document(access, ws.showcase_uuid))
        finally:
            await config.get_engine().dispose()

    # --- PDFs -----------------------------------------------------------------------------

    def pdfs(self, document: bytes) -> None:
        click.echo("== PDF (a process with the worker's modules and Chromium) ==", err=True)
        path = self.work_dir / "document.json"
        path.write_bytes(document)
        done = subprocess.run(
            [sys.executable, "-m", "bench.pdf", str(path), str(self.args.rounds)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"the PDF bench failed:\n{done.stderr}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        self.add(
            Figure(
                "PDF, warm", "WeasyPrint rendering the same HTML, warm", "-", None, r["warm_vs_weasyprint"], "x",
                1.0, False, f"{r['warm_ms']:.0f} vs {r['weasyprint_ms']:.0f} ms",
            )
        )  # fmt: skip
        self.add(
            Figure(
                "PDF, warm, faster than cold", "PDF, cold (browser start included)", "-", None, r["cold_vs_warm"], "x",
                5.0, True, f"cold {r['cold_ms']:.0f} ms vs warm {r['warm_ms']:.0f} ms",
            )
        )  # fmt: skip
        self.add(
            Figure(
                "e-invoice XML of one invoice, generated and validated (XRechnung UBL)",
                "the PDF render of the same invoice", "-", None, r["einvoice_ubl_vs_pdf"], "x", 0.5, False,
                f"{r['einvoice_ubl_ms']:.1f} ms: schema, CEN rules and Billcraft's XRechnung checks, in the checker",
            )
        )  # fmt: skip
        self.add(
            Figure(
                "e-invoice XML of one invoice, generated and validated (Factur-X CII)",
                "the PDF render of the same invoice", "-", None, r["einvoice_cii_vs_pdf"], "x", 0.5, False,
                f"{r['einvoice_cii_ms']:.1f} ms: schema and the Factur-X rules (the CEN CII rules within)",
            )
        )  # fmt: skip
        self.add(
            Figure(
                "Factur-X PDF (PDF/A-3 with the XML inside)", "the plain PDF", "-", None, r["facturx_vs_pdf"], "x",
                1.3, False, f"embedding {r['embed_ms']:.0f} ms on top of the PDF",
            )
        )  # fmt: skip
        self.add(
            Figure(
                "worker with Chromium, proportional memory", "", "-", None, r["worker_pss_mb"], "MB", 400, False,
                "PSS of the process and its Chromium processes",
            )
        )  # fmt: skip

    # --- the table ------------------------------------------------------------------------

    def table(self) -> str:
        lines = [
            f"Billcraft benchmarks: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{self.args.rounds} rounds (medians of per-round ratios)",
            "",
            "| what | against | database | invoices | measured | target | |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in self.figures:
            target = f"{'>=' if f.higher_is_better else '<='} {f.target:g}{' MB' if f.unit == 'MB' else ' x'}"
            size = f"{f.invoices:,}" if f.invoices else ""
            lines.append(
                f"| {f.what} | {f.against} | {f.database} | {size} | {_value(f)} ({f.detail}) | {target} | "
                f"{'ok' if f.met else 'MISSED'} |"
            )
        return "\n".join(lines)


def _value(f: Figure) -> str:
    return f"{f.value:.0f} MB" if f.unit == "MB" else f"{f.value:.2f} x"


def _redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--sizes", default="10000,100000", help="invoices per workspace, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each pair (the figure is their median)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one throughput measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients for throughput")
    parser.add_argument("--calls", type=int, default=20, help="calls per latency measurement")
    parser.add_argument("--redis-url", default=os.environ.get("BILLCRAFT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-pdf", action="store_true", help="leave out the PDF pairs")
    parser.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    parser.add_argument("--profile", type=Path, help="record the server with py-spy into this folder")
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "bench" / "results.json")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    args.sizes = [int(s) for s in args.sizes.split(",")]
    unknown = set(args.databases) - {"postgresql", "sqlite"}
    if unknown:
        parser.error(f"unknown database {', '.join(sorted(unknown))}: allowed are postgresql and sqlite")
    if min(args.sizes) < 60:
        parser.error("--sizes: each workspace needs at least 60 invoices (a full page of 50 and more)")
    return args


async def amain(args: argparse.Namespace) -> Bench:
    bench = Bench(args)
    if "postgresql" in args.databases and not _redis_reachable(args.redis_url):
        click.echo(f"Redis is not reachable at {args.redis_url}: PostgreSQL runs with the in-memory limiter", err=True)
        args.redis_url = None
    document = None
    try:
        for backend in args.databases:
            document = await bench.database(backend) or document
        if not args.no_pdf and document is not None:
            bench.pdfs(document)
    finally:
        if not args.keep:  # the SQLite files, server logs and PDF cache of the run
            shutil.rmtree(bench.work_dir, ignore_errors=True)
    return bench


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    bench = asyncio.run(amain(args))
    table = bench.table()
    click.echo(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "cores": os.cpu_count(),
                "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "figures": [asdict(f) | {"met": f.met} for f in bench.figures],
                "table": table,
            },
            indent=2,
        )
    )
    click.echo(f"\n(also in {args.out})", err=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
