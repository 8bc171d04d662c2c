"""Liveness and readiness probes. Readiness reports every dependency (``app.doctor``) and
answers 503 only when one that requests need is down (the database, its migrations, Redis
when configured); a missing browser, fonts or mail server make it "degraded", with what
to do, while the rest of Billcraft serves."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app import doctor


@get("/health", summary="Liveness", tags=["system"], sync_to_thread=False, security=[{}])
def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    summary="Readiness: every dependency, with what to do about a missing one (503 when the database, "
    "its migrations or Redis are down)",
    tags=["system"],
    security=[{}],
)
async def ready(db_session: NamedDependency[AsyncSession], state: State) -> Response[dict[str, Any]]:
    settings = state.settings
    checks: list[doctor.Check] = []
    try:
        await db_session.execute(text("SELECT 1"))
        checks.append(doctor.Check("database", "ok", required=True))
        checks.append(await doctor.connection_migrations(await db_session.connection()))
    except Exception as exc:  # any failure means not ready; say which
        checks.append(doctor.Check("database", "error", type(exc).__name__, required=True))
    found = await doctor.redis(settings)
    if found is not None:
        checks.append(found)
    checks += [await doctor.smtp(settings), await doctor.pdf_browser(settings), await doctor.fonts()]
    if any(c.required and not c.healthy for c in checks):
        status, code = "unavailable", 503
    else:
        status, code = ("ok" if all(c.healthy for c in checks) else "degraded"), 200
    return Response({"status": status, "checks": {c.name: c.as_json() for c in checks}}, status_code=code)
