"""The legacy SSE transport at /api/mcp/sse (the URL Billstride's Claude Desktop snippet
uses): a client connects with its bearer token, lists the tools and calls one."""

from __future__ import annotations

from mcp import Client
from mcp.client.sse import sse_client

from tests.mcp.conftest import Account
from tests.mcp.support import ALL_TOOLS, call, invoice


async def test_sse_transport_lists_the_tools_and_runs_calls(served: str, owner: Account) -> None:
    """Over SSE: the 25 tools, a workspace listing, and an invoice created then read back
    with the totals the server computed."""
    headers = {"Authorization": f"Bearer {owner.token}"}
    async with Client(sse_client(f"{served}/api/mcp/sse", headers=headers)) as client:
        assert client.server_info is not None
        assert client.server_info.name == "billcraft"
        tools = (await client.list_tools()).tools
        assert {t.name for t in tools} == ALL_TOOLS
        listed = await call(client, "workspace", action="list")
        assert [w["company_slug"] for w in listed["items"]] == [owner.slug]
        made = await invoice(
            client,
            "create",
            owner.slug,
            title="Over SSE",
            items=[{"description": "Consulting", "quantity": 10, "unit_price": 120}],
            tax_rate=19,
        )
        assert (made["subtotal"], made["tax_amount"], made["total"]) == ("1200.00", "228.00", "1428.00")
        assert (await invoice(client, "get", owner.slug, uuid=made["uuid"]))["history"][0]["channel"] == "mcp"


async def test_sse_refusals_are_tool_errors_too(served: str, owner: Account) -> None:
    """A refused call over SSE is a tool error with the same text as over Streamable HTTP."""
    headers = {"Authorization": f"Bearer {owner.token}"}
    async with Client(sse_client(f"{served}/api/mcp/sse", headers=headers)) as client:
        result = await client.call_tool("invoice", {"action": "get", "company_slug": owner.slug})
        assert result.is_error
        assert result.structured_content == {
            "error": {
                "code": "validation_error",
                "detail": "uuid: uuid is required for action get",
                "errors": [{"field": "uuid", "message": "uuid is required for action get"}],
            }
        }
