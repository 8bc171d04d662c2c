"""The early-payment discount (Skonto, issue 21), with figures worked out by hand: the terms
set on a draft and checked, the discount rounded half-up once on the total (EUR, JPY,
KWD), a payment of the discounted amount in time settling the invoice in full with the
discount recorded, and a late or a smaller one that does not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceUpdate, PaymentInput, SendInput
from tests.domain.helpers import create, item

ISSUE = dt.date(2026, 11, 2)


async def _sent(billing: Billing, access: WorkspaceAccess, currency: str, price: str, **terms: object) -> InvoiceOut:
    """An invoice of one line at ``price`` with 19% tax, issued on ISSUE, due 30 days later."""
    draft = await create(
        billing, access, currency=currency, issue_date=ISSUE, due_date=ISSUE + dt.timedelta(30),
        tax_rate="19", items=[item("Design", "1", price)], **terms,
    )  # fmt: skip
    sent = await billing.invoices.send(access, draft.uuid, SendInput(notify=False))
    assert isinstance(sent, InvoiceOut)
    return sent


async def _pay(billing: Billing, access: WorkspaceAccess, invoice: InvoiceOut, amount: str, on: dt.date) -> InvoiceOut:
    paid = await billing.invoices.mark_paid(access, invoice.uuid, PaymentInput(amount=Decimal(amount), payment_date=on))
    assert isinstance(paid, InvoiceOut)
    return paid


async def test_the_discount_is_the_percent_of_the_total_rounded_once_in_each_currency(
    billing: Billing, access: WorkspaceAccess
) -> None:
    # 1,200.00 + 19% = 1,428.00; 5% of it = 71.40; 1,356.60 by 2 Nov + 10 days.
    eur = await _sent(billing, access, "EUR", "1200", early_payment_discount=Decimal(5))
    assert eur.early_payment is not None
    assert (eur.early_payment.percent, eur.early_payment.days) == ("5", 10)
    assert (eur.early_payment.pay_by, eur.early_payment.discount, eur.early_payment.amount) == (
        dt.date(2026, 11, 12),
        "71.40",
        "1356.60",
    )
    # ¥10,005 + 19% = ¥11,905.95 -> ¥11,906 per the line; 2.5% = 297.65 -> ¥298.
    jpy = await _sent(billing, access, "JPY", "10005", early_payment_discount=Decimal("2.5"), early_payment_days=14)
    assert jpy.total == "11906"
    assert (jpy.early_payment and jpy.early_payment.discount, jpy.early_payment and jpy.early_payment.amount) == (
        "298",
        "11608",
    )
    # KWD 10.005 + 19% = 11.90595 -> 11.906; 3% = 0.35718 -> 0.357.
    kwd = await _sent(billing, access, "KWD", "10.005", early_payment_discount=Decimal(3))
    assert kwd.total == "11.906"
    assert kwd.early_payment is not None
    assert (kwd.early_payment.discount, kwd.early_payment.amount) == ("0.357", "11.549")


async def test_the_discounted_amount_paid_in_time_settles_in_full_and_records_the_discount(
    billing: Billing, access: WorkspaceAccess
) -> None:
    sent = await _sent(billing, access, "EUR", "1200", early_payment_discount=Decimal(5))
    paid = await _pay(billing, access, sent, "1356.60", dt.date(2026, 11, 12))
    assert (paid.status, paid.amount_paid, paid.balance_due) == ("paid", "1356.60", "0.00")
    assert paid.early_payment is not None
    assert paid.early_payment.taken == "71.40"
    assert paid.history[-1].data == {
        "amount": "1356.60", "payment_date": "2026-11-12", "payment_method": "", "early_payment_discount": "71.40"
    }  # fmt: skip


async def test_a_late_or_a_smaller_payment_is_an_ordinary_partial_payment(
    billing: Billing, access: WorkspaceAccess
) -> None:
    late = await _sent(billing, access, "EUR", "1200", early_payment_discount=Decimal(5))
    paid = await _pay(billing, access, late, "1356.60", dt.date(2026, 11, 13))
    assert (paid.status, paid.balance_due) == ("sent", "71.40")
    assert paid.early_payment is not None
    assert paid.early_payment.taken is None

    smaller = await _sent(billing, access, "EUR", "1200", early_payment_discount=Decimal(5))
    first = await _pay(billing, access, smaller, "1000", dt.date(2026, 11, 5))
    assert (first.status, first.balance_due) == ("sent", "428.00")
    # The rest of the discounted amount, still in time: settled, 71.40 granted.
    rest = await _pay(billing, access, smaller, "356.60", dt.date(2026, 11, 12))
    assert (rest.status, rest.balance_due) == ("paid", "0.00")
    assert rest.early_payment is not None
    assert rest.early_payment.taken == "71.40"


async def test_the_terms_are_checked_and_follow_the_draft(billing: Billing, access: WorkspaceAccess) -> None:
    draft = await create(billing, access, issue_date=ISSUE, due_date=ISSUE + dt.timedelta(30), items=[item()])
    for terms, field in [
        ({"early_payment_discount": Decimal(100)}, "early_payment_discount"),
        ({"early_payment_discount": Decimal("1.234")}, "early_payment_discount"),
        ({"early_payment_discount": Decimal(2), "early_payment_days": 31}, "early_payment_days"),
        ({"early_payment_days": 10}, "early_payment_days"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(**terms))  # type: ignore[arg-type]
        assert refused.value.errors[0]["field"] == field, terms
    # "Net 30 with a 5% early payment discount", and then a due date that ends before it: refused.
    terms = InvoiceUpdate(due_date=ISSUE + dt.timedelta(30), early_payment_discount=Decimal(5))
    updated = await billing.invoices.update_invoice(access, draft.uuid, terms)
    assert isinstance(updated, InvoiceOut)
    assert updated.early_payment is not None
    assert (updated.early_payment.percent, updated.early_payment.pay_by) == ("5", dt.date(2026, 11, 12))
    with pytest.raises(ValidationFailed) as early_due:
        await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(due_date=ISSUE + dt.timedelta(5)))
    assert early_due.value.errors[0]["field"] == "early_payment_days"
    cleared = await billing.invoices.update_invoice(access, draft.uuid, InvoiceUpdate(early_payment_discount=None))
    assert isinstance(cleared, InvoiceOut)
    assert cleared.early_payment is None
