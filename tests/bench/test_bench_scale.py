"""``python -m bench --scale`` runs end to end on tiny data: the set-based build (3
workspaces of 60 invoices and a "whale" of 120 instead of 1,000 of 1,000 and one of 1M),
the list, get and stats pairs between the big and the small database, and stats over the
whale, each reported in the printed table and the JSON. PostgreSQL only (the build is
PostgreSQL's SQL); no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.in_process import SAME_FIGURES
from bench.scale import PAIRS

ROOT = Path(__file__).resolve().parents[2]
WORKSPACES, INVOICES, WHALE = 3, 180, 120


@pytest.mark.skipif(
    os.environ.get("BILLCRAFT_TEST_DATABASE", "sqlite") != "postgresql", reason="the scale build is PostgreSQL's SQL"
)
def test_the_scale_rows_are_built_measured_and_reported(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILLCRAFT_")}
    env["BILLCRAFT_BENCH_POSTGRES_URL"] = os.environ.get(
        "BILLCRAFT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--databases", "postgresql", "--sizes", "60", "--rounds", "1",
         "--seconds", "0.2", "--calls", "2", "--load-seconds", "1", "--load-clients", "2", "--no-pdf",
         "--scale", "--scale-workspaces", str(WORKSPACES), "--scale-invoices", str(INVOICES),
         "--scale-whale", str(WHALE), "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    figures = json.loads(out.read_text())["figures"]
    scaled = [f for f in figures if f["invoices"] == INVOICES]
    for what, _ in PAIRS:
        (figure,) = [f for f in scaled if f["what"].startswith(f"{what} (")]
        assert figure["database"] == "postgresql"
        assert figure["target"] == 1.2
        assert figure["value"] > 0
        assert f"| {figure['what']} |" in done.stdout
    (whale,) = [f for f in figures if f["what"] == "stats" and f["invoices"] == WHALE]
    assert whale["target"] == 1.5
    assert f"| stats | {SAME_FIGURES} | postgresql | {WHALE} |" in done.stdout
    assert "built 300 invoices" in done.stderr
    assert "built 60 invoices" in done.stderr
