"""Finalize with a number of one's own (issue 18): the number given is checked and must be
unique in the workspace, as on update; refused, the draft stays as it was and the pattern's
counter is not moved."""

from __future__ import annotations

import msgspec
import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Conflict, ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceUpdate
from tests.domain.helpers import create


async def test_finalize_takes_the_number_given(billing: Billing, access: WorkspaceAccess) -> None:
    """The draft is finalized with the number given (trimmed); the history's finalize event
    names it; the pattern's next number is still free for the next invoice."""
    suggested = (await billing.invoices.suggest_number(access)).number
    draft = await create(billing, access)
    done = await billing.invoices.finalize(access, draft.uuid, number="  2026/017  ")
    assert isinstance(done, InvoiceOut)
    assert (done.number, done.status) == ("2026/017", "draft")
    assert done.finalized_at is not None
    assert done.history[-1].action == "finalize"
    assert done.history[-1].data == {"number": "2026/017"}
    other = await create(billing, access)
    following = await billing.invoices.finalize(access, other.uuid)
    assert isinstance(following, InvoiceOut)
    assert following.number == suggested


async def test_a_blank_number_takes_the_patterns_next(billing: Billing, access: WorkspaceAccess) -> None:
    suggested = (await billing.invoices.suggest_number(access)).number
    draft = await create(billing, access)
    done = await billing.invoices.finalize(access, draft.uuid, number="   ")
    assert isinstance(done, InvoiceOut)
    assert done.number == suggested


@pytest.mark.parametrize("number", ["INV/../x", "a" * 65, "two\nlines"])
async def test_a_malformed_number_is_refused_and_changes_nothing(
    billing: Billing, access: WorkspaceAccess, number: str
) -> None:
    """The checks of numbering.check_number apply: refused naming ``number``, nothing changed."""
    draft = await create(billing, access)
    before = msgspec.to_builtins(await billing.invoices.get_out(access, draft.uuid))
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.finalize(access, draft.uuid, number=number)
    assert refused.value.errors[0]["field"] == "number"
    assert msgspec.to_builtins(await billing.invoices.get_out(access, draft.uuid)) == before


async def test_a_number_in_use_is_refused_and_changes_nothing(billing: Billing, access: WorkspaceAccess) -> None:
    """Another invoice's number (even one set on a draft) is refused as number_taken; the
    draft keeps its own explicit number when finalized without one."""
    taken = await create(billing, access)
    await billing.invoices.update_invoice(access, taken.uuid, InvoiceUpdate(number="CUSTOM-1"))
    draft = await create(billing, access)
    before = msgspec.to_builtins(await billing.invoices.get_out(access, draft.uuid))
    with pytest.raises(Conflict) as refused:
        await billing.invoices.finalize(access, draft.uuid, number="CUSTOM-1")
    assert (refused.value.code, refused.value.extra["field"]) == ("number_taken", "number")
    assert msgspec.to_builtins(await billing.invoices.get_out(access, draft.uuid)) == before
    kept = await billing.invoices.finalize(access, taken.uuid)
    assert isinstance(kept, InvoiceOut)
    assert kept.number == "CUSTOM-1"


async def test_an_empty_draft_is_refused_before_the_number_is_taken(billing: Billing, access: WorkspaceAccess) -> None:
    """Finalizing a draft without items with a number: refused for its items, and the
    number stays free."""
    empty = await create(billing, access, items=[])
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.finalize(access, empty.uuid, number="FREE-1")
    assert refused.value.errors[0]["field"] == "items"
    assert (await billing.invoices.get_out(access, empty.uuid)).number is None
    draft = await create(billing, access)
    done = await billing.invoices.finalize(access, draft.uuid, number="FREE-1")
    assert isinstance(done, InvoiceOut)
    assert done.number == "FREE-1"
