"""The README's path for a new user, run as a user would: ``billcraft serve`` as a real
server on loopback, ``users create`` and ``tokens create`` as commands, then the curl
walk-through of one invoice from draft to paid over real HTTP."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TARGET, unique
from tests.processes import BIN, ProcessEnv, serve


def cli(env: ProcessEnv, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(BIN), *args], env=env.env(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"billcraft {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def server_env(tmp_path: Path, database_url: str) -> ProcessEnv:
    # On SQLite a brand-new database shows that serve applies the migrations itself.
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if TARGET == "sqlite" else database_url
    return ProcessEnv(database_url=url, data_dir=tmp_path / "data")


@pytest.fixture
def served(server_env: ProcessEnv, tmp_path: Path) -> Iterator[str]:
    with serve(server_env, tmp_path / "serve.log") as base:
        yield base


def test_new_user_walks_an_invoice_from_draft_to_paid_against_a_served_billcraft(
    served: str, server_env: ProcessEnv
) -> None:
    email = f"{unique('owner')}@example.com"
    cli(server_env, "users", "create", "--email", email, "--password", "correct horse battery", "--name", "Ada")
    created = cli(server_env, "tokens", "create", "--email", email)
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("bc_"), "the token stands alone on the last line"
    assert " " not in token

    api = httpx.Client(base_url=f"{served}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    workspace = api.post("/workspaces", json={"name": "Ada Studio", "default_currency": "USD"})
    assert workspace.status_code == 201, workspace.text
    slug = workspace.json()["company_slug"]
    client = api.post(f"/workspaces/{slug}/clients", json={"name": "Acme Corp", "email": "billing@acme.example"})
    assert client.status_code == 201, client.text
    invoice = api.post(
        f"/workspaces/{slug}/invoices",
        json={
            "title": "Website redesign",
            "client_uuid": client.json()["uuid"],
            "tax_rate": "10",
            "items": [
                {"description": "UX Design", "quantity": 20, "unit_price": "120"},
                {"description": "Frontend Dev", "quantity": 60, "unit_price": "150"},
                {"description": "QA Testing", "quantity": 15, "unit_price": "100"},
            ],
        },
    )
    assert invoice.status_code == 201, invoice.text
    body = invoice.json()
    assert (body["status"], body["total"]) == ("draft", "14190.00")
    uuid = body["uuid"]
    sent = api.post(f"/workspaces/{slug}/invoices/{uuid}/send")
    assert sent.json()["status"] == "sent"
    assert sent.json()["number"].startswith("INV-")
    paid = api.post(f"/workspaces/{slug}/invoices/{uuid}/payments", json={"payment_method": "Wire transfer"})
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["balance_due"]) == ("paid", "0.00")
    history = [(h["action"], h["channel"]) for h in paid.json()["history"]]
    assert history == [("create", "api"), ("finalize", "api"), ("send", "api"), ("payment", "api")]
    stats = api.get(f"/workspaces/{slug}/stats").json()
    assert stats["currencies"][0]["total_paid"] == "14190.00"
    docs = httpx.get(f"{served}/api/docs", timeout=10)
    assert docs.status_code == 200
    assert httpx.get(f"{served}/api/openapi.json", timeout=10).json()["info"]["title"] == "Billcraft"


def test_demo_builds_a_workspace_whose_token_reads_its_invoices(served: str, server_env: ProcessEnv) -> None:
    email = f"{unique('demo')}@example.com"
    done = cli(server_env, "demo", "--invoices", "12", "--email", email, "--password", "demo-password")
    token = done.stdout.strip().splitlines()[-1]
    api = httpx.Client(base_url=f"{served}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    workspaces = api.get("/workspaces").json()["items"]
    assert len(workspaces) == 1
    slug = workspaces[0]["company_slug"]
    listed = api.get(f"/workspaces/{slug}/invoices", params={"per_page": 100}).json()
    assert listed["total"] == 12
    stats = api.get(f"/workspaces/{slug}/stats").json()
    assert sum(stats["counts_by_status"].values()) == 12
    assert {c["currency"] for c in stats["currencies"]} == {"USD", "EUR"}


def test_tokens_create_for_an_unknown_email_fails_with_a_message(server_env: ProcessEnv) -> None:
    cli(server_env, "db", "upgrade")
    done = subprocess.run(
        [str(BIN), "tokens", "create", "--email", "nobody@example.com"],
        env=server_env.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no user with the email nobody@example.com" in done.stderr
