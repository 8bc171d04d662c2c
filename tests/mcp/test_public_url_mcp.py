"""Over MCP (a served process, the SDK's client on Streamable HTTP) an invoice's
``public_url`` is null while it is a draft, finalized or not, and once sent it is the
client's page, which answers 200 without an account; REST shows the very same value."""

from __future__ import annotations

import httpx

from tests.mcp.conftest import NewAccount, http_client
from tests.mcp.support import THREE_ITEMS, call


async def test_a_draft_and_a_finalized_draft_have_no_public_url_and_a_sent_invoice_has_one_that_opens(
    served: str, new_account: NewAccount
) -> None:
    owner = await new_account()
    slug = owner.slug
    async with http_client(served, owner.token) as client, httpx.AsyncClient(base_url=served, timeout=30) as http:
        rest = {"Authorization": f"Bearer {owner.token}"}
        customer = await call(client, "save_client", company_slug=slug, name="Acme", email="ap@acme.example")
        draft = await call(
            client,
            "create_invoice",
            company_slug=slug,
            title="Retainer",
            client_uuid=customer["uuid"],
            items=THREE_ITEMS,
        )
        uuid = draft["uuid"]
        assert draft["public_url"] is None
        assert (await call(client, "invoice", action="get", company_slug=slug, uuid=uuid))["public_url"] is None

        finalized = await call(client, "finalize_invoice", company_slug=slug, uuid=uuid)
        assert finalized["number"]
        assert (finalized["status"], finalized["public_url"]) == ("draft", None)
        by_rest = await http.get(f"/api/v1/workspaces/{slug}/invoices/{uuid}", headers=rest)
        assert by_rest.json()["public_url"] is None

        await call(client, "send_invoice", company_slug=slug, uuid=uuid, notify=False, dry_run=True)
        after_rehearsal = await call(client, "get_invoice", company_slug=slug, uuid=uuid)
        assert after_rehearsal["public_url"] is None, "a dry run publishes nothing"

        sent = await call(client, "send_invoice", company_slug=slug, uuid=uuid, notify=False)
        url = sent["public_url"]
        assert isinstance(url, str)
        assert url.startswith(f"{served}/i/")
        assert (await call(client, "get_invoice", company_slug=slug, uuid=uuid))["public_url"] == url
        assert (await http.get(f"/api/v1/workspaces/{slug}/invoices/{uuid}", headers=rest)).json()["public_url"] == url

        page = await http.get(url)  # no token, no session: the client's view
        assert page.status_code == 200
        assert finalized["number"] in page.text
