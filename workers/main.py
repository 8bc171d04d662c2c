"""The arq worker: its settings and the jobs it runs. ``billcraft worker`` starts it (Redis
required) with the ``WorkerSettings`` built from the settings.

Today it runs the overdue sweep every quarter of an hour and once at start. The sweep is one
set-based, idempotent statement per time zone, so several workers running it at once record
each transition once (and arq's unique cron jobs keep them from all running the same tick)."""

from __future__ import annotations

from typing import Any

import structlog
from arq import cron
from arq.connections import RedisSettings

from app.config import Settings
from app.db.engine import database_config
from app.domain.overdue import sweep_overdue

log = structlog.get_logger("billcraft.worker")


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or Settings.from_env()
    ctx["settings"] = settings
    ctx["db"] = database_config(settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["db"].get_engine().dispose()


async def overdue_sweep(ctx: dict[str, Any]) -> int:
    """Move every sent invoice past its due date (in its workspace's time zone) to overdue."""
    async with ctx["db"].get_session() as session:
        moved = await sweep_overdue(session)
        await session.commit()
    log.info("overdue sweep", moved=moved)
    return moved


def worker_settings(settings: Settings) -> type:
    """arq's ``WorkerSettings`` for these settings (``billcraft worker`` runs it)."""
    if not settings.redis_url:
        raise ValueError("the worker needs BILLCRAFT_REDIS_URL (a Redis server to take jobs from)")
    return type(
        "WorkerSettings",
        (),
        {
            "functions": [overdue_sweep],
            "cron_jobs": [cron(overdue_sweep, minute={0, 15, 30, 45}, run_at_startup=True, unique=True)],
            "redis_settings": RedisSettings.from_dsn(settings.redis_url),
            "queue_name": f"{settings.redis_prefix}:queue",
            "on_startup": startup,
            "on_shutdown": shutdown,
            "ctx": {"settings": settings},
        },
    )
