"""The rate limit in embedded mode (in memory): counted per user across REST and MCP, with
``RateLimit-*`` headers on every answer and a 429 problem with ``Retry-After`` past it."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from app.config import Settings
from app.server import create_app
from tests.api.conftest import make_caller


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
