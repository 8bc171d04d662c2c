"""Bad input to create and update: each refusal is a domain error naming the offending
field, and a refused call writes nothing (checked after a commit)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, InvoiceUpdate, ItemInput
from tests.conftest import make_workspace
from tests.domain.helpers import count_invoices, create, fresh_billing, item

D = Decimal


BAD_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown currency", {"currency": "XYZ"}, "currency"),
    ("not a currency code", {"currency": "US"}, "currency"),
    ("currency without minor unit", {"currency": "XAU"}, "currency"),
    ("blank title", {"title": "   "}, "title"),
    ("negative tax rate", {"tax_rate": D(-1)}, "tax_rate"),
    ("tax rate above 100", {"tax_rate": D("100.0001")}, "tax_rate"),
    ("NaN tax rate", {"tax_rate": D("NaN")}, "tax_rate"),
    ("tax rate with 5 decimals", {"tax_rate": D("10.00001")}, "tax_rate"),
    ("issue date before 2000", {"issue_date": dt.date(1999, 12, 31)}, "issue_date"),
    ("issue date after 2100", {"issue_date": dt.date(2101, 1, 1)}, "issue_date"),
    ("due date after 2100", {"issue_date": dt.date(2100, 12, 1), "due_date": dt.date(2101, 1, 1)}, "due_date"),
    ("due date before issue date", {"issue_date": dt.date(2026, 3, 10), "due_date": dt.date(2026, 3, 9)}, "due_date"),
    ("malformed explicit number", {"number": "-starts-with-dash"}, "number"),
    ("explicit number too long", {"number": "N" * 65}, "number"),
    ("explicit number with forbidden characters", {"number": "INV*1"}, "number"),
]

BAD_ITEMS: list[tuple[str, dict[str, Any], str]] = [
    ("blank description", {"description": "  "}, "items[1].description"),
    ("zero quantity", {"quantity": D(0)}, "items[1].quantity"),
    ("negative quantity", {"quantity": D(-3)}, "items[1].quantity"),
    ("absurd quantity", {"quantity": D(1_000_001)}, "items[1].quantity"),
    ("NaN quantity", {"quantity": D("NaN")}, "items[1].quantity"),
    ("signalling NaN quantity", {"quantity": D("sNaN")}, "items[1].quantity"),
    ("infinite quantity", {"quantity": D("Infinity")}, "items[1].quantity"),
    ("quantity with 5 decimals", {"quantity": D("1.00001")}, "items[1].quantity"),
    ("tiny quantity", {"quantity": D("1E-40")}, "items[1].quantity"),
    ("quantity beyond Decimal precision", {"quantity": D("123456789012345678901234567.12345")}, "items[1].quantity"),
    ("negative price", {"unit_price": D("-0.01")}, "items[1].unit_price"),
    ("absurd price", {"unit_price": D("1E+10")}, "items[1].unit_price"),
    ("negative infinite price", {"unit_price": D("-Infinity")}, "items[1].unit_price"),
    ("price with 5 decimals", {"unit_price": D("0.00001")}, "items[1].unit_price"),
    ("price beyond Decimal precision", {"unit_price": D("9" * 40 + ".12345")}, "items[1].unit_price"),
    ("line over the maximum", {"quantity": D(1_000_000), "unit_price": D(1_000_001)}, "items[1]"),
    ("negative item tax rate", {"tax_rate": D("-0.5")}, "items[1].tax_rate"),
    ("item tax rate above 100", {"tax_rate": D(101)}, "items[1].tax_rate"),
    ("infinite item tax rate", {"tax_rate": D("Infinity")}, "items[1].tax_rate"),
]


def _two_items(**bad: Any) -> list[ItemInput]:
    """Two items, the second carrying the bad value: the error must name items[1]."""
    second: dict[str, Any] = {"description": "Design", "quantity": D(1), "unit_price": D(100), "tax_rate": None}
    second.update(bad)
    return [item("Development", 2, 50), ItemInput(**second)]


@pytest.mark.parametrize(("case", "fields", "field"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
async def test_bad_create_fields_are_refused_and_nothing_is_written(
    billing: Billing, access: WorkspaceAccess, case: str, fields: dict[str, Any], field: str
) -> None:
    """Each bad invoice field raises validation_error naming it; no invoice is stored."""
    data = {"title": "Website", "items": _two_items(), **fields}
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.create_invoice(access, InvoiceCreate(**data))
    assert refused.value.code == "validation_error"
    assert refused.value.status == 422
    assert refused.value.errors[0]["field"] == field, case
    assert refused.value.to_dict()["errors"][0]["field"] == field
    await billing.session.commit()
    assert await count_invoices(billing, access.workspace_id) == 0


@pytest.mark.parametrize(("case", "bad", "field"), BAD_ITEMS, ids=[c[0] for c in BAD_ITEMS])
async def test_bad_items_are_refused_by_index_and_nothing_is_written(
    billing: Billing, access: WorkspaceAccess, case: str, bad: dict[str, Any], field: str
) -> None:
    """A bad value in the second item is named "items[1].<field>"; no invoice is stored."""
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.create_invoice(access, InvoiceCreate(title="Website", items=_two_items(**bad)))
    assert refused.value.code == "validation_error"
    assert refused.value.errors[0]["field"] == field, case
    await billing.session.commit()
    assert await count_invoices(billing, access.workspace_id) == 0


async def test_bad_items_are_refused_on_update_too(billing: Billing, access: WorkspaceAccess) -> None:
    """Replacing the items goes through the same checks as create."""
    draft = await create(billing, access)
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(items=_two_items(quantity=D("NaN"))))
    assert refused.value.errors[0]["field"] == "items[1].quantity"


async def test_trailing_zeros_beyond_four_places_are_the_same_value(
    billing: Billing, access: WorkspaceAccess, db: object
) -> None:
    """1.00000000 is 1 (not a fifth decimal place) and is accepted and stored on every
    database, however many trailing zeros it carries."""
    long_one = D("1." + "0" * 45)
    long_zero = D("0E-50")
    out = await create(
        billing,
        access,
        tax_rate=D("10.000000000000000000000000000000000000000000"),
        items=[
            item("Hours", long_one, "150.0000000000000000000000000000000000000000"),
            item("Free", 1, long_zero),
        ],
    )
    await billing.session.commit()
    assert (out.subtotal, out.tax_amount, out.total) == ("150.00", "15.00", "165.00")
    async with fresh_billing(db) as other:
        access_again = await other.access(access.principal, access.workspace.slug)
        stored = await other.invoices.get_out(access_again, out.uuid)
    assert [(i.quantity, i.unit_price) for i in stored.items] == [("1", "150.00"), ("1", "0.00")]
    assert stored.tax_rate == "10"
    assert stored.total == "165.00"


async def test_unknown_client_is_not_found_naming_client_uuid(billing: Billing, access: WorkspaceAccess) -> None:
    """A client uuid that does not exist is refused as client_not_found on client_uuid."""
    with pytest.raises(NotFound) as refused:
        await billing.invoices.create_invoice(access, InvoiceCreate(title="Website", client_uuid=uuid.uuid4()))
    assert refused.value.code == "client_not_found"
    assert refused.value.extra["field"] == "client_uuid"
    await billing.session.commit()
    assert await count_invoices(billing, access.workspace_id) == 0


async def test_client_of_another_workspace_is_not_found(billing: Billing, access: WorkspaceAccess) -> None:
    """A client of the caller's other workspace cannot be billed from this one."""
    other = await make_workspace(billing, access.principal)
    foreign = await billing.clients.create_client(other, ClientInput(name="Elsewhere Ltd"))
    with pytest.raises(NotFound) as refused:
        await billing.invoices.create_invoice(access, InvoiceCreate(title="Website", client_uuid=foreign.uuid))
    assert (refused.value.code, refused.value.extra["field"]) == ("client_not_found", "client_uuid")
    draft = await create(billing, access)
    with pytest.raises(NotFound):
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(client_uuid=foreign.uuid))
    await billing.session.commit()
    assert await count_invoices(billing, access.workspace_id) == 1
    assert (await billing.invoices.get_out(access, draft.uuid)).client is None


