"""Tenancy, roles and scopes (DESIGN.md sections 1, 2 and 5): strangers get NotFound and
never learn a workspace exists; uuids of one workspace are unknown in another; viewers read
but cannot write; tokens without a scope are refused whatever the role."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from app.domain.access import ALL_SCOPES, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Forbidden, NotFound, ValidationFailed
from app.domain.schemas import (
    CancelInput,
    ClientInput,
    ClientUpdate,
    DuplicateInput,
    FromPreviousInput,
    InvoiceCreate,
    InvoiceFilter,
    InvoiceUpdate,
    MemberInput,
    PaymentInput,
    SendInput,
    WorkspaceCreate,
    WorkspaceSettingsUpdate,
)
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import count_invoices, create, invoice_in, item, make_member

# --- tenancy ------------------------------------------------------------------------------------


async def test_a_stranger_gets_not_found_for_an_existing_workspace(billing: Billing, access: WorkspaceAccess) -> None:
    """Someone without membership gets the same NotFound as for a slug that does not exist."""
    stranger = await make_principal(billing, "stranger")
    with pytest.raises(NotFound) as existing:
        await billing.workspaces.access(stranger, access.workspace.slug)
    with pytest.raises(NotFound) as missing:
        await billing.workspaces.access(stranger, "no-such-workspace-" + uuid.uuid4().hex[:8])
    assert existing.value.code == missing.value.code == "workspace_not_found"
    assert existing.value.status == 404
    with pytest.raises(NotFound):
        await billing.workspaces.get_out(stranger, access.workspace.slug)
    assert access.workspace.slug not in [w.company_slug for w in (await billing.workspaces.list_for(stranger)).items]


async def test_a_stranger_cannot_add_themselves_or_change_settings(billing: Billing, access: WorkspaceAccess) -> None:
    """Settings and members of someone else's workspace are NotFound, not Forbidden."""
    stranger = await make_principal(billing, "stranger")
    with pytest.raises(NotFound):
        await billing.workspaces.update_settings(stranger, access.workspace.slug, WorkspaceSettingsUpdate(name="Mine"))
    with pytest.raises(NotFound):
        await billing.workspaces.add_member(stranger, access.workspace.slug, MemberInput(email="x@example.com"))
    assert (await billing.workspaces.get_out(access.principal, access.workspace.slug)).name != "Mine"


async def _foreign_calls(
    billing: Billing, here: WorkspaceAccess, invoice_uuid: uuid.UUID
) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    inv = billing.invoices
    return [
        ("get", lambda: inv.get_out(here, invoice_uuid)),
        ("update", lambda: inv.update_invoice(here, invoice_uuid, InvoiceUpdate(title="hijacked"))),
        ("finalize", lambda: inv.finalize(here, invoice_uuid)),
        ("send", lambda: inv.send(here, invoice_uuid, SendInput())),
        ("mark_paid", lambda: inv.mark_paid(here, invoice_uuid, PaymentInput())),
        ("cancel", lambda: inv.cancel(here, invoice_uuid, CancelInput())),
        ("delete", lambda: inv.delete_invoice(here, invoice_uuid)),
        ("duplicate", lambda: inv.duplicate(here, invoice_uuid, DuplicateInput())),
    ]


@pytest.mark.parametrize("state", ["draft", "sent"])
async def test_an_invoice_uuid_of_another_workspace_is_not_found(
    billing: Billing, access: WorkspaceAccess, state: str
) -> None:
    """Every invoice call in workspace B with an invoice uuid of workspace A is NotFound,
    even for the owner of both, and A's invoice is untouched."""
    theirs = await invoice_in(billing, access, state)
    mine = await make_workspace(billing, access.principal)
    for name, call in await _foreign_calls(billing, mine, theirs.uuid):
        with pytest.raises(NotFound) as refused:
            await call()
        assert refused.value.code == "invoice_not_found", name
    after = await billing.invoices.get_out(access, theirs.uuid)
    assert (after.status, after.title, len(after.history)) == (theirs.status, theirs.title, len(theirs.history))
    assert await count_invoices(billing, mine.workspace_id) == 0


