"""The benchmark command runs end to end on tiny data (DESIGN section 9): it builds its own
database on the suite's target, measures every pair and writes the table and its JSON.
Only that it runs and reports every figure is checked here: benchmarks are never timed
assertions in the test suite (the targets are for ``./run bench`` on real sizes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PER_DATABASE = {
    "REST list of 50 invoices, whole stack",
    "REST get of one invoice, whole stack",
    "REST create with idempotency key, whole stack",
    "mixed REST + MCP load, whole stack",
    "mixed load: failed requests",
    "mixed load: web process memory growth",
    "`invoice` get over MCP (Streamable HTTP)",
    "web process peak memory after the run",
    "stats",
    "overdue sweep",
}
# Counted or grown: zero (or less) is a fine reading.
MAY_BE_ZERO = {"mixed load: failed requests", "mixed load: web process memory growth"}
PDF = {
    "PDF, warm", "PDF, warm, faster than cold", "worker with Chromium, proportional memory",
    "e-invoice XML of one invoice, generated and validated (XRechnung UBL)",
    "e-invoice XML of one invoice, generated and validated (Factur-X CII)",
    "Factur-X PDF (PDF/A-3 with the XML inside)",
    "100 PDFs rendered at once by one worker", "worker with Chromium, proportional memory after the burst",
}  # fmt: skip


def test_the_bench_command_measures_every_pair_on_tiny_data(migrated: Settings, tmp_path: Path) -> None:
    backend = "postgresql" if migrated.database_url.startswith("postgresql") else "sqlite"
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLCRAFT_")}
    if backend == "postgresql":
        env["BILLCRAFT_BENCH_POSTGRES_URL"] = os.environ.get(
            "BILLCRAFT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
    sizes = "60,120"
    # The PDF pairs need no database: measured in the SQLite half of ./run test only.
    # A burst of 6 PDFs at once, not the full 100, keeps the run short.
    pdf = ["--pdf-burst", "6"] if backend == "sqlite" else ["--no-pdf"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--databases", backend, "--sizes", sizes, "--rounds", "1",
         "--seconds", "0.3", "--calls", "2", "--load-seconds", "2", "--load-clients", "4", *pdf, "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(out.read_text())
    figures = report["figures"]
    seen = {(f["what"], f["database"], f["invoices"]) for f in figures}
    for what in PER_DATABASE - {"web process peak memory after the run"}:
        for size in (60, 120):
            assert (what, backend, size) in seen, (what, size)
    assert ("web process peak memory after the run", backend, None) in seen
    assert {f["what"] for f in figures if f["database"] == "-"} == (PDF if backend == "sqlite" else set())
    for f in figures:
        assert f["value"] > 0 or f["what"] in MAY_BE_ZERO, f
        assert f"| {f['what']} |" in done.stdout  # the printed table holds every figure
    assert report["cores"] == os.cpu_count()
