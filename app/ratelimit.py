"""The per-user rate limit (``BILLCRAFT_RATE_LIMIT``, default 100 requests a minute), shared
by REST and MCP and, through Redis, by every replica; in memory in embedded mode. Counting
is the ``limits`` library's moving window, so the 101st request within any minute is
refused, whatever instance it reaches.

Every authenticated answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset``; a refused one is a 429 problem with ``Retry-After``.

When Redis cannot be reached the limit fails open: requests go through uncounted (and a
warning is logged) rather than the whole API going down with the counter.

Sign-in has its own throttle (``SignInThrottle``): failed passwords are counted per email
and per client address, and past the limit sign-in is refused for a while, even with the
right password, so a password cannot be guessed by trying many.

The OAuth endpoints that need no sign-in (registration, authorization, token) are counted
per client address (``OAuthRateLimit``, ``BILLCRAFT_OAUTH_RATE_LIMIT``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import time
import uuid
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
from redis.exceptions import NoScriptError, RedisError

from app.config import Settings
from app.domain.access import Principal
from app.domain.mail_limits import EmailLimitReached

log = structlog.get_logger("billcraft.ratelimit")


def _storage(settings: Settings, name: str) -> Storage:
    """Counters shared by every replica through Redis; in this process in embedded mode."""
    if settings.redis_url:
        uri = "async+" + settings.redis_url
        return RedisStorage(uri, implementation="redispy", key_prefix=f"{settings.redis_prefix}:{name}")
    return MemoryStorage()


class RateLimit:
    def __init__(self, settings: Settings) -> None:
        self.item: RateLimitItem = parse(settings.rate_limit)
        self.limiter = MovingWindowRateLimiter(_storage(settings, "ratelimit"))

    async def hit(self, user: str) -> dict[str, str]:
        """Count one request of ``user``; the headers to send, or a 429."""
        try:
            allowed, reset_time, remaining = await self._counted(user)
        except (RedisError, OSError) as exc:
            log.warning("rate limit store unreachable; request let through uncounted", error=str(exc))
            return {}
        reset = max(0, math.ceil(reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(max(0, remaining)),
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

    async def _counted(self, user: str) -> tuple[bool, float, int]:
        """The hit, and the window it leaves (reset time, remaining). With Redis, the
        library's own two moving-window scripts go in one pipelined round trip: every API
        request pays it, and a round trip costs more than the scripts. Scripts not loaded
        yet (a new or restarted Redis): the library's calls, which load them."""
        bridge = getattr(self.limiter.storage, "bridge", None)
        if bridge is None or not hasattr(bridge, "lua_acquire_moving_window"):
            return await self._library_counted(user)
        key = bridge.prefixed_key(self.item.key_for("user", user))
        amount, expiry, now = self.item.amount, self.item.get_expiry(), time.time()
        pipe = bridge.get_connection().pipeline(transaction=False)
        pipe.evalsha(bridge.lua_acquire_moving_window.sha, 1, key, now, amount, expiry, 1)
        pipe.evalsha(bridge.lua_moving_window.sha, 1, key, now - expiry, amount)
        try:
            acquired, window = await pipe.execute()
        except NoScriptError:
            return await self._library_counted(user)
        start, count = (float(window[0]), int(window[1])) if window else (now, 0)
        return bool(acquired), start + expiry, amount - count

    async def _library_counted(self, user: str) -> tuple[bool, float, int]:
        allowed = await self.limiter.hit(self.item, "user", user)
        stats = await self.limiter.get_window_stats(self.item, "user", user)
        return allowed, stats.reset_time, stats.remaining


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


