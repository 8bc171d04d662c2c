"""PostgreSQL row-level security, the defence under the domain's ``workspace_id`` filters:
every tenant table (found from the models, so a new one is covered) has a policy bound to
the workspace the transaction serves, the app runs as a role the policies bind, and a query
that forgets its filter sees, and may write, nothing of another workspace."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from advanced_alchemy.base import metadata_registry
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

import app.db.models
import app.db.oauth_models
import app.db.received_models  # noqa: F401
from app.db.migrate import row_security_bypassed
from app.db.models import Client, Invoice
from app.domain import tenancy
from app.domain.access import WorkspaceAccess
from app.domain.approvals import Request
from app.domain.billing import Billing
from app.domain.schemas import ClientInput, CreditInput, InvoiceFilter, PaymentInput, SendInput
from tests.api.einvoice_support import KIT
from tests.conftest import TARGET, make_principal, make_workspace
from tests.domain.helpers import create, invoice_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(TARGET != "postgresql", reason="row-level security is PostgreSQL's"),
]


def tenant_tables() -> dict[str, str]:
    """Every table that holds a workspace's rows, with the column naming the workspace."""
    tables = {"workspace": "id"}
    for table in metadata_registry.get(None).sorted_tables:
        if "workspace_id" in table.columns:
            tables[table.name] = "workspace_id"
    return tables


async def visible(session: AsyncSession, table: str, column: str, workspace_id: uuid.UUID) -> int:
    """How many of the workspace's rows a query that does not filter by workspace sees."""
    rows = (await session.execute(text(f"SELECT {column} FROM {table}"))).scalars().all()
    return sum(1 for row in rows if row == workspace_id)


async def a_full_workspace(billing: Billing) -> WorkspaceAccess:
    """A workspace with a row in every tenant table: a paid invoice that was sent by email
    (items, payment, history, delivery) and partly credited (a credit note), a client, a
    number counter, an idempotency key, an approval and a received e-invoice."""
    owner = await make_principal(billing, "rls")
    access = await make_workspace(billing, owner)
    await billing.clients.create_client(access, ClientInput(name="Acme", email="client@example.com"))
    sent = await invoice_in(billing, access, "sent")
    await billing.invoices.send(access, sent.uuid, SendInput(to=["client@example.com"]))
    await billing.idempotency.run(
        owner,
        uuid.uuid4().hex,
        "rls.pay",
        {},
        lambda: billing.invoices.mark_paid(access, sent.uuid, PaymentInput()),
        access.workspace_id,
    )
    await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Goodwill", amount=Decimal(1)))
    # And a change an assistant asked for, waiting for its person.
    draft = await invoice_in(billing, access, "draft")
    request = Request(access, "invoice.finalize", draft.uuid, None, None, "link")
    await billing.approvals.ask(owner, request, {"message": "Finalize?"})
    # And a supplier's e-invoice it received.
    sample = (KIT / "samples" / "valid" / "peppol-ubl-invoice.xml").read_bytes()
    await billing.received.receive(access, sample, "supplier.xml")
    await billing.session.flush()
    return access


async def test_every_tenant_table_has_a_forced_workspace_policy(billing: Billing) -> None:
    tables = tenant_tables()
    assert {"workspace", "membership", "client", "invoice", "payment", "invoice_event"} <= set(tables)
    rows = (
        await billing.session.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, count(p.polname) "
                "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
                "WHERE c.relname = ANY(:names) GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity"
            ),
            {"names": list(tables)},
        )
    ).all()
    state = {name: (enabled, forced, policies) for name, enabled, forced, policies in rows}
    assert state == dict.fromkeys(tables, (True, True, 1))


async def test_the_app_runs_as_a_role_the_policies_bind(billing: Billing) -> None:
    connection = await billing.session.connection()
    assert await row_security_bypassed(connection) is False


