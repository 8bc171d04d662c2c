"""Invoice numbers that no input accepts any more but that a database may still hold
(stored before numbers were checked, or written by hand): the download names built from
them must still be safe. ``force_number`` writes one behind the domain's back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update

from app.db.models import Invoice
from app.domain import tenancy

# (number, the file name every face gives its PDF, the Content-Disposition header carrying
# it), by what the number tries.
HOSTILE_NUMBERS = [
    pytest.param(
        "x/../../../tmp/pwned1",
        "invoice-x-tmp-pwned1.pdf",
        'inline; filename="invoice-x-tmp-pwned1.pdf"',
        id="path-traversal",
    ),
    pytest.param(
        "Rechnung-Ä/1",
        "invoice-Rechnung-Ä-1.pdf",
        "inline; filename=\"invoice-Rechnung-A-1.pdf\"; filename*=UTF-8''invoice-Rechnung-%C3%84-1.pdf",
        id="non-ascii",
    ),
    pytest.param(
        'C:\\evil"; x=\x07\u202egnp.exe',
        "invoice-C-evil-x-gnp.exe.pdf",
        'inline; filename="invoice-C-evil-x-gnp.exe.pdf"',
        id="quote-control-bidi",
    ),
]


async def force_number(db: Any, invoice_uuid: str | uuid.UUID, number: str) -> None:
    """Set the invoice's number directly in the test database (as a system transaction, so
    that row-level security lets the update through on PostgreSQL)."""
    async with db.create_session_maker()() as session:
        await tenancy.bind(session, None)
        await session.execute(update(Invoice).where(Invoice.id == uuid.UUID(str(invoice_uuid))).values(number=number))
        await session.commit()
