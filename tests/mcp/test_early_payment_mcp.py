"""Billstride's seed story through MCP (issue 21): "Change the due date to net 30 and add a 5%
early payment discount" on a German agency's invoice (€120/hour, 19% VAT). The assistant
updates the draft with the SDK client; REST answers the same terms, and the invoice's
document prints them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from app.documents.html import invoice_html
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from tests.mcp.conftest import NewAccount, http_client
from tests.mcp.support import call, invoice


async def test_net_30_with_a_5_percent_early_payment_discount_through_mcp(
    served: str, new_account: NewAccount, db: Any
) -> None:
    account = await new_account(currency="EUR")
    async with http_client(served, account.token) as client:
        customer = await call(client, "client", action="create", company_slug=account.slug, name="Müller GmbH")
        draft = await invoice(
            client, "create", account.slug, title="Sprint 12", client_uuid=customer["uuid"], tax_rate=19,
            items=[{"description": "Development", "quantity": 10, "unit_price": 120}],
        )  # fmt: skip
        assert (draft["total"], draft["early_payment"]) == ("1428.00", None)  # 1,200 + 19 %
        issued = dt.date.fromisoformat(draft["issue_date"])
        net_30 = (issued + dt.timedelta(days=30)).isoformat()
        updated = await invoice(
            client, "update", account.slug, uuid=draft["uuid"], due_date=net_30, early_payment_discount=5
        )
    assert updated["due_date"] == net_30
    assert updated["early_payment"] == {
        "percent": "5", "days": 10, "pay_by": (issued + dt.timedelta(days=10)).isoformat(),
        "discount": "71.40", "amount": "1356.60", "taken": None,
    }  # fmt: skip
    async with httpx.AsyncClient(base_url=served, timeout=30) as rest:
        got = await rest.get(
            f"/api/v1/workspaces/{account.slug}/invoices/{draft['uuid']}",
            headers={"Authorization": f"Bearer {account.token}"},
        )
    assert got.json()["early_payment"] == updated["early_payment"]

    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(account.email)
        access = await billing.access(Principal(user_id=user.id, name=user.name, channel=Channel.WEB), account.slug)
        html = invoice_html(await billing.invoices.document(access, uuid.UUID(draft["uuid"])))
    assert "Early payment" in html
    assert "5 % discount if paid by" in html
    assert "1,356.60" in html
