"""The client's public invoice page, reached by its unguessable token without an account:
drafts are not public, a sent invoice shows its figures and a PDF download, the token is
kept out of referrers and search engines, and the tracking pixel answers the same whatever
it is given. Also the bounce webhook's refusals (the accepted path runs in the worker tests,
against a served Billcraft)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from app.api.webhooks import sign, verify
from app.db.models import Invoice
from app.domain import tenancy
from app.domain.errors import Unauthenticated
from tests.api.conftest import Caller

ITEMS = [{"description": "Strategy workshop", "quantity": 2, "unit_price": 1250}]


async def _invoice(caller: Caller, send: bool) -> dict[str, object]:
    created = await caller.post("/invoices", json={"title": "Brand refresh", "items": ITEMS})
    assert created.status_code == 201, created.text
    if not send:
        return dict(created.json())
    sent = await caller.post(f"/invoices/{created.json()['uuid']}/send", json={"notify": False})
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


def _path(invoice: dict[str, object]) -> str:
    assert isinstance(invoice["public_url"], str), invoice["public_url"]
    return "/i/" + invoice["public_url"].rsplit("/i/", 1)[1]


async def public_token(db: Any, invoice_uuid: str) -> str:
    """An invoice's public token as stored, whatever its JSON shows (a system transaction, so
    that row-level security lets the read through on PostgreSQL)."""
    async with db.create_session_maker()() as session:
        await tenancy.bind(session, None)
        token = await session.scalar(select(Invoice.public_token).where(Invoice.id == uuid.UUID(invoice_uuid)))
    assert token is not None
    return token


async def test_a_draft_is_not_public_and_a_missing_invoice_page_explains_itself(
    caller: Caller, client: AsyncTestClient[Litestar], db: Any
) -> None:
    """A draft has no public_url, and its token (read from the database) opens nothing."""
    draft = await _invoice(caller, send=False)
    assert draft["public_url"] is None
    draft_path = f"/i/{await public_token(db, str(draft['uuid']))}"
    for path in (draft_path, "/i/not-a-token", draft_path + "/pdf"):
        page = await client.get(path)
        assert page.status_code == 404
        assert "Invoice not found" in page.text
        assert page.headers["content-type"].startswith("text/html")


async def test_the_public_pages_name_their_charset_once(caller: Caller, client: AsyncTestClient[Litestar]) -> None:
    """The invoice page and the not-found page say "text/html; charset=utf-8", exactly."""
    invoice = await _invoice(caller, send=True)
    client.cookies.clear()
    for path, status in ((_path(invoice), 200), ("/i/not-a-token", 404)):
        page = await client.get(path)
        assert page.status_code == status
        assert page.headers["content-type"] == "text/html; charset=utf-8"


async def test_a_sent_invoice_page_shows_its_figures_and_offers_the_pdf_privately(
    caller: Caller, client: AsyncTestClient[Litestar]
) -> None:
    invoice = await _invoice(caller, send=True)
    client.cookies.clear()
    page = await client.get(_path(invoice))
    assert page.status_code == 200
    assert str(invoice["number"]) in page.text
    assert "$2,500.00" in page.text
    assert "Awaiting payment" in page.text
    assert f'href="{_path(invoice)}/pdf"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in page.headers["x-robots-tag"]
    assert "set-cookie" not in page.headers, "a client's visit starts no session"
    pdf = await client.get(_path(invoice) + "/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("pixel", ["nothing.gif", "x" * 40 + ".gif"])
async def test_the_pixel_answers_the_same_image_whatever_the_tokens(
    caller: Caller, client: AsyncTestClient[Litestar], pixel: str
) -> None:
    invoice = await _invoice(caller, send=True)
    for path in (f"{_path(invoice)}/seen/{pixel}", f"/i/unknown/seen/{pixel}"):
        answer = await client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/gif"
        assert answer.content.startswith(b"GIF89a")


async def test_the_bounce_webhook_is_not_there_until_a_secret_is_configured(
    client: AsyncTestClient[Litestar],
) -> None:
    """Without BILLCRAFT_BOUNCE_SECRET the webhook answers exactly as a route that does not
    exist: a 404 problem with its code, not a 503 that tells senders to retry."""
    headers = {"Content-Type": "application/json"}
    answer = await client.post("/webhooks/bounces", content=b"{}", headers=headers)
    missing = await client.post("/webhooks/no-such-hook", content=b"{}", headers=headers)
    assert answer.status_code == missing.status_code == 404
    assert answer.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
    assert answer.json() == missing.json()
    assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("header", "body", "at"),
    [
        (sign("secret", b"{}"), b'{"x": 1}', None),  # the body was changed
        (sign("other", b"{}"), b"{}", None),  # another secret
        (sign("secret", b"{}", int(time.time()) - 3600), b"{}", None),  # replayed an hour later
        ("v1=deadbeef", b"{}", None),  # no time
    ],
)
def test_a_bounce_signature_must_match_the_body_the_secret_and_be_recent(
    header: str, body: bytes, at: float | None
) -> None:
    verify("secret", sign("secret", b"{}"), b"{}")  # the genuine one passes
    with pytest.raises(Unauthenticated) as refused:
        verify("secret", header, body, at)
    assert refused.value.code == "bad_signature"
