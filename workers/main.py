"""The arq worker: its settings and the jobs it runs. ``billcraft worker`` starts it (Redis
required) with the ``WorkerSettings`` built from the settings.

- ``deliver_email``: one outbox row, enqueued by the web process after its commit or by
  the relay. Each job claims its row in the database first, so a duplicate job is harmless.
- ``relay_outbox`` (every 15 s, and at start): hands over again the rows nobody delivers.
- ``overdue_sweep`` (every quarter hour, and at start): one set-based, idempotent statement
  per time zone, so several workers running it at once record each transition once.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from app.config import Settings
from app.db.engine import database_config
from app.documents.pdf import InvoicePdfs
from app.metrics import serve_metrics
from workers.dispatch import enqueue_deliveries, queue_name
from workers.jobs import Jobs
from workers.mail import mailer_for


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or Settings.from_env()
    ctx["settings"] = settings
    ctx["pdfs"] = InvoicePdfs(settings.data_dir / "pdf-cache", settings.chromium_path)
    serve_metrics(settings, queue_name(settings))
    ctx["jobs"] = Jobs(settings=settings, db=database_config(settings), pdfs=ctx["pdfs"], mailer=mailer_for(settings))


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["pdfs"].close()
    await ctx["jobs"].db.get_engine().dispose()


async def deliver_email(ctx: dict[str, Any], delivery_id: str) -> str:
    jobs: Jobs = ctx["jobs"]
    return await jobs.deliver_email(uuid.UUID(delivery_id))


async def relay_outbox(ctx: dict[str, Any]) -> int:
    due = await ctx["jobs"].relay()
    return await enqueue_deliveries(ctx["redis"], queue_name(ctx["settings"]), due)


async def overdue_sweep(ctx: dict[str, Any]) -> int:
    """Move every sent invoice past its due date (in its workspace's time zone) to overdue."""
    jobs: Jobs = ctx["jobs"]
    return await jobs.overdue_sweep()


def _redis_settings(url: str) -> RedisSettings:
    """Ride out a Redis restart or outage: every connection attempt and command retries with
    backoff until Redis answers again, instead of the worker dying with the first dropped
    connection (a refused connection is an ``OSError`` before redis wraps it)."""
    return replace(
        RedisSettings.from_dsn(url),
        conn_retries=30,
        retry_on_error=[ConnectionError, TimeoutError, OSError],
        retry=Retry(ExponentialBackoff(cap=5.0, base=0.2), retries=-1),
    )


def worker_settings(settings: Settings) -> type:
    """arq's ``WorkerSettings`` for these settings (``billcraft worker`` runs it)."""
    if not settings.redis_url:
        raise ValueError("the worker needs BILLCRAFT_REDIS_URL (a Redis server to take jobs from)")
    return type(
        "WorkerSettings",
        (),
        {
            "functions": [
                # No stored result: once done, the same job id may be enqueued again.
                func(deliver_email, keep_result=0, timeout=settings.send_lease_seconds),
                overdue_sweep,
                relay_outbox,
            ],
            "cron_jobs": [
                cron(overdue_sweep, minute={0, 15, 30, 45}, run_at_startup=True, unique=True),
                cron(relay_outbox, second={0, 15, 30, 45}, run_at_startup=True, unique=True),
            ],
            "redis_settings": _redis_settings(settings.redis_url),
            "queue_name": queue_name(settings),
            "on_startup": startup,
            "on_shutdown": shutdown,
            "ctx": {"settings": settings},
        },
    )
