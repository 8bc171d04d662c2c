"""The per-user rate limit holds across replicas: two ``billcraft serve`` instances on
loopback share the machine's Redis, and the 101st request of one user within a minute is
refused with 429 and ``Retry-After`` whichever instance it reaches, REST and MCP alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.conftest import REDIS_URL
from tests.mcp.conftest import NewAccount, http_client
from tests.processes import ProcessEnv, serve


@pytest.fixture
def two_instances(
    process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory, redis_prefix: str
) -> Iterator[list[str]]:
    settings = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix, "rate_limit": "100/minute"}
    logs = tmp_path_factory.mktemp("replicas")
    with ExitStack() as stack:
        yield [stack.enter_context(serve(process_env, logs / f"web{i}.log", **settings)) for i in (1, 2)]


async def test_the_101st_request_in_a_minute_is_refused_on_whichever_replica_it_reaches(
    two_instances: list[str], new_account: NewAccount
) -> None:
    account = await new_account()
    headers = {"Authorization": f"Bearer {account.token}"}
    async with httpx.AsyncClient(timeout=30, headers=headers) as web:

        async def rest(i: int) -> httpx.Response:
            return await web.get(f"{two_instances[i % 2]}/api/v1/workspaces/{account.slug}/invoices")

        # 90 REST requests alternating between the two instances: one count for both.
        for i in range(90):
            response = await rest(i)
            assert response.status_code == 200, response.text
            assert response.headers["RateLimit-Limit"] == "100"
            assert int(response.headers["RateLimit-Remaining"]) == 100 - (i + 1)
        # MCP requests are counted with them.
        async with http_client(two_instances[1], account.token) as mcp:
            assert not (await mcp.call_tool("workspace", {"action": "list"})).is_error
        served = 90
        i = 0
        while True:
            response = await rest(i)
            if response.status_code != 200:
                break
            served = 100 - int(response.headers["RateLimit-Remaining"])
            i += 1
        assert served == 100, "every request up to the 100th was served"
        assert i < 10, "the MCP calls were counted too"
        assert response.status_code == 429
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["RateLimit-Remaining"] == "0"
        for base in two_instances:
            assert (await web.get(f"{base}/api/v1/workspaces")).status_code == 429
        mcp_refused = await web.post(
            f"{two_instances[0]}/api/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
        )
        assert mcp_refused.status_code == 429
        assert "Retry-After" in mcp_refused.headers

        other = await new_account()
        response = await web.get(
            f"{two_instances[0]}/api/v1/workspaces", headers={"Authorization": f"Bearer {other.token}"}
        )
        assert response.status_code == 200, "another user has a count of their own"
