"""Replicas cooperate (deploy/README.md, "How it scales"): two ``billcraft serve`` and two
``billcraft worker`` processes on loopback, on a new PostgreSQL database of this module's
own and the machine's Redis, with an SMTP server receiving the mail.

The four start as an operator's rollout would start them: both web processes at once on the
empty database (they migrate it once, taking turns), then both workers at once (each sweeps
at start). Then: the rate limit is one count across the web replicas; an MCP client whose
requests alternate between them works; every overdue transition is recorded once; an email
sent once arrives once; metrics and request ids are there to operate it; and stopping one
web replica in the middle of a run loses no request it acknowledged."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import func, select, text

from app.config import Settings, normalize_database_url
from app.db.engine import database_config
from app.db.models import Invoice
from tests.conftest import REDIS_URL, TARGET, OwnDatabase, _pg_url, create_app_database, pg_admin
from tests.processes import ProcessEnv, Served, free_port, start_serve, stop, wait_until_up
from tests.smtp import Mailbox, smtp_server
from tests.workers.conftest import Team, make_team, worker
from tests.workers.test_overdue_worker import _late_invoices, _statuses
from workers.dispatch import queue_name

pytestmark = pytest.mark.skipif(TARGET != "postgresql", reason="replicas share PostgreSQL and Redis")

LIMIT = 60  # requests per minute per user, small enough to reach, each test with its own user
LATE = 12  # sent invoices past due when the workers start


@dataclass
class Cluster:
    webs: list[Served]
    web_metrics: list[str]
    worker_metrics: list[str]
    workers: list[Any]
    mailbox: Mailbox
    own: OwnDatabase
    logs: Path
    late: list[uuid.UUID]
    queue: str

    @property
    def bases(self) -> list[str]:
        return [web.base for web in self.webs]

    @property
    def db(self) -> Any:
        return self.own.config


@pytest.fixture(scope="module")
async def cluster(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    name = f"billcraft_scale_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await create_app_database(name)
    logs = tmp_path_factory.mktemp("replicas")
    env = ProcessEnv(database_url=_pg_url(name), data_dir=logs / "data")
    prefix = f"billcraft-test-{uuid.uuid4().hex[:12]}"
    own_settings = replace(settings, database_url=normalize_database_url(env.database_url))
    db = database_config(own_settings)
    own = OwnDatabase(url=env.database_url, settings=own_settings, config=db)
    with ExitStack() as stack:
        smtp_url, mailbox = stack.enter_context(smtp_server())
        common = {
            "redis_url": REDIS_URL,
            "redis_prefix": prefix,
            "rate_limit": f"{LIMIT}/minute",
            "smtp_url": smtp_url,
            "jobs": "auto",
            "log_format": "json",
        }
        web_metrics = [f"127.0.0.1:{free_port()}" for _ in range(2)]
        webs = [
            start_serve(env, logs / f"web{i}.log", metrics_address=address, **common)
            for i, address in enumerate(web_metrics)
        ]
        for i, web in enumerate(webs):
            stack.callback(stop, web.process)
            wait_until_up(web, logs / f"web{i}.log")
        late = await _late_invoices(db, LATE)
        worker_metrics = [f"127.0.0.1:{free_port()}" for _ in range(2)]
        workers = [
            stack.enter_context(
                worker(env, logs / f"worker{i}.log", base_url=webs[0].base, metrics_address=address, **common)
            )
            for i, address in enumerate(worker_metrics)
        ]
        try:
            queue = queue_name(replace(own_settings, redis_url=REDIS_URL, redis_prefix=prefix))
            yield Cluster(webs, web_metrics, worker_metrics, workers, mailbox, own, logs, late, queue)
        finally:
            stack.close()
            await db.get_engine().dispose()
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def team(cluster: Cluster) -> Team:
    """A user of this test's own (so that each test has its own rate limit) and a workspace."""
    return await make_team(cluster.own)