async def test_lists_and_clients_stay_in_their_workspace(billing: Billing, access: WorkspaceAccess) -> None:
    """Lists show only this workspace's invoices and clients; a client uuid of workspace A
    is NotFound in workspace B for get, update and delete."""
    client = await billing.clients.create_client(access, ClientInput(name="Acme"))
    await create(billing, access, client_uuid=client.uuid)
    other_owner = await make_principal(billing, "other")
    other = await make_workspace(billing, other_owner)
    await create(billing, other, title="Theirs")
    page = await billing.invoices.list_page(other, InvoiceFilter())
    assert (page.total, [i.title for i in page.items]) == (1, ["Theirs"])
    filtered = await billing.invoices.list_page(other, InvoiceFilter(client_uuid=client.uuid))
    assert filtered.total == 0
    assert (await billing.clients.list_page(other)).total == 0
    for call in (
        lambda: billing.clients.get_out(other, client.uuid),
        lambda: billing.clients.update_client(other, client.uuid, ClientUpdate(name="hijacked")),
        lambda: billing.clients.delete_client(other, client.uuid),
        lambda: billing.invoices.from_previous(other, FromPreviousInput(client_uuid=client.uuid)),
    ):
        with pytest.raises(NotFound) as refused:
            await call()
        assert refused.value.code == "client_not_found"
    assert (await billing.clients.get_out(access, client.uuid)).name == "Acme"


# --- roles --------------------------------------------------------------------------------------


async def test_a_viewer_reads_but_cannot_write(billing: Billing, access: WorkspaceAccess) -> None:
    """A viewer lists and reads invoices, clients, numbers and stats; every write is
    Forbidden with role_insufficient, and nothing changes."""
    client = await billing.clients.create_client(access, ClientInput(name="Acme", email="ap@acme.example"))
    draft = await create(billing, access, client_uuid=client.uuid)
    sent = await invoice_in(billing, access, "sent")
    viewer = await make_member(billing, access.principal, access, "viewer")
    assert viewer.role.value == "viewer"

    assert (await billing.invoices.get_out(viewer, draft.uuid)).uuid == draft.uuid
    assert (await billing.invoices.list_page(viewer, InvoiceFilter())).total == 2
    assert (await billing.clients.get_out(viewer, client.uuid)).name == "Acme"
    assert (await billing.invoices.suggest_number(viewer)).source == "pattern"
    assert (await billing.stats.for_workspace(viewer)).currencies[0].currency == "USD"

    inv, cli = billing.invoices, billing.clients
    writes: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("create", lambda: inv.create_invoice(viewer, InvoiceCreate(title="x", items=[item()]))),
        ("update", lambda: inv.update_invoice(viewer, draft.uuid, InvoiceUpdate(title="x"))),
        ("finalize", lambda: inv.finalize(viewer, draft.uuid)),
        ("send", lambda: inv.send(viewer, draft.uuid, SendInput())),
        ("mark_paid", lambda: inv.mark_paid(viewer, sent.uuid, PaymentInput())),
        ("cancel", lambda: inv.cancel(viewer, sent.uuid, CancelInput())),
        ("delete", lambda: inv.delete_invoice(viewer, draft.uuid)),
        ("duplicate", lambda: inv.duplicate(viewer, draft.uuid, DuplicateInput())),
        ("from_previous", lambda: inv.from_previous(viewer, FromPreviousInput(client_uuid=client.uuid))),
        ("create client", lambda: cli.create_client(viewer, ClientInput(name="x"))),
        ("update client", lambda: cli.update_client(viewer, client.uuid, ClientUpdate(name="x"))),
        ("delete client", lambda: cli.delete_client(viewer, client.uuid)),
    ]
    for name, call in writes:
        with pytest.raises(Forbidden) as refused:
            await call()
        assert refused.value.code == "role_insufficient", name
        assert refused.value.status == 403
        assert refused.value.extra["role"] == "viewer"
    assert await count_invoices(billing, access.workspace_id) == 2
    assert (await billing.invoices.get_out(access, draft.uuid)).status == "draft"
    assert (await billing.invoices.get_out(access, sent.uuid)).status == "sent"


async def test_a_member_manages_invoices_but_not_the_workspace(billing: Billing, access: WorkspaceAccess) -> None:
    """A member can bill (create, send, record payments) but settings and members need admin."""
    member = await make_member(billing, access.principal, access, "member")
    out = await invoice_in(billing, member, "paid")
    assert out.history[-1].actor.uuid == member.principal.user_id
    slug = access.workspace.slug
    with pytest.raises(Forbidden) as settings:
        await billing.workspaces.update_settings(member.principal, slug, WorkspaceSettingsUpdate(name="Renamed"))
    assert (settings.value.code, settings.value.extra["required_role"]) == ("role_insufficient", "admin")
    with pytest.raises(Forbidden) as members:
        await billing.workspaces.members(member.principal, slug)
    assert members.value.code == "role_insufficient"


