"""What Billcraft depends on, checked one by one, each with what to do when it is missing:
the database, its migrations, Redis (when configured), the mail server (or the mail
folder), the browser that prints PDFs, and fonts for every script a name may be written in.

``billcraft doctor`` prints them all; ``/ready`` reports them too, answering 503 only when a
dependency the requests need is down (database, migrations, Redis). The slow checks
(browser version, fonts, SMTP) are kept for a minute, so a probe every few seconds costs a
dictionary lookup."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from app import browser
from app.config import Settings
from app.db.engine import MIGRATIONS

# A sample of each script a client's name or address may be written in, as fontconfig
# names its language; the fonts installed must cover every one.
SCRIPTS = {
    "Latin": "en",
    "Greek": "el",
    "Cyrillic": "ru",
    "Arabic": "ar",
    "Hebrew": "he",
    "Chinese": "zh-cn",
    "Japanese": "ja",
    "Korean": "ko",
}
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "off" (not configured, fine), "missing" or "error"
    detail: str = ""
    fix: str = ""
    # A required dependency that fails makes the service unready (503).
    required: bool = False

    @property
    def healthy(self) -> bool:
        return self.status in ("ok", "off")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if self.fix:
            out["fix"] = self.fix
        return out


@dataclass
class _Cache:
    at: dict[str, float] = field(default_factory=dict)
    value: dict[str, Check] = field(default_factory=dict)


_cache = _Cache()


async def _cached(key: str, work: Callable[[], Awaitable[Check]]) -> Check:
    if key in _cache.value and time.monotonic() - _cache.at[key] < CACHE_SECONDS:
        return _cache.value[key]
    result = await work()
    _cache.value[key], _cache.at[key] = result, time.monotonic()
    return result


# --- each dependency ------------------------------------------------------------------------


async def database_and_migrations(settings: Settings) -> list[Check]:
    if settings.is_sqlite and not await asyncio.to_thread(Path(settings.database_url.split("///", 1)[-1]).exists):
        return [
            Check("database", "missing", f"no {_database_name(settings)} yet", "`billcraft serve` creates it", True),
            Check("migrations", "missing", "no database", "`billcraft serve` or `billcraft db upgrade`", True),
        ]
    engine = create_async_engine(settings.database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    except Exception as exc:
        fix = "check BILLCRAFT_DATABASE_URL and that the database server is running"
        return [
            Check("database", "error", f"{type(exc).__name__}: {str(exc)[:200]}", fix, required=True),
            Check("migrations", "error", "the database could not be read", "", required=True),
        ]
    finally:
        await engine.dispose()
    return [Check("database", "ok", _database_name(settings), required=True), migrations(current)]


def migrations(current: str | None) -> Check:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if current == head:
        return Check("migrations", "ok", f"at {head}", required=True)
    return Check(
        "migrations",
        "missing",
        f"the database is at {current or 'no revision'}, the code needs {head}",
        "run `billcraft db upgrade` (billcraft serve does it at start)",
        required=True,
    )


def _database_name(settings: Settings) -> str:
    if settings.is_sqlite:
        return "SQLite " + settings.database_url.split("///", 1)[-1]
    return "PostgreSQL " + settings.database_url.rsplit("@", 1)[-1]


async def connection_migrations(connection: AsyncConnection) -> Check:
    """The migrations check on a connection the caller already has (``/ready``)."""
    current = await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    return migrations(current)


async def redis(settings: Settings) -> Check | None:
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
        return Check("redis", "ok", required=True)
    except Exception as exc:
        return Check("redis", "error", f"{type(exc).__name__}", "check BILLCRAFT_REDIS_URL and the Redis server", True)
    finally:
        await client.aclose()


async def smtp(settings: Settings) -> Check:
    if not settings.smtp_url:
        folder = settings.data_dir / "mail"
        return Check("smtp", "off", f"no BILLCRAFT_SMTP_URL: emails are written as .eml files under {folder}")

    async def probe() -> Check:
        import aiosmtplib

        parts = urlsplit(settings.smtp_url or "")
        implicit_tls = parts.scheme == "smtps"
        host, port = parts.hostname or "", parts.port or (465 if implicit_tls else 25)
        client = aiosmtplib.SMTP(hostname=host, port=port, use_tls=implicit_tls, timeout=5)
        try:
            await client.connect()
            await client.ehlo()
            await client.quit()
        except (aiosmtplib.SMTPException, OSError) as exc:
            fix = "check BILLCRAFT_SMTP_URL and that the mail server accepts connections from here"
            return Check("smtp", "error", f"{host}:{port}: {exc}", fix)
        return Check("smtp", "ok", f"{host}:{port} answers")

    return await _cached("smtp", probe)


async def pdf_browser(settings: Settings) -> Check:
    async def probe() -> Check:
        found = await asyncio.to_thread(browser.find, settings.chromium_path)
        if found is None:
            what = (
                f"BILLCRAFT_CHROMIUM_PATH={settings.chromium_path} does not exist"
                if settings.chromium_path
                else "no Chromium: PDFs cannot be printed and emails with a PDF wait"
            )
            return Check("browser", "missing", what, f"run `{browser.install_command()}`")
        path = found.path or await asyncio.to_thread(browser.playwright_chromium) or ""
        described = await asyncio.to_thread(browser.version, path) if path else "Playwright's own"
        return Check("browser", "ok", f"{path} ({found.source}): {described}")

    return await _cached("browser", probe)


async def fonts() -> Check:
    async def probe() -> Check:
        fc_list = shutil.which("fc-list")
        if fc_list is None:
            return Check("fonts", "missing", "fontconfig is not installed", f"run `{browser.install_command()}`")
        missing = [name for name, lang in SCRIPTS.items() if not await asyncio.to_thread(_covers, fc_list, lang)]
        if missing:
            packages = " ".join(browser.FONT_PACKAGES)
            return Check(
                "fonts",
                "missing",
                f"no font for {', '.join(missing)}: names in those scripts print as empty boxes",
                f"install the fonts: apt-get install -y {packages}",
            )
        return Check("fonts", "ok", f"every script covered ({', '.join(SCRIPTS)})")

    return await _cached("fonts", probe)


def _covers(fc_list: str, lang: str) -> bool:
    try:
        done = subprocess.run([fc_list, f":lang={lang}", "family"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(done.stdout.strip())


# --- all of them ----------------------------------------------------------------------------


async def everything(settings: Settings) -> list[Check]:
    """Every dependency, for ``billcraft doctor``."""
    checks = await database_and_migrations(settings)
    found = await redis(settings)
    if found is not None:
        checks.append(found)
    checks += [await smtp(settings), await pdf_browser(settings), await fonts()]
    return checks


def forget() -> None:
    """Drop the kept results (after installing something, or between tests)."""
    _cache.at.clear()
    _cache.value.clear()