async def test_explicit_number_already_used_is_a_conflict(billing: Billing, access: WorkspaceAccess) -> None:
    """An explicit number must be unique in the workspace (number_taken, field "number"),
    but the same number may be used in another workspace."""
    first = await create(billing, access, number="2026/017")
    assert first.number == "2026/017"
    with pytest.raises(Conflict) as refused:
        await create(billing, access, number=" 2026/017 ")
    assert refused.value.code == "number_taken"
    assert refused.value.status == 409
    assert refused.value.extra["field"] == "number"
    other_draft = await create(billing, access)
    with pytest.raises(Conflict) as on_update:
        await billing.invoices.update_invoice(access, other_draft.uuid, InvoiceUpdate(number="2026/017"))
    assert on_update.value.code == "number_taken"
    await billing.session.commit()
    assert await count_invoices(billing, access.workspace_id) == 2
    elsewhere = await make_workspace(billing, access.principal)
    assert (await create(billing, elsewhere, number="2026/017")).number == "2026/017"


async def test_updating_a_draft_to_its_own_number_is_allowed(billing: Billing, access: WorkspaceAccess) -> None:
    """Re-sending an invoice's own number is not a conflict with itself; None clears it."""
    draft = await create(billing, access, number="A-7")
    same = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(number="A-7"))
    assert isinstance(same, InvoiceOut)
    assert same.number == "A-7"
    cleared = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(number=None))
    assert isinstance(cleared, InvoiceOut)
    assert cleared.number is None


