"""Each workspace's part of a person's figures across workspaces (issue 18, the web's
overview): ``shares_for_user`` gives, per workspace and currency, the same figures as
``for_user`` (they add up to its totals), each workspace's percent of its currency's
invoiced and outstanding totals, and nothing of workspaces the person is not in."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from app.domain.access import Principal
from app.domain.billing import Billing
from app.domain.errors import Forbidden
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import invoice_in, item


async def test_shares_add_up_to_the_cross_workspace_totals(billing: Billing) -> None:
    user = await make_principal(billing, "agency")
    studio = await make_workspace(billing, user)
    lab = await make_workspace(billing, user, currency="EUR")
    await invoice_in(billing, studio, "sent", items=[item("A", 1, 300)])
    await invoice_in(billing, studio, "paid", items=[item("B", 1, 100)])
    await invoice_in(billing, studio, "draft", items=[item("Not invoiced yet", 1, 1000)])
    await invoice_in(billing, studio, "cancelled", items=[item("Cancelled", 1, 5000)])
    await invoice_in(billing, lab, "overdue", currency="USD", items=[item("C", 1, 600)])
    await invoice_in(billing, lab, "sent", items=[item("D", 1, 50)])
    stranger = await make_principal(billing, "stranger")
    await invoice_in(billing, await make_workspace(billing, stranger), "sent", items=[item("Theirs", 1, 999)])

    totals = {c.currency: c for c in (await billing.stats.for_user(user)).currencies}
    shares = await billing.stats.shares_for_user(user)
    assert {s.company_slug for s in shares} == {studio.workspace.slug, lab.workspace.slug}
    assert [(s.currency, s.company_slug) for s in shares] == [
        ("EUR", lab.workspace.slug),
        ("USD", lab.workspace.slug),  # 600 of 1000 invoiced: the larger share first
        ("USD", studio.workspace.slug),
    ]
    summed: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for share in shares:
        for name in ("total_invoiced", "total_paid", "total_outstanding", "total_overdue"):
            summed[share.currency][name] += Decimal(getattr(share, name))
        summed[share.currency]["invoice_count"] += share.invoice_count
    for currency, figures in totals.items():
        for name in ("total_invoiced", "total_paid", "total_outstanding", "total_overdue", "invoice_count"):
            assert summed[currency][name] == Decimal(str(getattr(figures, name))), (currency, name)

    by = {(s.currency, s.company_slug): s for s in shares}
    usd_studio, usd_lab = by["USD", studio.workspace.slug], by["USD", lab.workspace.slug]
    assert (usd_studio.total_invoiced, usd_studio.total_paid, usd_studio.total_outstanding) == (
        "400.00",
        "100.00",
        "300.00",
    )
    assert (usd_studio.invoice_count, usd_studio.name) == (4, studio.workspace.name)
    assert (usd_lab.share_of_invoiced, usd_studio.share_of_invoiced) == (60.0, 40.0)
    assert (usd_lab.share_of_outstanding, usd_studio.share_of_outstanding) == (66.7, 33.3)
    assert usd_lab.total_overdue == "600.00"
    assert by["EUR", lab.workspace.slug].share_of_invoiced == 100.0


async def test_a_currency_with_nothing_invoiced_has_no_share(billing: Billing) -> None:
    """Only drafts in a currency: listed with zero figures and no percent (not a division by 0)."""
    user = await make_principal(billing, "drafter")
    only = await make_workspace(billing, user)
    await invoice_in(billing, only, "draft", items=[item("Draft", 1, 10)])
    [share] = await billing.stats.shares_for_user(user)
    assert (share.total_invoiced, share.share_of_invoiced, share.share_of_outstanding) == ("0.00", None, None)
    assert share.invoice_count == 1


async def test_shares_need_the_invoices_read_scope(billing: Billing) -> None:
    user = await make_principal(billing, "bot")
    await make_workspace(billing, user)
    limited = Principal(user_id=user.user_id, name="bot", scopes=frozenset({"clients:read"}))
    with pytest.raises(Forbidden):
        await billing.stats.shares_for_user(limited)