def wait_until(check: Any, seconds: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


async def test_replicas_starting_together_migrate_the_new_database_once(cluster: Cluster) -> None:
    async with cluster.db.get_session() as session:
        versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    assert len(versions) == 1
    assert all(web.process.poll() is None for web in cluster.webs)
    assert all(w.poll() is None for w in cluster.workers)


async def test_the_rate_limit_is_one_count_across_web_replicas(cluster: Cluster, team: Team) -> None:
    async with httpx.AsyncClient(headers=team.headers, timeout=30) as http:
        path = f"/api/v1/workspaces/{team.slug}/invoices"
        for i in range(LIMIT):
            response = await http.get(cluster.bases[i % 2] + path)
            assert response.status_code == 200, response.text
            assert int(response.headers["RateLimit-Remaining"]) == LIMIT - (i + 1)
        for base in cluster.bases:
            refused = await http.get(base + path)
            assert refused.status_code == 429
            assert refused.json()["code"] == "rate_limited"
            assert 1 <= int(refused.headers["Retry-After"]) <= 60


class Alternating(httpx2.AsyncBaseTransport):
    """Sends each request to the next replica in turn, as a load balancer without sticky
    sessions does."""

    def __init__(self, bases: list[str]) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.ports = itertools.cycle([int(b.rsplit(":", 1)[1]) for b in bases])
        self.served: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self.ports)
        self.served[port] += 1
        request.url = request.url.copy_with(port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_mcp_client_whose_calls_alternate_between_replicas_works(cluster: Cluster, team: Team) -> None:
    transport = Alternating(cluster.bases)
    http = httpx2.AsyncClient(headers=team.headers, timeout=30, transport=transport)
    url = f"{cluster.bases[0]}/api/mcp"
    async with http, Client(streamable_http_client(url, http_client=http)) as mcp:
        tools = {tool.name for tool in (await mcp.list_tools()).tools}
        assert {"invoice", "workspace", "client"} <= tools
        created = await mcp.call_tool(
            "invoice",
            {
                "action": "create",
                "company_slug": team.slug,
                "title": "Retainer, March",
                "items": [{"description": "Design", "quantity": "10", "unit_price": "120.00"}],
            },
        )
        assert not created.is_error, created.content
        invoice = created.structured_content
        assert invoice is not None
        got = await mcp.call_tool("invoice", {"action": "get", "company_slug": team.slug, "uuid": invoice["uuid"]})
        assert not got.is_error, got.content
        assert got.structured_content is not None
        assert got.structured_content["total"] == "1200.00"
        listed = await mcp.call_tool("invoice", {"action": "list", "company_slug": team.slug})
        assert not listed.is_error
    assert len(transport.served) == 2, transport.served
    assert min(transport.served.values()) >= 2, transport.served


async def test_sweeps_on_both_workers_at_once_record_each_overdue_transition_once(cluster: Cluster) -> None:
    # The workers swept at start the invoices that were late before they came up.
    deadline = time.monotonic() + 60
    while (await _statuses(cluster.db, cluster.late))[0] != {"overdue"}:
        assert time.monotonic() < deadline, "the workers did not sweep at start"
        await asyncio.sleep(0.2)
    assert await _statuses(cluster.db, cluster.late) == ({"overdue"}, LATE)
    # Four sweeps enqueued at once, taken by whichever worker is free, over new late invoices.
    late = await _late_invoices(cluster.db, LATE)
    queue = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        jobs = [
            await queue.enqueue_job("overdue_sweep", _job_id=f"sweep-{uuid.uuid4().hex}", _queue_name=cluster.queue)
            for _ in range(4)
        ]
        moved = [await job.result(timeout=60) for job in jobs if job is not None]
    finally:
        await queue.aclose()
    assert len(moved) == 4
    assert sum(moved) <= LATE, f"an invoice was moved twice: {moved}"
    assert await _statuses(cluster.db, late) == ({"overdue"}, LATE)


def test_an_email_sent_once_is_delivered_once_with_two_workers(cluster: Cluster, team: Team) -> None:
    recipients = [f"ap-{i}-{uuid.uuid4().hex[:6]}@globex.example" for i in range(3)]
    with httpx.Client(base_url=cluster.bases[1], headers=team.headers, timeout=30) as http:
        api = f"/api/v1/workspaces/{team.slug}"
        for address in recipients:
            customer = http.post(f"{api}/clients", json={"name": "Globex", "email": address})
            assert customer.status_code == 201, customer.text
            invoice = http.post(
                f"{api}/invoices",
                json={
                    "title": "Website",
                    "client_uuid": customer.json()["uuid"],
                    "items": [{"description": "UX", "quantity": 2, "unit_price": 150}],
                },
            )
            assert invoice.status_code == 201, invoice.text
            sent = http.post(f"{api}/invoices/{invoice.json()['uuid']}/send", json={})
            assert sent.status_code == 200, sent.text
    for address in recipients:
        cluster.mailbox.wait_for(address, 1, seconds=90)
    # Each email was sent by one worker, once: a second job for it would find it claimed.
    wait_until(
        lambda: sum(sample(scrape(a), "billcraft_jobs_total", job="deliver_email", outcome="sent")
                    for a in cluster.worker_metrics) >= len(recipients),
        what="the workers to count their sends",
    )  # fmt: skip
    time.sleep(2)  # what a duplicate would need to arrive
    assert {address: len(cluster.mailbox.to(address)) for address in recipients} == dict.fromkeys(recipients, 1)
    delivered = sum(
        sample(scrape(a), "billcraft_jobs_total", job="deliver_email", outcome="sent") for a in cluster.worker_metrics
    )
    assert delivered == len(recipients)


async def _sweep_once(queue_name: str) -> None:
    queue = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        job = await queue.enqueue_job("overdue_sweep", _job_id=f"sweep-{uuid.uuid4().hex}", _queue_name=queue_name)
        assert job is not None
        await job.result(timeout=60)
    finally:
        await queue.aclose()


def scrape(address: str) -> str:
    """A process's metrics ("" while its listener is not up yet)."""
    try:
        return httpx.get(f"http://{address}/metrics", timeout=5).text
    except httpx.TransportError:
        return ""


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series of a Prometheus text exposition (0 when absent)."""
    for line in metrics.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_and_request_ids_make_each_replica_observable(cluster: Cluster, team: Team) -> None:
    request_id = f"probe-{uuid.uuid4().hex[:8]}"
    path = f"/api/v1/workspaces/{team.slug}/invoices"
    response = httpx.get(cluster.bases[0] + path, headers={**team.headers, "X-Request-ID": request_id}, timeout=30)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == request_id
    fresh = httpx.get(cluster.bases[0] + "/health", timeout=5).headers["X-Request-ID"]
    assert len(fresh) == 32, "a request without an id gets a new one"
    # Requests by route template (one series for every workspace), with their latencies.
    web = scrape(cluster.web_metrics[0])
    template = "/api/v1/workspaces/{company_slug}/invoices"
    assert sample(web, "billcraft_requests_total", path=template, method="GET", status_code="200") >= 1
    assert sample(web, "billcraft_request_duration_seconds_count", path=template) >= 1
    # A refusal by a middleware is counted with the status the client got.
    assert httpx.get(cluster.bases[0] + path, timeout=5).status_code == 401
    web = scrape(cluster.web_metrics[0])
    assert sample(web, "billcraft_requests_total", path=template, status_code="401") >= 1
    assert team.slug not in web, "no series is labelled with a workspace's own slug"
    # Jobs by outcome and the queue's depth, on the workers. A job run now is timed by
    # whichever worker took it, so the count is summed over both.
    before = sum(sample(scrape(a), "billcraft_job_duration_seconds_count", job="overdue_sweep")
                 for a in cluster.worker_metrics)  # fmt: skip
    asyncio.run(_sweep_once(cluster.queue))
    wait_until(
        lambda: sum(sample(scrape(a), "billcraft_job_duration_seconds_count", job="overdue_sweep")
                    for a in cluster.worker_metrics) > before,
        what="a worker to time the sweep it ran",
    )  # fmt: skip
    exported = ("# TYPE billcraft_job_duration_seconds histogram", f'billcraft_queue_depth{{queue="{cluster.queue}"}}')
    wait_until(
        lambda: all(all(series in scrape(a) for series in exported) for a in cluster.worker_metrics),
        what="every worker to export its job timings and the queue's depth",
    )
    # The request's log line (JSON) carries its id.
    log = (cluster.logs / "web0.log").read_text(errors="replace").splitlines()
    lines = [json.loads(line) for line in log if request_id in line]
    assert lines, "the request was logged"
    assert all(line["request_id"] == request_id for line in lines)


async def test_stopping_a_web_replica_mid_run_loses_no_acknowledged_request(cluster: Cluster, team: Team) -> None:
    """Clients create invoices on both replicas with idempotency keys; replica 2 is stopped
    (SIGTERM, as Kubernetes does) in the middle. A request that fails to connect is sent
    again to replica 1 with the same key, as a load balancer or client would. Every invoice
    whose creation was answered 201 exists afterwards, and none was made twice."""
    total, stop_after = 36, 10
    keys = [f"scale-{uuid.uuid4().hex}" for _ in range(total)]
    acknowledged: dict[str, str] = {}
    by_replica: Counter[str] = Counter()
    retried = 0
    stopped = asyncio.Event()
    body = {"title": "Sprint", "items": [{"description": "Dev", "quantity": 1, "unit_price": 100}]}
    path = f"/api/v1/workspaces/{team.slug}/invoices"

    async def create(http: httpx.AsyncClient, key: str, base: str) -> None:
        nonlocal retried
        try:
            response = await http.post(base + path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            retried += 1
            base = cluster.bases[0]
            response = await http.post(base + path, json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text
        acknowledged[key] = response.json()["uuid"]
        by_replica[base] += 1
        if len(acknowledged) >= stop_after and not stopped.is_set():
            stopped.set()

    async def client(lane: int) -> None:
        async with httpx.AsyncClient(headers=team.headers, timeout=30) as http:
            for n, key in enumerate(keys[lane::4]):
                await create(http, key, cluster.bases[(lane + n) % 2])

    async def stop_second_replica() -> None:
        await stopped.wait()
        await asyncio.to_thread(stop, cluster.webs[1].process)

    await asyncio.gather(*(client(lane) for lane in range(4)), stop_second_replica())
    # uvicorn drains, then re-raises the SIGTERM it caught: -15 is its graceful exit.
    assert cluster.webs[1].process.returncode in {0, -signal.SIGTERM}
    assert "Finished server process" in (cluster.logs / "web1.log").read_text(errors="replace")
    assert by_replica[cluster.bases[1]] >= 1, "the stopped replica had served some"
    async with cluster.db.get_session() as session:
        stored = (
            await session.execute(
                select(Invoice.id).where(Invoice.id.in_([uuid.UUID(u) for u in acknowledged.values()]))
            )
        ).scalars()
        count = (
            await session.execute(
                select(func.count())
                .select_from(Invoice)
                .where(
                    Invoice.title == "Sprint",
                    Invoice.workspace_id.in_(
                        select(Invoice.workspace_id).where(Invoice.id == uuid.UUID(next(iter(acknowledged.values()))))
                    ),
                )
            )
        ).scalar_one()
    assert len(acknowledged) == total
    assert {str(i) for i in stored} == set(acknowledged.values())
    assert count == total, "a retried request made no second invoice"
    print(f"acknowledged {len(acknowledged)}: {dict(by_replica)}, {retried} retried after the stop")