async def test_empty_update_is_refused(billing: Billing, access: WorkspaceAccess) -> None:
    """An update with no field at all is an error, not a silent no-op."""
    draft = await create(billing, access)
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate())
    assert refused.value.errors[0]["field"] == "body"
    assert [h.action for h in (await billing.invoices.get_out(access, draft.uuid)).history] == ["create"]


BAD_UPDATES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown currency", {"currency": "ZZZ"}, "currency"),
    ("blank title", {"title": " "}, "title"),
    ("tax rate above 100", {"tax_rate": D(250)}, "tax_rate"),
    ("due date before issue date", {"due_date": dt.date(2026, 1, 1), "issue_date": dt.date(2026, 2, 1)}, "due_date"),
    ("issue date out of range", {"issue_date": dt.date(1990, 1, 1)}, "issue_date"),
    ("bad item", {"items": [item("x", 1, -1)]}, "items[0].unit_price"),
    ("bad explicit number", {"number": "#"}, "number"),
]


@pytest.mark.parametrize(("case", "fields", "field"), BAD_UPDATES, ids=[c[0] for c in BAD_UPDATES])
async def test_a_refused_update_changes_nothing(
    billing: Billing, access: WorkspaceAccess, db: object, case: str, fields: dict[str, Any], field: str
) -> None:
    """An update whose last field is bad applies none of its good fields either, even when
    the caller's unit of work is committed afterwards (an MCP tool error is a result)."""
    draft = await create(billing, access, title="Original", items=[item(quantity=40, unit_price=150)], tax_rate=10)
    changes = {"title": "Changed", "notes": "changed", "tax_rate": D(20), "currency": "EUR", **fields}
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(**changes))
    assert refused.value.errors[0]["field"] == field, case
    await billing.session.commit()
    async with fresh_billing(db) as other:
        again = await other.invoices.get_out(await other.access(access.principal, access.workspace.slug), draft.uuid)
    assert (again.title, again.notes, again.currency, again.tax_rate) == ("Original", "", "USD", "10")
    assert (again.total, len(again.history)) == ("6600.00", 1)
