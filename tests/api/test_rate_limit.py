"""The rate limit in embedded mode (in memory), and with Redis: counted per user across REST and MCP, with
``RateLimit-*`` headers on every answer and a 429 problem with ``Retry-After`` past it."""

from __future__ import annotations

import dataclasses

import pytest
import redis
from litestar.exceptions import TooManyRequestsException
from litestar.testing import AsyncTestClient

from app.config import Settings
from app.ratelimit import RateLimit
from app.server import create_app
from tests.api.conftest import make_caller
from tests.conftest import REDIS_URL


async def test_requests_past_the_limit_get_429_with_retry_after_and_other_users_do_not(migrated: Settings) -> None:
    app = create_app(dataclasses.replace(migrated, rate_limit="5/minute"))
    # A loopback host, which the MCP endpoint's Host check accepts.
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as client:
        # make_caller spends one request (creating the workspace) of each user's five.
        ada = await make_caller(client, migrated)
        bob = await make_caller(client, migrated)
        remaining = []
        for _ in range(3):
            response = await ada.get("/invoices")
            assert response.status_code == 200
            remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert remaining == [3, 2, 1]
        mcp = await client.post(
            "/api/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={
                **ada.headers,
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-11-25",
            },
        )
        assert mcp.status_code == 200
        assert mcp.headers["RateLimit-Remaining"] == "0"
        refused = await ada.get("/invoices")
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["RateLimit-Limit"] == "5"
        assert (await bob.get("/invoices")).status_code == 200


async def test_with_redis_the_hit_and_its_window_are_counted_like_the_library_and_survive_a_script_flush(
    migrated: Settings, redis_prefix: str
) -> None:
    """The pipelined round trip gives the same counts as the limits library's own calls,
    and a Redis that lost its scripts (restarted, flushed) is still counted."""
    shared = dataclasses.replace(migrated, rate_limit="4/minute", redis_url=REDIS_URL, redis_prefix=redis_prefix)
    limit = RateLimit(shared)
    first = await limit.hit("ada")
    assert first["RateLimit-Remaining"] == "3"
    assert 59 <= int(first["RateLimit-Reset"]) <= 60
    redis.Redis.from_url(REDIS_URL).script_flush()
    assert (await limit.hit("ada"))["RateLimit-Remaining"] == "2"  # through the library, which reloads
    assert (await limit.hit("ada"))["RateLimit-Remaining"] == "1"  # pipelined again
    stats = await limit.limiter.get_window_stats(limit.item, "user", "ada")
    assert stats.remaining == 1  # the library reads the window the pipeline wrote
    assert (await limit.hit("ada"))["RateLimit-Remaining"] == "0"
    with pytest.raises(TooManyRequestsException) as refused:
        await limit.hit("ada")
    assert (refused.value.headers or {})["RateLimit-Remaining"] == "0"
    assert (await limit.hit("bob"))["RateLimit-Remaining"] == "3"
