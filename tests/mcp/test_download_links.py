"""Links, not blobs: ``get_invoice_pdf`` answers with a resource link to a signed download
URL (name, size, type) instead of the file, so the PDF never fills the model's context; the
file comes embedded only when asked. The link works without a token while it lives, for a
person still in the workspace, and is refused once altered, expired or when they are gone.
Through the SDK's client over HTTP against a served Billcraft, and httpx for the link."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
import mcp_types as types

from app.downloads import DownloadLink, sign_link
from tests.mcp.conftest import Account, NewAccount, http_client
from tests.mcp.support import call

ITEMS = [{"description": "Design", "quantity": 3, "unit_price": "120.00", "tax_rate": "19"}]


async def _invoice(client: Any, slug: str) -> dict[str, Any]:
    draft = await call(client, "create_invoice", company_slug=slug, title="Linked", items=ITEMS)
    return dict(await call(client, "finalize_invoice", company_slug=slug, uuid=draft["uuid"]))


async def test_the_pdf_comes_as_a_link_that_works_without_a_token_and_is_small(served: str, owner: Account) -> None:
    async with http_client(served, owner.token) as client:
        invoice = await _invoice(client, owner.slug)
        linked = await client.call_tool("get_invoice_pdf", {"company_slug": owner.slug, "uuid": invoice["uuid"]})
        embedded = await client.call_tool(
            "get_invoice_pdf", {"company_slug": owner.slug, "uuid": invoice["uuid"], "embed": True}
        )
    assert not linked.is_error, linked.content
    links = [c for c in linked.content if isinstance(c, types.ResourceLink)]
    assert len(links) == 1
    assert not [c for c in linked.content if isinstance(c, types.EmbeddedResource)]
    link, summary = links[0], linked.structured_content
    assert summary is not None
    assert (link.mime_type, link.name, str(link.uri)) == ("application/pdf", summary["filename"], summary["url"])
    assert link.name == f"invoice-{invoice['number']}.pdf"
    expires = dt.datetime.fromisoformat(summary["expires_at"])
    assert dt.timedelta(minutes=9) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=10)

    async with httpx.AsyncClient(timeout=60) as anonymous:
        pdf = await anonymous.get(str(link.uri))
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) == link.size == summary["bytes"]

    # The answer a model reads is a few hundred bytes; with embed, the whole file in base64.
    small = len(json.dumps(linked.model_dump(mode="json")))
    large = len(json.dumps(embedded.model_dump(mode="json")))
    assert small < 4_000 < len(pdf.content) < large


async def test_an_altered_or_expired_link_is_refused_and_so_is_one_for_someone_who_left(
    served: str, owner: Account, new_account: NewAccount, migrated: Any
) -> None:
    member = await new_account()
    async with http_client(served, owner.token) as client:
        invoice = await _invoice(client, owner.slug)
        added = await call(client, "workspace", action="add_member", company_slug=owner.slug, email=member.email)
        async with http_client(served, member.token) as theirs:
            linked = await theirs.call_tool("get_invoice_pdf", {"company_slug": owner.slug, "uuid": invoice["uuid"]})
        assert linked.structured_content is not None
        url = str(linked.structured_content["url"])
        base, token = url.rsplit("/", 1)
        head, claims, signature = token.split(".")
        async with httpx.AsyncClient(timeout=60) as anonymous:
            assert (await anonymous.get(url)).status_code == 200
            for altered in (f"{head}.{claims}.{signature[:-4]}AAAA", f"{head}.{claims[:-2]}xx.{signature}", "nope"):
                refused = await anonymous.get(f"{base}/{altered}")
                assert refused.status_code == 404, refused.text
                assert refused.json()["code"] == "download_link_invalid"

            # Signed with the server's own secret, but past its lifetime: gone, and it says so.
            old = DownloadLink(uuid.UUID(added["user_uuid"]), owner.slug, uuid.UUID(invoice["uuid"]), "pdf")
            stale, _ = sign_link(migrated.secret_key, old, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11))
            expired = await anonymous.get(f"{base}/{stale}")
            assert expired.status_code == 410, expired.text
            assert expired.json()["code"] == "download_link_expired"

            # The member leaves: their link, still young, stops working at once.
            await call(
                client, "workspace", action="remove_member", company_slug=owner.slug, user_uuid=added["user_uuid"]
            )
            gone = await anonymous.get(url)
            assert gone.status_code == 404, gone.text
