"""One idempotency key means one operation whichever face sends it: a create sent over REST
and retried through the MCP tool with the same key and arguments gets the first invoice
back, not a second one; the same key with other arguments is refused on MCP as on REST."""

from __future__ import annotations

import uuid

import httpx

from tests.mcp.conftest import Account, http_client
from tests.mcp.support import invoice, refused

ITEMS = [{"description": "Design", "quantity": 3, "unit_price": "120.00", "tax_rate": "19"}]


async def test_a_key_used_over_rest_replays_over_mcp_and_refuses_other_arguments(served: str, owner: Account) -> None:
    key = f"retry-{uuid.uuid4()}"
    body = {"title": "Sent from two faces", "items": ITEMS}
    async with httpx.AsyncClient(base_url=served, headers={"Authorization": f"Bearer {owner.token}"}) as rest:
        first = await rest.post(
            f"/api/v1/workspaces/{owner.slug}/invoices", json=body, headers={"Idempotency-Key": key}
        )
        assert first.status_code == 201, first.text
        async with http_client(served, owner.token) as client:
            again = await invoice(client, "create", owner.slug, idempotency_key=key, **body)
            assert again["uuid"] == first.json()["uuid"]
            _, error = refused(
                await client.call_tool(
                    "invoice",
                    {"action": "create", "company_slug": owner.slug, "idempotency_key": key,
                     "title": "Something else", "items": ITEMS},
                )
            )  # fmt: skip
            assert error["code"] == "idempotency_key_reused"
        listed = await rest.get(f"/api/v1/workspaces/{owner.slug}/invoices", params={"search": "two faces"})
        assert listed.json()["total"] == 1
