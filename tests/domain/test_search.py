"""List searches take the text as typed: LIKE's wildcards are plain characters."""

from __future__ import annotations

import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.schemas import ClientInput, InvoiceFilter
from tests.domain.helpers import create

NAMES = ["Fifty 50% Off Ltd", "Under_score Co", "Underscore Co", "Back\\slash Inc", "Plain Partners"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("%", {"Fifty 50% Off Ltd"}),
        ("_", {"Under_score Co"}),
        ("\\", {"Back\\slash Inc"}),
        ("UNDER", {"Under_score Co", "Underscore Co"}),
    ],
)
async def test_client_and_invoice_searches_match_wildcards_literally(
    billing: Billing, access: WorkspaceAccess, typed: str, expected: set[str]
) -> None:
    """ "%" finds only names containing a percent sign, "_" only an underscore, "\\" only a
    backslash; letters still match whatever their case. Clients by name, invoices by title."""
    for name in NAMES:
        await billing.clients.create_client(access, ClientInput(name=name))
        await create(billing, access, title=name)
    clients = await billing.clients.list_page(access, typed, 1, 100)
    assert {c.name for c in clients.items} == expected
    invoices = await billing.invoices.list_page(access, InvoiceFilter(search=typed, per_page=100))
    assert {i.title for i in invoices.items} == expected


async def test_a_search_holding_a_nul_character_finds_nothing_on_either_database(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """No stored name holds a NUL, so "Inc" + NUL finds nothing: not the "Back\\slash Inc"
    that SQLite's LIKE found by stopping at the NUL (the pattern "%inc"), nor an error from
    PostgreSQL. (A web page test found it when a random client name happened to end in "a".)"""
    for name in NAMES:
        await billing.clients.create_client(access, ClientInput(name=name))
        await create(billing, access, title=name)
    assert (await billing.clients.list_page(access, "Inc", 1, 100)).items
    assert not (await billing.clients.list_page(access, "Inc\x00", 1, 100)).items
    invoices = await billing.invoices.list_page(access, InvoiceFilter(search="Inc\x00", per_page=100))
    assert not invoices.items
