"""Concurrency on PostgreSQL (DESIGN.md section 2): the per-workspace counter gives unique,
consecutive numbers to concurrent finalizations; concurrent idempotent twins make one
invoice; a payment racing a cancellation cannot both win; the overdue sweep racing payments
never leaves a paid invoice overdue. Each concurrent caller has its own session and
commits, as separate requests or replicas would; every race ends with a history whose
transitions chain from one status to the next."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

import msgspec
import pytest
from sqlalchemy import select, update

from app.db.models import Invoice, InvoiceCounter
from app.domain.access import Principal
from app.domain.billing import Billing
from app.domain.errors import InvalidTransition
from app.domain.idempotency import Replayed
from app.domain.outputs import InvoiceOut
from app.domain.overdue import sweep_overdue
from app.domain.schemas import CancelInput, CreditInput, InvoiceCreate, PaymentInput
from app.domain.workspaces import today_in
from tests.conftest import TARGET, make_principal, make_workspace
from tests.domain.helpers import count_invoices, create, fresh_billing, invoice_in, item

pytestmark = pytest.mark.skipif(TARGET != "postgresql", reason="row locks are exercised on PostgreSQL only")

CONCURRENT = 50


async def test_fifty_concurrent_finalizations_get_consecutive_numbers(billing: Billing, db: Any) -> None:
    """50 sessions finalize 50 drafts of one workspace at once and commit: the numbers are
    INV-<year>-0001..0050, each once, and the counter ends at 50."""
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner)
    drafts = [await create(billing, access, title=f"Draft {n}") for n in range(CONCURRENT)]
    slug, workspace_id = access.workspace.slug, access.workspace_id
    year = drafts[0].issue_date.year
    await billing.session.commit()
    start = asyncio.Event()

    async def finalize(invoice: InvoiceOut) -> str | None:
        await start.wait()
        async with fresh_billing(db) as other:
            out = await other.invoices.finalize(await other.access(owner, slug), invoice.uuid)
            assert isinstance(out, InvoiceOut)
            await other.session.commit()
            return out.number

    tasks = [asyncio.create_task(finalize(d)) for d in drafts]
    start.set()
    numbers = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    expected = [f"INV-{year}-{n:04d}" for n in range(1, CONCURRENT + 1)]
    assert sorted(n for n in numbers if n is not None) == expected
    async with fresh_billing(db) as check:
        stored = (
            (await check.session.execute(select(Invoice.number).where(Invoice.workspace_id == workspace_id)))
            .scalars()
            .all()
        )
        counter = (
            await check.session.execute(
                select(InvoiceCounter.last_value).where(InvoiceCounter.workspace_id == workspace_id)
            )
        ).scalar_one()
    assert sorted(n for n in stored if n is not None) == expected
    assert counter == CONCURRENT


async def test_concurrent_finalizations_in_two_workspaces_do_not_share_a_counter(billing: Billing, db: Any) -> None:
    """Two workspaces finalizing at the same time each get their own 0001..0010."""
    owner = await make_principal(billing)
    spaces = [await make_workspace(billing, owner) for _ in range(2)]
    drafts = [(ws.workspace.slug, await create(billing, ws)) for ws in spaces for _ in range(10)]
    await billing.session.commit()

    async def finalize(slug: str, invoice: InvoiceOut) -> tuple[str, str | None]:
        async with fresh_billing(db) as other:
            out = await other.invoices.finalize(await other.access(owner, slug), invoice.uuid)
            assert isinstance(out, InvoiceOut)
            await other.session.commit()
            return slug, out.number

    results = await asyncio.wait_for(asyncio.gather(*(finalize(s, d) for s, d in drafts)), timeout=60)
    year = drafts[0][1].issue_date.year
    for ws in spaces:
        numbers = sorted(n for s, n in results if s == ws.workspace.slug and n is not None)
        assert numbers == [f"INV-{year}-{n:04d}" for n in range(1, 11)]


async def test_two_identical_idempotent_creates_at_once_make_one_invoice(billing: Billing, db: Any) -> None:
    """Twin requests with one key race in two sessions: one creates, the other gets the
    same answer back, and the workspace holds a single invoice."""
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner)
    slug, workspace_id = access.workspace.slug, access.workspace_id
    await billing.session.commit()
    data = InvoiceCreate(title="Twin", items=[item("Dev", 40, 150)])
    start = asyncio.Event()

    async def attempt(principal: Principal) -> Any:
        await start.wait()
        async with fresh_billing(db) as other:
            here = await other.access(principal, slug)
            result = await other.idempotency.run(
                principal,
                "twin-key",
                f"invoice.create:{slug}",
                msgspec.to_builtins(data),
                lambda: other.invoices.create_invoice(here, data),
                workspace_id,
            )
            await other.session.commit()
            return result

    tasks = [asyncio.create_task(attempt(owner)) for _ in range(2)]
    start.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    created = [r for r in results if isinstance(r, InvoiceOut)]
    replayed = [r for r in results if isinstance(r, Replayed)]
    assert (len(created), len(replayed)) == (1, 1)
    assert replayed[0].response == msgspec.to_builtins(created[0])
    async with fresh_billing(db) as check:
        assert await count_invoices(check, workspace_id) == 1


async def test_a_payment_racing_a_cancellation_cannot_both_win(billing: Billing, db: Any) -> None:
    """The invoice row is locked per transition: of a concurrent full payment and a cancel,
    exactly one succeeds and the other is refused by the state the first left."""
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner)
    sent = await invoice_in(billing, access, "sent")
    slug = access.workspace.slug
    await billing.session.commit()
    start = asyncio.Event()

    async def act(kind: str) -> str:
        await start.wait()
        async with fresh_billing(db) as other:
            here = await other.access(owner, slug)
            try:
                if kind == "pay":
                    await other.invoices.mark_paid(here, sent.uuid, PaymentInput())
                else:
                    await other.invoices.cancel(here, sent.uuid, CancelInput(reason="race"))
            except InvalidTransition as refused:
                await other.session.rollback()
                return f"{kind} refused from {refused.extra['current_status']}"
            await other.session.commit()
            return f"{kind} ok"

    tasks = [asyncio.create_task(act(kind)) for kind in ("pay", "cancel")]
    start.set()
    outcomes = sorted(await asyncio.wait_for(asyncio.gather(*tasks), timeout=60))
    assert outcomes in (["cancel refused from paid", "pay ok"], ["cancel ok", "pay refused from cancelled"])
    async with fresh_billing(db) as check:
        final = await check.invoices.get_out(await check.access(owner, slug), sent.uuid)
    if "pay ok" in outcomes:
        assert (final.status, final.balance_due, len(final.payments)) == ("paid", "0.00", 1)
    else:
        assert (final.status, final.payments, final.cancel_reason) == ("cancelled", [], "race")
    assert transitions(final) == ["new>draft", "draft>sent", f"sent>{final.status}"]


def transitions(invoice: InvoiceOut) -> list[str]:
    """The status changes in the invoice's history, each checked to start where the one
    before it ended: a history that skips or repeats a state fails here."""
    changes = [e for e in invoice.history if e.to_status is not None and e.to_status != e.from_status]
    for before, after in itertools.pairwise(changes):
        assert after.from_status == before.to_status, f"history does not chain: {changes}"
    if changes:
        assert changes[-1].to_status == invoice.status
    return [f"{e.from_status or 'new'}>{e.to_status}" for e in changes]


async def test_the_overdue_sweep_racing_payments_never_leaves_a_paid_invoice_overdue(billing: Billing, db: Any) -> None:
    """30 sent invoices fall due yesterday; 30 full payments and two sweeps (two workers)
    run at once. Every invoice ends paid with nothing due, each went overdue at most once,
    and its history goes sent>paid or sent>overdue>paid, never paid>overdue."""
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner)
    yesterday = today_in(access.workspace) - dt.timedelta(days=1)
    invoices = []
    for n in range(30):
        sent = await invoice_in(billing, access, "sent", title=f"Due {n}")
        invoices.append(sent)
    await billing.session.flush()
    for sent in invoices:
        await billing.session.execute(update(Invoice).where(Invoice.id == sent.uuid).values(due_date=yesterday))
    slug = access.workspace.slug
    await billing.session.commit()
    start = asyncio.Event()

    async def pay(n: int, invoice: InvoiceOut) -> None:
        await start.wait()
        await asyncio.sleep(n * 0.01)  # spread over the sweeps, so both orders happen
        async with fresh_billing(db) as other:
            await other.invoices.mark_paid(await other.access(owner, slug), invoice.uuid, PaymentInput())
            await other.session.commit()

    async def sweep() -> int:
        await start.wait()
        await asyncio.sleep(0.15)  # halfway through the payments
        async with fresh_billing(db) as other:
            moved = await sweep_overdue(other.session)
            await other.session.commit()
            return moved

    sweeps = [asyncio.create_task(sweep()) for _ in range(2)]
    payments = [asyncio.create_task(pay(n, i)) for n, i in enumerate(invoices)]
    start.set()
    await asyncio.wait_for(asyncio.gather(*payments), timeout=60)
    await asyncio.wait_for(asyncio.gather(*sweeps), timeout=60)
    async with fresh_billing(db) as check:
        here = await check.access(owner, slug)
        finals = [await check.invoices.get_out(here, i.uuid) for i in invoices]
    paths = [transitions(f) for f in finals]
    assert {(f.status, f.balance_due) for f in finals} == {("paid", "0.00")}
    allowed = (["new>draft", "draft>sent", "sent>paid"], ["new>draft", "draft>sent", "sent>overdue", "overdue>paid"])
    assert [p for p in paths if p not in allowed] == []
    print(f"sweep vs payment: {sum('sent>overdue' in p for p in paths)} of 30 went overdue before their payment")


async def overdue_sent_invoice(billing: Billing) -> tuple[Principal, str, InvoiceOut]:
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner)
    sent = await invoice_in(billing, access, "sent")
    yesterday = today_in(access.workspace) - dt.timedelta(days=1)
    await billing.session.execute(update(Invoice).where(Invoice.id == sent.uuid).values(due_date=yesterday))
    await billing.session.commit()
    return owner, access.workspace.slug, sent


async def test_a_sweep_meeting_a_payment_in_flight_waits_and_then_leaves_the_paid_invoice_alone(
    billing: Billing, db: Any
) -> None:
    owner, slug, sent = await overdue_sent_invoice(billing)
    async with fresh_billing(db) as payer:
        await payer.invoices.mark_paid(await payer.access(owner, slug), sent.uuid, PaymentInput())

        async def sweep() -> None:
            async with fresh_billing(db) as worker:
                await sweep_overdue(worker.session)
                await worker.session.commit()

        sweeping = asyncio.create_task(sweep())
        await asyncio.sleep(0.3)
        assert not sweeping.done(), "the sweep did not wait for the payment's row lock"
        await payer.session.commit()
        await asyncio.wait_for(sweeping, timeout=30)
    async with fresh_billing(db) as check:
        final = await check.invoices.get_out(await check.access(owner, slug), sent.uuid)
    assert transitions(final) == ["new>draft", "draft>sent", "sent>paid"]


async def test_a_payment_meeting_a_sweep_in_flight_waits_and_then_pays_the_overdue_invoice(
    billing: Billing, db: Any
) -> None:
    owner, slug, sent = await overdue_sent_invoice(billing)
    async with fresh_billing(db) as worker:
        assert await sweep_overdue(worker.session) >= 1

        async def pay() -> None:
            async with fresh_billing(db) as payer:
                await payer.invoices.mark_paid(await payer.access(owner, slug), sent.uuid, PaymentInput())
                await payer.session.commit()

        paying = asyncio.create_task(pay())
        await asyncio.sleep(0.3)
        assert not paying.done(), "the payment did not wait for the sweep's row lock"
        await worker.session.commit()
        await asyncio.wait_for(paying, timeout=30)
    async with fresh_billing(db) as check:
        final = await check.invoices.get_out(await check.access(owner, slug), sent.uuid)
    assert (final.status, final.balance_due) == ("paid", "0.00")
    assert transitions(final) == ["new>draft", "draft>sent", "sent>overdue", "overdue>paid"]


async def test_invoices_and_credit_notes_numbered_side_by_side_at_once_each_keep_a_gapless_series(
    billing: Billing, db: Any
) -> None:
    """20 drafts finalized while 20 sent invoices are credited, all at once in their own
    sessions: INV-<year>-0021..0040 and CN-<year>-0001..0020, each once, no gap in either."""
    owner = await make_principal(billing)
    access = await make_workspace(billing, owner)
    sent = [await invoice_in(billing, access, "sent", title=f"Sent {n}") for n in range(20)]
    drafts = [await create(billing, access, title=f"Draft {n}") for n in range(20)]
    slug, year = access.workspace.slug, drafts[0].issue_date.year
    await billing.session.commit()
    start = asyncio.Event()

    async def finalize(invoice: InvoiceOut) -> str:
        await start.wait()
        async with fresh_billing(db) as other:
            out = await other.invoices.finalize(await other.access(owner, slug), invoice.uuid)
            assert isinstance(out, InvoiceOut)
            assert out.number is not None
            await other.session.commit()
            return out.number

    async def credit(invoice: InvoiceOut) -> str:
        await start.wait()
        async with fresh_billing(db) as other:
            out = await other.invoices.credit(await other.access(owner, slug), invoice.uuid, CreditInput(reason="Race"))
            assert isinstance(out, InvoiceOut)
            await other.session.commit()
            return out.credit_notes[0].number

    tasks = [asyncio.create_task(finalize(d)) for d in drafts] + [asyncio.create_task(credit(s)) for s in sent]
    start.set()
    numbers = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    assert sorted(numbers[:20]) == [f"INV-{year}-{n:04d}" for n in range(21, 41)]
    assert sorted(numbers[20:]) == [f"CN-{year}-{n:04d}" for n in range(1, 21)]
