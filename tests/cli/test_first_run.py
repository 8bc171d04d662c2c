"""A machine without a browser is told so, at every door, with what to run: ``billcraft
serve`` says it at start, ``/ready`` reports it (degraded, not down), ``billcraft doctor``
lists it and exits 1, a PDF request answers 501 naming the command; with the browser, the
same walk gives a PDF and a clean bill of health.

Real ``billcraft serve`` processes on loopback; "no browser" is a PATH holding none and an
empty Playwright browser folder, as on a fresh machine."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.cli.test_serve_walkthrough import cli
from tests.conftest import ONE_DATABASE, TARGET, unique
from tests.processes import BIN, ProcessEnv, serve

pytestmark = ONE_DATABASE


@pytest.fixture
def server_env(tmp_path: Path, database_url: str) -> ProcessEnv:
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if TARGET == "sqlite" else database_url
    return ProcessEnv(database_url=url, data_dir=tmp_path / "data")


def _bare(tmp_path: Path) -> dict[str, str]:
    """A machine with no browser: nothing on the PATH, Playwright's folder empty."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty), "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "no-browsers")}


def _draft_pdf_url(base: str, server_env: ProcessEnv, env: dict[str, str]) -> tuple[httpx.Client, str]:
    email = f"{unique('first')}@example.com"
    subprocess.run(
        [str(BIN), "users", "create", "--email", email, "--password", "correct horse battery"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    token = (
        subprocess.run(
            [str(BIN), "tokens", "create", "--email", email], env=env, check=True, capture_output=True, timeout=120
        )
        .stdout.decode()
        .strip()
        .splitlines()[-1]
    )
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    slug = api.post("/workspaces", json={"name": "First Run"}).json()["company_slug"]
    made = api.post(
        f"/workspaces/{slug}/invoices",
        json={"title": "First", "items": [{"description": "Work", "quantity": 1, "unit_price": "100"}]},
    )
    assert made.status_code == 201, made.text
    return api, f"/workspaces/{slug}/invoices/{made.json()['uuid']}/pdf"


def test_without_a_browser_every_door_says_what_to_run_and_with_one_the_pdf_prints(
    server_env: ProcessEnv, tmp_path: Path
) -> None:
    bare_env = dataclasses.replace(server_env, machine=tuple(_bare(tmp_path).items()))
    bare = bare_env.env()
    with serve(bare_env, tmp_path / "bare.log") as base:
        said = (tmp_path / "bare.log").read_text()
        assert "PDFs: no browser found" in said
        assert "apt-get install -y chromium-headless-shell" in said or "playwright install" in said

        ready = httpx.get(f"{base}/ready", timeout=30)
        assert ready.status_code == 200, "a missing browser degrades Billcraft, it does not take it down"
        body = ready.json()
        assert body["status"] == "degraded"
        assert body["checks"]["database"]["status"] == "ok"
        assert body["checks"]["browser"]["status"] == "missing"
        assert "chromium" in body["checks"]["browser"]["fix"]

        api, pdf = _draft_pdf_url(base, server_env, bare)
        refused = api.get(pdf)
        assert refused.status_code == 501, refused.text
        assert "no Chromium is installed" in refused.json()["detail"]
        assert "chromium" in refused.json()["detail"]

    doctor = subprocess.run([str(BIN), "doctor"], env=bare, capture_output=True, text=True, timeout=120)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    report = doctor.stdout
    assert "browser" in report
    assert "missing" in report
    assert "not ready: browser" in doctor.stderr

    with serve(server_env, tmp_path / "full.log") as base:
        assert "PDFs: printed by /usr/bin/chromium" in (tmp_path / "full.log").read_text()
        ready = httpx.get(f"{base}/ready", timeout=30).json()
        assert ready["checks"]["browser"]["status"] == "ok"
        api, pdf = _draft_pdf_url(base, server_env, server_env.env())
        printed = api.get(pdf)
        assert printed.status_code == 200, printed.text
        assert printed.content.startswith(b"%PDF")
    healthy = cli(server_env, "doctor")
    assert "everything Billcraft needs is here" in healthy.stderr