class SignInThrottle:
    """Failed sign-ins: at most ``PER_EMAIL`` per email and ``PER_ADDRESS`` per client
    address in a quarter of an hour. The email is counted whether or not an account has
    it, so the refusal says nothing about who has one. A success clears its email's count."""

    PER_EMAIL = parse("5/15minutes")
    PER_ADDRESS = parse("30/15minutes")

    def __init__(self, settings: Settings) -> None:
        self.limiter = MovingWindowRateLimiter(_storage(settings, "signin"))

    def _keys(self, email: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        return [(self.PER_EMAIL, "email", email.strip().lower()), (self.PER_ADDRESS, "address", address)]

    async def wait_seconds(self, email: str, address: str) -> int:
        """0 when a sign-in may be tried now, else how long until it may."""
        try:
            for item, kind, key in self._keys(email, address):
                if not await self.limiter.test(item, kind, key):
                    stats = await self.limiter.get_window_stats(item, kind, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except (RedisError, OSError) as exc:
            log.warning("sign-in throttle store unreachable; attempt let through uncounted", error=str(exc))
        return 0

    async def failed(self, email: str, address: str) -> None:
        try:
            for item, kind, key in self._keys(email, address):
                await self.limiter.hit(item, kind, key)
        except (RedisError, OSError) as exc:
            log.warning("sign-in throttle store unreachable; failure not counted", error=str(exc))

    async def succeeded(self, email: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self.limiter.clear(self.PER_EMAIL, "email", email.strip().lower())


def _window(item: RateLimitItem) -> str:
    """``hour``, ``day``, ``3 hours``: the window of a limit in words."""
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


class MailLimits:
    """The email caps of ``app.domain.mail_limits``, counted with the ``limits`` library's
    moving window: per workspace (``BILLCRAFT_MAIL_LIMIT_WORKSPACE``) and per recipient
    across all workspaces (``BILLCRAFT_MAIL_LIMIT_RECIPIENT``; the key is a hash of the
    address, so the counter store holds no addresses). A dry run checks without counting.

    Like the request limit, the caps fail open when Redis cannot be reached (a warning is
    logged): sends go on uncounted rather than stopping with the counter."""

    def __init__(self, settings: Settings) -> None:
        self.per_workspace = parse(settings.mail_limit_workspace)
        self.per_recipient = parse(settings.mail_limit_recipient)
        self.limiter = MovingWindowRateLimiter(_storage(settings, "mail"))

    async def take(self, workspace_id: uuid.UUID, recipients: list[str], *, dry_run: bool) -> None:
        workspace = (self.per_workspace, "workspace", str(workspace_id), len(recipients))
        caps = [workspace] + [
            (self.per_recipient, "recipient", hashlib.sha256(address.encode()).hexdigest(), 1) for address in recipients
        ]
        try:
            for item, kind, key, cost in caps:
                if not await self.limiter.test(item, kind, key, cost=cost):
                    stats = await self.limiter.get_window_stats(item, kind, key)
                    raise self._refusal(item, kind, key, recipients, stats.reset_time)
            if not dry_run:
                for item, kind, key, cost in caps:
                    await self.limiter.hit(item, kind, key, cost=cost)
        except (RedisError, OSError) as exc:
            log.warning("mail limit store unreachable; emails let through uncounted", error=str(exc))

    def _refusal(
        self, item: RateLimitItem, kind: str, key: str, recipients: list[str], reset_time: float
    ) -> EmailLimitReached:
        retry = max(1, math.ceil(reset_time - time.time()))
        resets_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=retry)
        if kind == "workspace":
            limit = f"this workspace may send at most {item.amount} emails per {_window(item)}"
            if len(recipients) > 1:
                limit += f" ({len(recipients)} asked now)"
        else:
            address = next(a for a in recipients if hashlib.sha256(a.encode()).hexdigest() == key)
            limit = f"{address} may be sent at most {item.amount} emails per {_window(item)}"
        return EmailLimitReached(limit, retry, resets_at)


class OAuthRateLimit:
    """Requests per client address to the OAuth endpoints anyone may call without signing
    in, registration, authorization and token (``BILLCRAFT_OAUTH_RATE_LIMIT``, default
    30 a minute, one count for all of them): each may make the server write a client or
    fetch a client's metadata document. Fails open, like the others, when Redis is down."""

    def __init__(self, settings: Settings) -> None:
        self.item: RateLimitItem = parse(settings.oauth_rate_limit)
        self.limiter = MovingWindowRateLimiter(_storage(settings, "oauth"))

    async def wait_seconds(self, address: str) -> int:
        """Count one request from ``address``: 0 when it may go on, else how long until
        another may."""
        try:
            if await self.limiter.hit(self.item, "address", address):
                return 0
            stats = await self.limiter.get_window_stats(self.item, "address", address)
        except (RedisError, OSError) as exc:
            log.warning("OAuth rate limit store unreachable; request let through uncounted", error=str(exc))
            return 0
        return max(1, math.ceil(stats.reset_time - time.time()))