async def test_an_admin_cannot_grant_owner(billing: Billing, access: WorkspaceAccess) -> None:
    """Admins manage members and settings but cannot hand out a role above their own."""
    admin = await make_member(billing, access.principal, access, "admin")
    slug = access.workspace.slug
    renamed = await billing.workspaces.update_settings(admin.principal, slug, WorkspaceSettingsUpdate(name="Renamed"))
    assert renamed.name == "Renamed"
    newcomer = await make_principal(billing, "newcomer")
    user = await billing.accounts.user(newcomer.user_id)
    with pytest.raises(Forbidden) as refused:
        await billing.workspaces.add_member(admin.principal, slug, MemberInput(email=user.email, role="owner"))
    assert refused.value.code == "role_insufficient"
    added = await billing.workspaces.add_member(admin.principal, slug, MemberInput(email=user.email, role="viewer"))
    assert added.role == "viewer"
    roles = {m.email: m.role for m in (await billing.workspaces.members(admin.principal, slug)).items}
    assert roles[user.email] == "viewer"
    assert sorted(roles.values()) == ["admin", "owner", "viewer"]


async def test_adding_an_unknown_user_or_role_is_refused(billing: Billing, access: WorkspaceAccess) -> None:
    """Members must have signed up; roles are owner, admin, member or viewer."""
    slug = access.workspace.slug
    with pytest.raises(NotFound) as unknown:
        await billing.workspaces.add_member(access.principal, slug, MemberInput(email="nobody@nowhere.example"))
    assert unknown.value.code == "user_not_found"
    with pytest.raises(ValidationFailed) as role:
        await billing.workspaces.add_member(access.principal, slug, MemberInput(email="a@b.example", role="superuser"))
    assert role.value.errors[0]["field"] == "role"


# --- scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "action"),
    [
        ("invoices:write", "create"),
        ("invoices:write", "cancel"),
        ("invoices:send", "send"),
        ("payments:write", "mark_paid"),
        ("invoices:read", "get"),
        ("clients:write", "create_client"),
        ("workspace:admin", "settings"),
    ],
)
async def test_a_token_without_the_scope_is_refused_even_for_the_owner(
    billing: Billing, access: WorkspaceAccess, missing: str, action: str
) -> None:
    """The owner's token lacking one scope gets insufficient_scope naming it; the same
    action with every scope works."""
    sent = await invoice_in(billing, access, "sent")
    limited_principal = dataclasses.replace(access.principal, scopes=ALL_SCOPES - {missing})
    limited = await billing.access(limited_principal, access.workspace.slug)
    calls: dict[str, Callable[[WorkspaceAccess], Awaitable[Any]]] = {
        "create": lambda a: billing.invoices.create_invoice(a, InvoiceCreate(title="x")),
        "cancel": lambda a: billing.invoices.cancel(a, sent.uuid, CancelInput()),
        "send": lambda a: billing.invoices.send(a, sent.uuid, SendInput(notify=False)),
        "mark_paid": lambda a: billing.invoices.mark_paid(a, sent.uuid, PaymentInput(amount=Decimal(1))),
        "get": lambda a: billing.invoices.get_out(a, sent.uuid),
        "create_client": lambda a: billing.clients.create_client(a, ClientInput(name="x")),
        "settings": lambda a: billing.workspaces.update_settings(
            a.principal, a.workspace.slug, WorkspaceSettingsUpdate(name="Renamed")
        ),
    }
    with pytest.raises(Forbidden) as refused:
        await calls[action](limited)
    assert refused.value.code == "insufficient_scope"
    assert refused.value.extra["required_scope"] == missing
    after = await billing.invoices.get_out(access, sent.uuid)
    assert (after.status, len(after.history)) == ("sent", len(sent.history))
    assert await calls[action](access) is not None


async def test_a_read_only_token_reads_but_cannot_write(billing: Billing, access: WorkspaceAccess) -> None:
    """Scopes {invoices:read} let the owner's token read invoices and nothing more."""
    draft = await create(billing, access)
    reader = dataclasses.replace(access.principal, scopes=frozenset({"invoices:read"}))
    reader_access = await billing.access(reader, access.workspace.slug)
    assert (await billing.invoices.get_out(reader_access, draft.uuid)).uuid == draft.uuid
    with pytest.raises(Forbidden) as refused:
        await billing.invoices.update_invoice(reader_access, draft.uuid, InvoiceUpdate(title="x"))
    assert refused.value.code == "insufficient_scope"
    with pytest.raises(Forbidden):
        await billing.clients.list_page(reader_access)
    with pytest.raises(Forbidden) as workspace:
        await billing.workspaces.create_workspace(reader, WorkspaceCreate(name="x"))
    assert workspace.value.code == "insufficient_scope"
