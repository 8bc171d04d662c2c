"""Prometheus metrics, served on a port of their own (``BILLCRAFT_METRICS_ADDRESS``, e.g.
``0.0.0.0:9100``) by the web and the worker processes alike, so that the public port never
shows them.

- HTTP: ``billcraft_requests_total`` by method, route template and status, and
  ``billcraft_request_duration_seconds`` (``http_metrics``, wrapped around the whole app so
  that it counts the status a client really got, also when a middleware refused it).
- Jobs: ``billcraft_jobs_total`` by job and outcome, ``billcraft_job_duration_seconds``.
- Queue: ``billcraft_queue_depth`` (jobs waiting in the arq queue, read from Redis when
  scraped) and ``billcraft_outbox_due`` (emails the last relay found undelivered).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

import redis
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.config import Settings

P = ParamSpec("P")
R = TypeVar("R")

JOBS = Counter("billcraft_jobs", "Background jobs run, by job and outcome.", ["job", "outcome"])
JOB_SECONDS = Histogram("billcraft_job_duration_seconds", "Time a background job took.", ["job"])
OUTBOX_DUE = Gauge("billcraft_outbox_due", "Outbox rows the last relay found due for delivery.")


REQUESTS = Counter("billcraft_requests", "HTTP requests answered.", ["method", "path", "status_code"])
REQUEST_SECONDS = Histogram(
    "billcraft_request_duration_seconds", "Time to answer an HTTP request (to its last byte).", ["method", "path"]
)
IN_FLIGHT = Gauge("billcraft_requests_in_progress", "HTTP requests being answered.")
# A label takes only these values: a client may send any method name, and each new one
# would otherwise start new series in every process (a cheap way to exhaust memory).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def http_metrics(app: ASGIApp) -> ASGIApp:
    """Count and time every request by route template (``/api/v1/workspaces/{company_slug}
    /invoices``, not the URL: ids would make a series per invoice; "unmatched" for 404s)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        status = 500  # what the client gets if the app dies before answering
        started = time.perf_counter()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await app(scope, receive, capture)
        finally:
            IN_FLIGHT.dec()
            path = str(scope.get("path_template") or "unmatched")
            method = scope["method"] if scope["method"] in METHODS else "other"
            REQUESTS.labels(method, path, str(status)).inc()
            REQUEST_SECONDS.labels(method, path).observe(time.perf_counter() - started)

    return middleware


def observed(job: str, outcome: Callable[[Any], str] = lambda _: "ok") -> Callable[
    [Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]
]:  # fmt: skip
    """Count and time every run of a job: ``outcome`` names what its result means (an
    email's "sent", "retry", "failed"); an exception counts as "error"."""

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(function)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                result = await function(*args, **kwargs)
            except BaseException:
                JOBS.labels(job, "error").inc()
                raise
            finally:
                JOB_SECONDS.labels(job).observe(time.perf_counter() - started)
            JOBS.labels(job, outcome(result)).inc()
            return result

        return run

    return decorate


class QueueDepth(Collector):
    """Jobs waiting in the arq queue, read from Redis at each scrape (a scrape that cannot
    reach Redis reports nothing rather than a stale figure)."""

    def __init__(self, redis_url: str, queue: str) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("billcraft_queue_depth", "Jobs waiting in the queue.", labels=["queue"])
        try:
            family.add_metric([self.queue], float(cast(int, self.client.zcard(self.queue))))
        except redis.RedisError:
            return
        yield family


_started = threading.Lock()
_serving: set[str] = set()


def serve_metrics(settings: Settings, queue: str | None) -> None:
    """Start the metrics listener once per process when ``BILLCRAFT_METRICS_ADDRESS`` is set."""
    address = settings.metrics_address
    if not address:
        return
    with _started:
        if address in _serving:
            return
        host, _, port = address.rpartition(":")
        start_http_server(int(port), addr=host or "127.0.0.1")
        if settings.redis_url and queue:
            REGISTRY.register(QueueDepth(settings.redis_url, queue))
        _serving.add(address)