async def test_a_query_that_forgets_its_filter_sees_nothing_of_another_workspace(billing: Billing) -> None:
    victim = await a_full_workspace(billing)
    stranger = await make_workspace(billing, await make_principal(billing, "stranger"))
    session = billing.session
    tables = tenant_tables()
    # Unbound (a system transaction), every table shows the victim's rows: the test data is real.
    await tenancy.bind(session, None)
    seen = {table: await visible(session, table, column, victim.workspace_id) for table, column in tables.items()}
    assert all(seen.values()), f"the victim's workspace lacks rows in: {[t for t, n in seen.items() if not n]}"

    # A domain operation in the stranger's workspace binds the transaction to it ...
    await billing.invoices.list_page(stranger, InvoiceFilter())
    # ... and then no unfiltered query shows one row of the victim's.
    leaked = {table: await visible(session, table, column, victim.workspace_id) for table, column in tables.items()}
    assert leaked == dict.fromkeys(tables, 0)
    invoices = (await session.execute(text("SELECT count(*) FROM invoice"))).scalar_one()
    assert invoices == 0  # the stranger has none of their own either


async def test_a_lookup_by_id_without_the_workspace_finds_nothing_once_bound(billing: Billing) -> None:
    victim = await a_full_workspace(billing)
    invoice = await create(billing, victim)
    stranger = await make_workspace(billing, await make_principal(billing, "stranger"))
    await billing.clients.list_page(stranger)
    billing.session.expunge_all()
    assert await billing.session.get(Invoice, invoice.uuid) is None
    found = (await billing.session.execute(select(Invoice).where(Invoice.id == invoice.uuid))).scalar_one_or_none()
    assert found is None
    # In the victim's own workspace the same lookup finds it.
    await billing.invoices.get_out(victim, invoice.uuid)
    assert await billing.session.get(Invoice, invoice.uuid) is not None


async def test_a_write_into_another_workspace_is_refused_and_an_update_touches_nothing(billing: Billing) -> None:
    victim = await a_full_workspace(billing)
    invoice = await create(billing, victim)
    stranger = await make_workspace(billing, await make_principal(billing, "stranger"))
    await tenancy.bind(billing.session, stranger.workspace_id)

    savepoint = await billing.session.begin_nested()
    billing.session.add(Client(workspace_id=victim.workspace_id, name="Planted"))
    with pytest.raises(DBAPIError, match="row-level security"):
        await billing.session.flush()
    await savepoint.rollback()

    updated = await billing.session.execute(
        text("UPDATE invoice SET title = 'Hijacked' WHERE id = :id"), {"id": invoice.uuid}
    )
    assert updated.rowcount == 0  # type: ignore[attr-defined]
    deleted = await billing.session.execute(
        text("DELETE FROM invoice_item WHERE invoice_id = :id"), {"id": invoice.uuid}
    )
    assert deleted.rowcount == 0  # type: ignore[attr-defined]
    await tenancy.bind(billing.session, None)
    title = (await billing.session.execute(select(Invoice.title).where(Invoice.id == invoice.uuid))).scalar_one()
    assert title == invoice.title


async def test_the_binding_ends_with_its_transaction(db: Any) -> None:
    """A pooled connection never carries one request's workspace into the next."""
    maker = db.create_session_maker()
    async with maker() as session:
        bound = uuid.uuid4()
        await tenancy.bind(session, bound)
        setting = text("SELECT current_setting('billcraft.workspace_id', true)")
        assert (await session.execute(setting)).scalar_one() == str(bound)
        await session.commit()
        assert (await session.execute(setting)).scalar_one() in ("", None)
        await session.rollback()


async def test_a_rolled_back_savepoint_does_not_leave_the_transaction_unbound(billing: Billing) -> None:
    """A refused operation inside a savepoint (a bulk send's draft) restores the setting the
    savepoint started with; the next operation binds again rather than trust a stale cache."""
    first = await a_full_workspace(billing)
    second = await a_full_workspace(billing)
    await billing.invoices.list_page(first, InvoiceFilter())
    savepoint = await billing.session.begin_nested()
    await billing.invoices.list_page(second, InvoiceFilter())
    await savepoint.rollback()
    await billing.invoices.list_page(second, InvoiceFilter())
    setting = text("SELECT current_setting('billcraft.workspace_id', true)")
    assert (await billing.session.execute(setting)).scalar_one() == str(second.workspace_id)
