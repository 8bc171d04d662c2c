"""Who runs the background jobs of a process that serves requests.

- With Redis (``ArqQueue``): committed sends are enqueued for the arq workers; the workers'
  relay and cron take care of the rest. An enqueue that fails (Redis is down) is logged and
  left to the relay: the outbox rows are already committed.
- Embedded (``InProcessRunner``): the same job functions run as tasks of this process,
  with the relay every 15 seconds and the overdue sweep at start and every quarter hour.

``background(...)`` picks one (or none, with ``BILLCRAFT_JOBS=off``); ``route_outbox``
makes the database's sessions hand their committed sends to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Coroutine
from typing import Any, Protocol

import structlog
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from arq.connections import ArqRedis
from redis.exceptions import RedisError

from app.config import Settings
from app.domain.mail_limits import MailQuota
from app.domain.outbox import session_info
from app.domain.outputs import PdfMaker
from workers.jobs import Jobs
from workers.mail import mailer_for

log = structlog.get_logger("billcraft.jobs")

RELAY_EVERY = 15.0
SWEEP_EVERY = 15 * 60.0


def queue_name(settings: Settings) -> str:
    return f"{settings.redis_prefix}:queue"


def delivery_job_id(delivery_id: uuid.UUID, attempts: int) -> str:
    """One queued job per delivery and attempt: the relay may hand a row over again while an
    earlier job for it waits, and arq refuses the second."""
    return f"deliver:{delivery_id}:{attempts}"


async def enqueue_deliveries(redis: ArqRedis, queue: str, deliveries: list[tuple[uuid.UUID, int]]) -> int:
    enqueued = 0
    for delivery_id, attempts in deliveries:
        job = await redis.enqueue_job(
            "deliver_email", str(delivery_id), _job_id=delivery_job_id(delivery_id, attempts), _queue_name=queue
        )
        enqueued += job is not None
    return enqueued


class Background(Protocol):
    def __call__(self, deliveries: list[tuple[uuid.UUID, int]]) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class _Tasks:
    """Fire-and-forget tasks that are kept referenced and awaited at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, seconds: float) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)
        for task in set(self._tasks):
            task.cancel()


class ArqQueue:
    def __init__(self, settings: Settings) -> None:
        assert settings.redis_url
        # No connection yet, and short timeouts: a send must not wait on a Redis that is down.
        self.redis = ArqRedis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        self.queue = queue_name(settings)
        self._tasks = _Tasks()

    def __call__(self, deliveries: list[tuple[uuid.UUID, int]]) -> None:
        self._tasks.spawn(self._enqueue(deliveries))

    async def _enqueue(self, deliveries: list[tuple[uuid.UUID, int]]) -> None:
        try:
            await enqueue_deliveries(self.redis, self.queue, deliveries)
        except (RedisError, OSError) as exc:
            log.warning("could not enqueue emails; the outbox relay will", count=len(deliveries), error=str(exc))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self._tasks.drain(seconds=5)
        await self.redis.aclose()


class InProcessRunner:
    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs
        self._tasks = _Tasks()
        self._loop: asyncio.Task[None] | None = None

    def __call__(self, deliveries: list[tuple[uuid.UUID, int]]) -> None:
        for delivery_id, _ in deliveries:
            self._tasks.spawn(self._deliver(delivery_id))

    async def _deliver(self, delivery_id: uuid.UUID) -> None:
        try:
            await self.jobs.deliver_email(delivery_id)
        except Exception:  # the row stays claimable; the relay will try again
            log.exception("email job failed", delivery=str(delivery_id))

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        last_sweep = -SWEEP_EVERY
        while True:
            try:
                if time.monotonic() - last_sweep >= SWEEP_EVERY:
                    last_sweep = time.monotonic()
                    await self.jobs.overdue_sweep()
                for delivery_id, _ in await self.jobs.relay():
                    await self._deliver(delivery_id)
            except Exception:  # a database hiccup must not stop the loop for good
                log.exception("background loop failed; trying again shortly")
            await asyncio.sleep(RELAY_EVERY)

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await self._tasks.drain(seconds=30)


class NoJobs:
    """``BILLCRAFT_JOBS=off``: sends stay queued in the outbox for another process's relay."""

    def __call__(self, deliveries: list[tuple[uuid.UUID, int]]) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def background(settings: Settings, db: SQLAlchemyAsyncConfig, pdfs: PdfMaker) -> Background:
    if settings.jobs == "off":
        return NoJobs()
    if settings.redis_url:
        return ArqQueue(settings)
    return InProcessRunner(Jobs(settings, db, pdfs, mailer_for(settings)))


def route_outbox(db: SQLAlchemyAsyncConfig, target: Background, quota: MailQuota | None = None) -> None:
    """Every session made from ``db`` from now on hands its committed sends to ``target``,
    and queues them within ``quota``'s caps."""
    db.session_config.info = session_info(target, quota)
