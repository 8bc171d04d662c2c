"""The invoice card of MCP Apps (issue 20): the tools that answer one invoice point at
``ui://billcraft/invoice-card.html``, the served page reads as a resource through the SDK
client, and in Chromium, with every request refused, it shows the invoice a host hands it
and asks the host to call the tool of an action the invoice allows."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.mcp.conftest import Account, http_client
from tests.mcp.support import THREE_ITEMS, call, invoice

CARD = "ui://billcraft/invoice-card.html"
ONE_INVOICE = {"get_invoice", "create_invoice", "update_invoice", "duplicate_invoice", "create_invoice_from_previous",
               "finalize_invoice", "send_invoice", "mark_invoice_paid", "cancel_invoice"}  # fmt: skip


async def test_the_invoice_card_shows_the_invoice_offline_and_asks_the_host_for_allowed_actions(
    served: str, owner: Account, browser: Browser
) -> None:
    async with http_client(served, owner.token) as client:
        tools = (await client.list_tools()).tools
        bound = {t.name for t in tools if ((t.meta or {}).get("ui") or {}).get("resourceUri") == CARD}
        assert bound == ONE_INVOICE
        listed = [str(r.uri) for r in (await client.list_resources()).resources]
        assert CARD in listed
        (content,) = (await client.read_resource(CARD)).contents
        assert content.mime_type == "text/html;profile=mcp-app"
        html = content.text  # type: ignore[union-attr]
        customer = await call(client, "client", action="create", company_slug=owner.slug, name="Globex & <Sons>")
        draft = await invoice(client, "create", owner.slug, title="Website", client_uuid=customer["uuid"],
                              items=THREE_ITEMS)  # fmt: skip

    context = await browser.new_context(offline=True)
    requests: list[str] = []
    await context.route("**/*", lambda route: route.abort())
    page = await context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    await page.set_content(html)
    await page.evaluate("window.__asked = []; window.addEventListener('message', e => window.__asked.push(e.data))")
    host = "(message) => window.postMessage(message, '*')"
    arguments = {"company_slug": owner.slug, "uuid": draft["uuid"]}
    await page.evaluate(
        host, {"jsonrpc": "2.0", "method": "ui/notifications/tool-input", "params": {"arguments": arguments}}
    )
    await page.evaluate(
        host, {"jsonrpc": "2.0", "method": "ui/notifications/tool-result", "params": {"structuredContent": draft}}
    )

    await expect(page.get_by_role("heading", name="Website")).to_be_visible()
    await expect(page.locator("#client")).to_have_text("Globex & <Sons>")  # text, never markup
    await expect(page.locator("#total")).to_have_text(f"{draft['total']} {draft['currency']}")
    await expect(page.locator("#lines tr")).to_have_count(len(THREE_ITEMS))
    await expect(page.get_by_role("button", name="Send")).to_be_visible()
    await expect(page.get_by_role("button", name="Record payment")).to_have_count(0)  # not for a draft

    await page.get_by_role("button", name="Send").click()
    await page.wait_for_function("window.__asked.some(m => m.method === 'tools/call')")  # postMessage is async
    asked = await page.evaluate("window.__asked.filter(m => m.method === 'tools/call')")
    assert [m["params"] for m in asked] == [
        {"name": "send_invoice", "arguments": {"company_slug": owner.slug, "uuid": draft["uuid"]}}
    ]
    assert refused == [], refused
    assert [url for url in requests if not url.startswith(("about:", "data:"))] == []
    await context.close()
