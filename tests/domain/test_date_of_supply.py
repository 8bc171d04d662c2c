"""The date of supply the law asks every invoice to state (EU VAT directive art. 226(7), DE
§14(4) no. 6 UStG), issue 21: a delivery date or a service period with both ends in order,
never both; an invoice finalized without either states the issue date as its delivery date."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import DuplicateInput, InvoiceUpdate
from tests.domain.helpers import create

NOV_1, NOV_30, DEC_2 = dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 12, 2)


async def test_a_service_period_is_kept_and_copied(billing: Billing, access: WorkspaceAccess) -> None:
    draft = await create(billing, access, issue_date=DEC_2, service_period_start=NOV_1, service_period_end=NOV_30)
    issued = await billing.invoices.finalize(access, draft.uuid)
    assert isinstance(issued, InvoiceOut)
    assert (issued.service_period_start, issued.service_period_end, issued.delivery_date) == (NOV_1, NOV_30, None)
    copy = await billing.invoices.duplicate(access, draft.uuid, DuplicateInput())
    assert isinstance(copy, InvoiceOut)
    assert (copy.service_period_start, copy.service_period_end) == (NOV_1, NOV_30)


async def test_without_either_the_issue_date_is_stated_at_finalize(billing: Billing, access: WorkspaceAccess) -> None:
    draft = await create(billing, access, issue_date=DEC_2)
    assert draft.delivery_date is None
    issued = await billing.invoices.finalize(access, draft.uuid)
    assert isinstance(issued, InvoiceOut)
    assert issued.delivery_date == DEC_2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"service_period_start": NOV_1}, "service_period_end"),
        ({"service_period_end": NOV_30}, "service_period_start"),
        ({"service_period_start": NOV_30, "service_period_end": NOV_1}, "service_period_end"),
        ({"delivery_date": NOV_1, "service_period_start": NOV_1, "service_period_end": NOV_30}, "delivery_date"),
    ],
)
async def test_a_period_needs_both_ends_in_order_and_excludes_a_delivery_date(
    billing: Billing, access: WorkspaceAccess, fields: dict[str, dt.date], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await create(billing, access, **fields)  # type: ignore[arg-type]
    assert refused.value.errors[0]["field"] == field
    draft = await create(billing, access, delivery_date=NOV_1)
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(**fields))  # type: ignore[arg-type]
    assert refused.value.errors[0]["field"] == field
    # Clearing the delivery date makes room for the period.
    moved = await billing.invoices.update_invoice(
        access, draft.uuid, InvoiceUpdate(delivery_date=None, service_period_start=NOV_1, service_period_end=NOV_30)
    )
    assert isinstance(moved, InvoiceOut)
    assert (moved.delivery_date, moved.service_period_start) == (None, NOV_1)
