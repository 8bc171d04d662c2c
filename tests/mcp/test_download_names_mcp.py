"""get_invoice_pdf names the PDF safely whatever the invoice number holds (the same name as
REST and the public page), and the download link it gives answers with that name in its
Content-Disposition: over Streamable HTTP against the served process."""

from __future__ import annotations

from typing import Any

import httpx
import mcp_types as types
import pytest

from tests.hostile_numbers import HOSTILE_NUMBERS, force_number
from tests.mcp.conftest import Account, http_client
from tests.mcp.support import call


@pytest.mark.parametrize(("number", "filename", "header"), HOSTILE_NUMBERS)
async def test_get_invoice_pdf_names_the_file_safely_whatever_the_number(
    served: str, owner: Account, db: Any, number: str, filename: str, header: str
) -> None:
    async with http_client(served, owner.token) as client:
        draft = await call(
            client,
            "create_invoice",
            company_slug=owner.slug,
            title="Hostile number",
            items=[{"description": "Work", "quantity": 1, "unit_price": 100}],
        )
        await call(client, "finalize_invoice", company_slug=owner.slug, uuid=draft["uuid"])
        await force_number(db, draft["uuid"], number)
        pdf = await client.call_tool("get_invoice_pdf", {"company_slug": owner.slug, "uuid": draft["uuid"]})
    assert not pdf.is_error, pdf.content
    assert pdf.structured_content is not None
    url, size = pdf.structured_content["url"], pdf.structured_content["bytes"]
    texts = [c.text for c in pdf.content if isinstance(c, types.TextContent)]
    assert texts == [f"{filename} ({size} bytes): {url}"]
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {owner.token}"}, timeout=60) as http:
        download = await http.get(url)
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"] == header
