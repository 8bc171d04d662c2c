"""The per-user rate limit (``BILLCRAFT_RATE_LIMIT``, default 100 requests a minute), shared
by REST and MCP and, through Redis, by every replica; in memory in embedded mode. Counting
is the ``limits`` library's moving window, so the 101st request within any minute is
refused, whatever instance it reaches.

Every authenticated answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset``; a refused one is a 429 problem with ``Retry-After``.

When Redis cannot be reached the limit fails open: requests go through uncounted (and a
warning is logged) rather than the whole API going down with the counter."""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.exceptions import RedisError

from app.config import Settings
from app.domain.access import Principal

log = structlog.get_logger("billcraft.ratelimit")


class RateLimit:
    def __init__(self, settings: Settings) -> None:
        self.item: RateLimitItem = parse(settings.rate_limit)
        storage: Storage
        if settings.redis_url:
            uri = "async+" + settings.redis_url
            storage = RedisStorage(uri, implementation="redispy", key_prefix=f"{settings.redis_prefix}:ratelimit")
        else:
            storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)

    async def hit(self, user: str) -> dict[str, str]:
        """Count one request of ``user``; the headers to send, or a 429."""
        try:
            allowed = await self.limiter.hit(self.item, "user", user)
            stats = await self.limiter.get_window_stats(self.item, "user", user)
        except (RedisError, OSError) as exc:
            log.warning("rate limit store unreachable; request let through uncounted", error=str(exc))
            return {}
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(max(0, stats.remaining)),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{self.item.amount};w={self.item.get_expiry()}",
        }
        if not allowed:
            retry = str(max(reset, 1))
            raise TooManyRequestsException(
                f"more than {self.item.amount} requests in {self.item.get_expiry()} seconds; retry in {retry} s",
                headers={**headers, "Retry-After": retry},
            )
        return headers


class RateLimitMiddleware(ASGIMiddleware):
    """Counts every request that authentication let through, per user."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user: Any = scope.get("user")
        if not isinstance(user, Principal):
            await next_app(scope, receive, send)
            return
        headers = await self.limit.hit(str(user.user_id))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableScopeHeaders.from_message(message)
                for name, value in headers.items():
                    mutable[name] = value
            await send(message)

        await next_app(scope, receive, send_with_headers)
