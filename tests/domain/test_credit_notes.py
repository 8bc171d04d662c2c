"""Credit notes (issue 21), figures worked out by hand: a partial credit note on a paid
invoice leaves the refund due, a credit of chosen lines is taxed in their own VAT groups,
a credit of the whole rest cancels an open invoice and reverses exactly the tax left, more
than is left is refused, and cancelling a finalized invoice issues a credit note for all of
it, both in the history. Credit notes are numbered from their own series."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import NotFound, ValidationFailed
from app.domain.outputs import InvoiceOut
from app.domain.schemas import CancelInput, CreditInput, CreditLineInput, ListQuery, PaymentInput
from tests.conftest import make_principal, make_workspace
from tests.domain.helpers import invoice_in, item

D = Decimal


def _out(result: object) -> InvoiceOut:
    assert isinstance(result, InvoiceOut), result
    return result


async def test_a_partial_credit_note_on_a_paid_invoice_leaves_a_refund_due(
    billing: Billing, access: WorkspaceAccess
) -> None:
    # 10 h x 120.00 at 19% = 1,200.00 + 228.00 = 1,428.00, paid. Two hours credited:
    # 240.00 + 45.60 = 285.60, owed back to the client.
    paid = await invoice_in(billing, access, "paid", tax_rate=D(19), items=[item("Development", 10, 120)])
    assert paid.total == "1428.00"
    credited = _out(
        await billing.invoices.credit(
            access,
            paid.uuid,
            CreditInput(reason="Two hours billed twice", lines=[CreditLineInput(line=1, quantity=D(2))]),
        )
    )
    assert (credited.status, credited.credited, credited.balance_due, credited.refund_due) == (
        "paid", "285.60", "0.00", "285.60",
    )  # fmt: skip
    [ref] = credited.credit_notes
    note = await billing.invoices.get_credit_note(access, ref.uuid)
    assert note.number == f"CN-{note.issue_date.year}-0001"
    assert (note.invoice.uuid, note.invoice.number, note.invoice.issue_date) == (
        paid.uuid,
        paid.number,
        paid.issue_date,
    )
    assert [(x.line, x.description, x.quantity, x.amount) for x in note.lines] == [(1, "Development", "2", "240.00")]
    assert [(g.tax_category, g.tax_rate, g.taxable_amount, g.tax_amount) for g in note.vat_breakdown] == [
        ("S", "19", "240.00", "45.60")
    ]
    assert (note.net_total, note.tax_amount, note.total, note.reason) == (
        "240.00", "45.60", "285.60", "Two hours billed twice",
    )  # fmt: skip
    assert credited.history[-1].action == "credit"
    assert credited.history[-1].data == {"credit_note": note.number, "total": "285.60"}
    # Those two hours are credited: only eight are left on line 1.
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.credit(
            access, paid.uuid, CreditInput(reason="Again", lines=[CreditLineInput(line=1, quantity=D(9))])
        )
    assert refused.value.errors[0]["field"] == "lines[0].quantity"


async def test_credited_lines_are_taxed_in_their_groups_and_the_whole_rest_cancels_an_open_invoice(
    billing: Billing, access: WorkspaceAccess
) -> None:
    # 100.05 at 19% and 50.05 at 7%: VAT 19.01 + 3.50 = 22.51, total 172.61.
    sent = await invoice_in(
        billing, access, "sent", tax_rate=D(19), items=[item("Design", 1, "100.05"), item("Books", 1, "50.05", 7)]
    )
    assert (sent.tax_amount, sent.total) == ("22.51", "172.61")
    books = _out(await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Books returned", lines=[
        CreditLineInput(line=2)])))  # fmt: skip
    note = await billing.invoices.get_credit_note(access, books.credit_notes[0].uuid)
    assert [(g.tax_rate, g.taxable_amount, g.tax_amount) for g in note.vat_breakdown] == [("7", "50.05", "3.50")]
    assert (books.status, books.balance_due) == ("sent", "119.06")
    # The rest: exactly the 19% group's 100.05 + 19.01 left, and the invoice is cancelled.
    rest = _out(await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Project stopped")))
    second = await billing.invoices.get_credit_note(access, rest.credit_notes[1].uuid)
    assert [(g.tax_rate, g.taxable_amount, g.tax_amount) for g in second.vat_breakdown] == [("19", "100.05", "19.01")]
    assert (rest.status, rest.credited, rest.balance_due, rest.cancel_reason) == (
        "cancelled", "172.61", "0.00", "Project stopped",
    )  # fmt: skip
    assert [n.number[-4:] for n in rest.credit_notes] == ["0001", "0002"]


async def test_an_amount_is_credited_in_the_only_vat_group_and_never_more_than_is_left(billing: Billing) -> None:
    access = await make_workspace(billing, await make_principal(billing), currency="JPY")
    # ¥10,000 + 10% = ¥11,000. ¥3,333 credited: VAT 333.3 -> ¥333, ¥3,666 in all.
    sent = await invoice_in(billing, access, "sent", tax_rate=D(10), items=[item("Hosting", 1, 10000)])
    credited = _out(await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Outage", amount=D(3333))))
    assert (credited.credited, credited.balance_due) == ("3666", "7334")
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Too much", amount=D(6668)))
    assert refused.value.errors[0]["message"] == "more than is left to credit at category S 10% (6667 JPY net left)"
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Odd", amount=D("0.5")))
    assert refused.value.errors[0] == {"field": "amount", "message": "JPY amounts have 0 decimal places"}


async def test_cancelling_a_finalized_invoice_issues_a_credit_note_for_all_of_it(
    billing: Billing, access: WorkspaceAccess
) -> None:
    sent = await invoice_in(billing, access, "sent", tax_rate=D(19), items=[item("Audit", 1, 1000)])
    partly = _out(await billing.invoices.mark_paid(access, sent.uuid, PaymentInput(amount=D(190))))
    cancelled = _out(await billing.invoices.cancel(access, partly.uuid, CancelInput(reason="Wrong client")))
    assert [h.action for h in cancelled.history][-2:] == ["credit", "cancel"]
    assert (cancelled.status, cancelled.credited, cancelled.refund_due) == ("cancelled", "1190.00", "190.00")
    note = await billing.invoices.get_credit_note(access, cancelled.credit_notes[0].uuid)
    assert (note.reason, note.total) == ("Wrong client", "1190.00")
    assert [(x.line, x.description, x.amount) for x in note.lines] == [(1, "Audit", "1000.00")]
    # The invoices keep their own series; the credit notes theirs.
    assert sent.number is not None
    assert sent.number.startswith("INV-")
    assert note.number.startswith("CN-")
    listed = await billing.invoices.list_credit_notes(access, ListQuery(), invoice_uuid=sent.uuid)
    assert [n.number for n in listed.items] == [note.number]


async def test_a_credit_note_of_another_workspace_is_not_found(billing: Billing, access: WorkspaceAccess) -> None:
    paid = await invoice_in(billing, access, "paid")
    credited = _out(await billing.invoices.credit(access, paid.uuid, CreditInput(reason="Goodwill", amount=D(10))))
    stranger = await make_workspace(billing, await make_principal(billing, "stranger"))
    with pytest.raises(NotFound):
        await billing.invoices.get_credit_note(stranger, credited.credit_notes[0].uuid)
    assert (await billing.invoices.list_credit_notes(stranger, ListQuery())).total == 0


async def test_stats_count_what_was_invoiced_net_of_credit_notes(billing: Billing, access: WorkspaceAccess) -> None:
    # Two sent invoices of 1,000.00 and 500.00 (no tax); 200.00 credited on the first, 100.00
    # paid on the second: invoiced 1,300.00, outstanding 800.00 + 400.00 = 1,200.00.
    first = await invoice_in(billing, access, "sent", items=[item("A", 1, 1000)])
    second = await invoice_in(billing, access, "sent", items=[item("B", 1, 500)])
    await billing.invoices.credit(access, first.uuid, CreditInput(reason="Discount agreed later", amount=D(200)))
    await billing.invoices.mark_paid(access, second.uuid, PaymentInput(amount=D(100)))
    [usd] = (await billing.stats.for_workspace(access)).currencies
    assert (usd.total_invoiced, usd.total_paid, usd.total_outstanding) == ("1300.00", "100.00", "1200.00")


async def test_a_refund_due_is_paid_back_as_an_outgoing_payment(billing: Billing, access: WorkspaceAccess) -> None:
    # 1,000.00 at 19% = 1,190.00 paid; 100.00 net credited: 119.00 due back. 50.00 first, then the rest.
    paid = await invoice_in(billing, access, "paid", tax_rate=D(19), items=[item("Retainer", 1, 1000)])
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.record_refund(access, paid.uuid, PaymentInput())
    assert refused.value.errors[0]["field"] == "amount"
    await billing.invoices.credit(access, paid.uuid, CreditInput(reason="Scope cut", amount=D(100)))
    back = PaymentInput(amount=D(50), payment_method="Bank transfer")
    part = _out(await billing.invoices.record_refund(access, paid.uuid, back))
    assert (part.refund_due, part.amount_paid, part.payments[-1].amount) == ("69.00", "1140.00", "-50.00")
    with pytest.raises(ValidationFailed) as refused:
        await billing.invoices.record_refund(access, paid.uuid, PaymentInput(amount=D("69.01")))
    assert refused.value.errors[0]["message"] == "exceeds the refund due of 69.00 USD"
    rest = _out(await billing.invoices.record_refund(access, paid.uuid, PaymentInput()))
    assert (rest.status, rest.refund_due, rest.balance_due, rest.amount_paid) == ("paid", "0.00", "0.00", "1071.00")
    assert [h.action for h in rest.history][-2:] == ["refund", "refund"]
