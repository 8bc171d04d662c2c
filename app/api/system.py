"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@get("/health", summary="Liveness", tags=["system"], sync_to_thread=False, security=[{}])
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Readiness: the database (and Redis when configured) answer", tags=["system"], security=[{}])
async def ready(db_session: NamedDependency[AsyncSession], state: State) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        await db_session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"error: {type(exc).__name__}"
    redis_url = state.settings.redis_url
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url, socket_connect_timeout=2)
        try:
            await client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        finally:
            await client.aclose()
    ok = all(v == "ok" for v in checks.values())
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)
