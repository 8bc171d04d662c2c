"""``python -m bench``: build the data, measure each pair side by side, print the table.

For each database (PostgreSQL, SQLite): a fresh database with one workspace per size
(10k and 100k invoices by default); a Billcraft server on it (with the hand-written
reference endpoints beside the real ones, and Redis for the limiter on PostgreSQL, as in
production) for the REST list and get, MCP get and the mixed REST + MCP load
(``bench.api_pairs``, ``bench.load``), and its peak memory after them; then stats and the
overdue sweep in this process, on the app's own engine (``bench.in_process``); then creates
with idempotency keys on a second server (last: they add invoices); with
``--soak-minutes``, a soak at a steady rate. ``--scale`` adds the rows of a database of a
million invoices in a thousand workspaces (``bench.scale``). Then the PDF pairs in a
process that loads the worker (``bench.pdf``). Every pair is measured in alternation,
round after round; a figure is the median of its rounds' ratios. Results are also written
as JSON (``--out``)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import click
import msgspec
import redis

from app.db.engine import database_config
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from bench import api_pairs, in_process, load, scale
from bench.data import BenchDatabase
from bench.figures import Bench, Figure
from bench.measure import peak_rss_mb
from bench.server import ROOT, running


class Run(Bench):
    """The whole run: each database, then the PDFs."""

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
            with running(db, redis_url, self.work_dir, self.args.profile) as (base, pid):
                for workspace in db.workspaces:
                    await api_pairs.rest_list(self, backend, base, db.token, workspace)
                    await api_pairs.rest_get(self, backend, base, db.token, workspace)
                    await api_pairs.mcp_get(self, backend, base, db.token, workspace)
                    await load.mixed_load(self, backend, base, db.token, workspace, pid)
                if not self.args.profile:  # under py-spy the pid is the profiler's
                    self.add(
                        Figure(
                            "web process peak memory after the run", "", backend, None,
                            peak_rss_mb(pid), "MB", 180, False, "VmHWM of the server process",
                        )
                    )  # fmt: skip
            await in_process.measure(self, backend, db)
            # Last: every create adds an invoice, which the pairs above (and stats) must not see.
            with running(db, redis_url, self.work_dir, self.args.profile) as (base, _):
                for workspace in db.workspaces:
                    await api_pairs.rest_create(self, backend, base, db.token, workspace)
            if self.args.soak_minutes:
                env = dict(setting.split("=", 1) for setting in self.args.soak_env)
                await load.soak(self, db, redis_url, db.workspaces[0], self.args.soak_minutes, env)
            return await self.document(db)
        finally:
            if self.args.keep:
                click.echo(f"  kept: {db.url} (token {db.token})", err=True)
            else:
                await db.drop()

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
            [sys.executable, "-m", "bench.pdf", str(path), str(self.args.rounds), str(self.args.pdf_burst)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"the PDF bench failed:\n{done.stderr}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        self.add(
            Figure(
                "PDF, warm", "WeasyPrint rendering the same HTML, warm", "-", None, r["warm_vs_weasyprint"], "x",
                0.5, False, f"{r['warm_ms']:.0f} vs {r['weasyprint_ms']:.0f} ms",
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
        n = r["burst_size"]
        burst = f"{n} PDFs: {r['burst_concurrent_s']:.2f} s at once, {r['burst_sequential_s']:.2f} s in turn"
        self.add(
            Figure(
                "100 PDFs rendered at once by one worker", "100 rendered one after another", "-", None,
                r["concurrent_vs_sequential"], "x", 1.6, True, burst,
            )
        )  # fmt: skip
        self.add(
            Figure(
                "worker with Chromium, proportional memory after the burst", "", "-", None,
                r["worker_pss_after_burst_mb"], "MB", 400, False, f"PSS right after {n} PDFs at once",
            )
        )  # fmt: skip


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
    parser.add_argument("--load-seconds", type=float, default=60.0, help="length of each side of the mixed load")
    parser.add_argument("--load-clients", type=int, default=50, help="concurrent clients of the mixed load")
    parser.add_argument(
        "--soak-minutes", type=float, default=0.0,
        help="length of the soak at 25 req/s (0: none; the closing run uses 20)",
    )  # fmt: skip
    parser.add_argument(
        "--soak-env", action="append", default=[], metavar="NAME=VALUE",
        help="an environment variable for the soak's server (repeatable), e.g. MALLOC_ARENA_MAX=2",
    )  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("BILLCRAFT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-pdf", action="store_true", help="leave out the PDF pairs")
    parser.add_argument("--pdf-burst", type=int, default=100, help="PDFs rendered at once in the burst pair")
    parser.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    parser.add_argument(
        "--scale", action="store_true",
        help="also the 1M-invoice rows: 1,000 workspaces, built by set-based SQL (minutes)",
    )  # fmt: skip
    parser.add_argument("--scale-workspaces", type=int, default=1000, help="workspaces of the --scale database")
    parser.add_argument("--scale-invoices", type=int, default=1_000_000, help="invoices over those workspaces")
    parser.add_argument(
        "--scale-whale", type=int, default=1_000_000,
        help="invoices of one more workspace in the --scale database, for stats at that size (0: none)",
    )  # fmt: skip
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
    if any("=" not in setting for setting in args.soak_env):
        parser.error("--soak-env: give NAME=VALUE")
    return args


async def amain(args: argparse.Namespace) -> Run:
    bench = Run(args)
    if "postgresql" in args.databases and not _redis_reachable(args.redis_url):
        click.echo(f"Redis is not reachable at {args.redis_url}: PostgreSQL runs with the in-memory limiter", err=True)
        args.redis_url = None
    document = None
    try:
        for backend in args.databases:
            document = await bench.database(backend) or document
        if args.scale and "postgresql" in args.databases:
            await scale.measure(bench)
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
