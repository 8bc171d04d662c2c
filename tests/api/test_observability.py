"""What operators see of each request (deploy/README.md, "Observing it"), in process on
either database: the request id every answer carries, and the request metrics counted by
route template with the status the client really got. The scale-out test checks the same
on real processes, with the JSON log lines and the workers' job metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from app.config import Settings
from app.server import create_app, served
from tests.api.conftest import Caller

INVOICES = "/api/v1/workspaces/{company_slug}/invoices"


@pytest.fixture
async def http(migrated: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """An app of this test's own, as ``billcraft serve`` runs it (the test client runs its
    start-up, as uvicorn does)."""
    async with AsyncTestClient(app=served(create_app(migrated))) as client:
        yield client


def count(path: str, status: int, method: str = "GET") -> float:
    labels = {"method": method, "path": path, "status_code": str(status)}
    return REGISTRY.get_sample_value("billcraft_requests_total", labels) or 0.0


async def test_every_answer_carries_a_request_id_and_keeps_a_sane_one_the_caller_gave(
    http: AsyncTestClient[Any],
) -> None:
    first = (await http.get("/health")).headers["X-Request-ID"]
    second = (await http.get("/health")).headers["X-Request-ID"]
    assert len(first) == 32
    assert first != second
    given = await http.get("/health", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.42"
    # Too long or with characters a log line should not carry: replaced, not echoed.
    for insane in ("x" * 200, "a b", "<script>"):
        answer = await http.get("/health", headers={"X-Request-ID": insane})
        assert answer.headers["X-Request-ID"] != insane


async def test_requests_are_counted_by_route_template_with_the_status_the_client_got(
    http: AsyncTestClient[Any], caller: Caller
) -> None:
    path = f"/api/v1/workspaces/{caller.slug}/invoices"
    refused, served_before, unmatched = count(INVOICES, 401), count(INVOICES, 200), count("unmatched", 404)
    # Refused by the authentication middleware: counted as the 401 the client got.
    assert (await http.get(path)).status_code == 401
    assert count(INVOICES, 401) == refused + 1
    ok = await http.get(path, headers={"Authorization": f"Bearer {caller.token}"})
    assert ok.status_code == 200
    assert count(INVOICES, 200) == served_before + 1
    assert (await http.get("/no/such/page")).status_code == 404
    assert count("unmatched", 404) == unmatched + 1
    # A made-up method is one "other" series, not a new series per name a client invents.
    brewed = count("unmatched", 404, method="other")
    await http.request("BREW", "/no/such/page")
    assert count("unmatched", 404, method="other") == brewed + 1
    assert count("unmatched", 404, method="BREW") == 0
    seconds = REGISTRY.get_sample_value("billcraft_request_duration_seconds_count", {"method": "GET", "path": INVOICES})
    assert seconds is not None
    assert seconds >= 2


def test_the_metrics_address_must_be_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLCRAFT_METRICS_ADDRESS", "9100")
    assert Settings.from_env().metrics_address == "127.0.0.1:9100"
    monkeypatch.setenv("BILLCRAFT_METRICS_ADDRESS", "0.0.0.0:9100")
    assert Settings.from_env().metrics_address == "0.0.0.0:9100"
    for wrong in ("0.0.0.0:http", "host:70000", "host:"):
        monkeypatch.setenv("BILLCRAFT_METRICS_ADDRESS", wrong)
        with pytest.raises(ValueError, match="BILLCRAFT_METRICS_ADDRESS must be host:port"):
            Settings.from_env()
