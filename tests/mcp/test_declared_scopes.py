"""What each MCP tool (and each action) lists in its ``_meta`` as the OAuth scope it needs is
what the domain enforces: generated from the live tool list, a token holding every scope but
the listed one gets an ``insufficient_scope`` tool error naming exactly that scope."""

from __future__ import annotations

from typing import Any

from app.domain.access import ALL_SCOPES
from app.domain.billing import Billing
from app.mcp.specs import SCOPES_META
from tests.mcp.conftest import NewAccount, http_client
from tests.mcp.support import THREE_ITEMS, call, invoice, refused
from tests.mcp.test_isolation import call_adapting, initial_arguments, pairs


async def test_every_tool_and_action_enforces_exactly_the_scope_it_lists(
    served: str, new_account: NewAccount, db: Any
) -> None:
    owner = await new_account()
    async with http_client(served, owner.token) as client:
        tools = (await client.list_tools()).tools
        listed: dict[tuple[str, str | None], str | None] = {}
        for tool in tools:
            needs = (tool.meta or {})[SCOPES_META]
            if isinstance(needs, dict):
                listed |= {(tool.name, action): scope for action, scope in needs.items()}
            else:
                listed[(tool.name, None)] = needs[0] if needs else None
        assert set(listed) == pairs(tools), "every tool and action lists its scope"
        customer = await call(client, "client", action="create", company_slug=owner.slug, name="Acme")
        draft = await invoice(
            client, "create", owner.slug, title="Draft", client_uuid=customer["uuid"], items=THREE_ITEMS
        )

    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(owner.email)
        without: dict[str, str] = {}
        for needed in {s for s in listed.values() if s}:
            _, without[needed] = await billing.accounts.create_token(
                user, "all but one", " ".join(ALL_SCOPES - {needed})
            )
        await session.commit()

    by_name = {tool.name: tool for tool in tools}
    checked = set()
    for (name, action), scope in sorted(listed.items(), key=lambda p: (p[0][0], p[0][1] or "")):
        if scope is None:
            continue
        async with http_client(served, without[scope]) as limited:
            arguments = initial_arguments(by_name[name], action, owner.slug, draft["uuid"], customer["uuid"])
            outcome = await call_adapting(limited, by_name[name], arguments, set(), need_foreign=False)
        assert outcome.result is not None
        text, error = refused(outcome.result)
        assert (error["code"], error.get("required_scope")) == ("insufficient_scope", scope), (name, action, text)
        checked.add((name, action))
    assert checked == {pair for pair, scope in listed.items() if scope}
