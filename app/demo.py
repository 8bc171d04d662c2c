"""``billcraft demo``: a realistic demo workspace (clients, invoices in every status over the
last year, two currencies), built through the domain services like any other caller.

Only the timestamps of sending and payment are moved back afterwards, so the dashboard
shows a year of history rather than everything happening today.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import update

from app.config import Settings
from app.db.engine import database_config
from app.db.models import Invoice
from app.domain.access import Channel, Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.errors import Conflict
from app.domain.outputs import ClientOut, InvoiceOut
from app.domain.overdue import sweep_overdue
from app.domain.schemas import (
    CancelInput,
    ClientInput,
    InvoiceCreate,
    ItemInput,
    PaymentInput,
    SendInput,
    WorkspaceCreate,
    WorkspaceSettingsUpdate,
)

CLIENTS = [
    ("Acme Corp", "billing@acme.example", "US", "USD"),
    ("TechStart Inc", "accounts@techstart.example", "US", "USD"),
    ("Global Media GmbH", "rechnung@globalmedia.example", "DE", "EUR"),
    ("Nordlicht Design", "finance@nordlicht.example", "DE", "EUR"),
    ("Blue Harbor Hotels", "ap@blueharbor.example", "US", "USD"),
    ("Green Valley Foods", "invoices@greenvalley.example", "US", "USD"),
]
WORK = [
    ("Frontend development", Decimal(150)),
    ("Backend development", Decimal(160)),
    ("UX design", Decimal(120)),
    ("QA testing", Decimal(100)),
    ("Project management", Decimal(110)),
    ("Copywriting", Decimal(90)),
]
TITLES = ["Website redesign", "Mobile app sprint", "Brand refresh", "Maintenance retainer", "Phase delivery"]


async def build_demo(settings: Settings, count: int, email: str, password: str) -> str:
    rng = random.Random(2026)
    config = database_config(settings)
    maker = config.create_session_maker()
    try:
        async with maker() as session:
            billing = Billing(session, base_url=settings.base_url)
            try:
                user = await billing.accounts.create_user(email, password, "Demo Owner")
            except Conflict:
                user = await billing.accounts.by_email(email)
            principal = Principal(user_id=user.id, name=user.name, channel=Channel.CLI)
            workspace = await billing.workspaces.create_workspace(
                principal, WorkspaceCreate(name="Northwind Studio", default_currency="USD", timezone="America/New_York")
            )
            slug = workspace.company_slug
            await billing.workspaces.update_settings(
                principal,
                slug,
                WorkspaceSettingsUpdate(
                    legal_name="Northwind Studio LLC",
                    address="12 Harbor Street\nPortland, ME 04101\nUnited States",
                    email="billing@northwind.example",
                    payment_instructions="Bank transfer to Northwind Studio LLC, account ending 4521.",
                ),
            )
            access = await billing.access(principal, slug)
            clients = []
            for name, client_email, country, currency in CLIENTS:
                client = await billing.clients.create_client(
                    access, ClientInput(name=name, email=client_email, country=country)
                )
                clients.append((client, currency))
            _, token = await billing.accounts.create_token(user, "demo token")
            await session.commit()

            today = dt.date.today()
            with Progress(
                TextColumn("creating invoices"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
            ) as progress:
                task = progress.add_task("invoices", total=count)
                for i in range(count):
                    await _one_invoice(billing, access, rng, clients, today, i, count)
                    await session.commit()
                    access = await billing.access(principal, slug)
                    progress.advance(task)
            await sweep_overdue(session)
            await session.commit()
    finally:
        await config.get_engine().dispose()
    return (
        f"demo workspace {slug!r} with {len(CLIENTS)} clients and {count} invoices\n"
        f"sign in as {email} / {password}\n"
        f"API token:\n{token}"
    )


async def _one_invoice(
    billing: Billing,
    access: WorkspaceAccess,
    rng: random.Random,
    clients: list[tuple[ClientOut, str]],
    today: dt.date,
    i: int,
    count: int,
) -> None:
    client, currency = clients[i % len(clients)]
    issued = today - dt.timedelta(days=int(365 * (count - i) / count))
    items = [
        ItemInput(description=desc, quantity=Decimal(rng.choice([5, 10, 20, 40, 80])), unit_price=price)
        for desc, price in rng.sample(WORK, rng.randint(1, 4))
    ]
    created = await billing.invoices.create_invoice(
        access,
        InvoiceCreate(
            title=f"{rng.choice(TITLES)} — {client.name}",
            client_uuid=client.uuid,
            currency=currency,
            issue_date=issued,
            due_date=issued + dt.timedelta(days=30),
            tax_rate=Decimal(rng.choice([0, 10, 19])),
            items=items,
        ),
    )
    assert isinstance(created, InvoiceOut)
    fate = rng.random()
    age = (today - issued).days
    if age < 10 and fate < 0.5:
        return  # recent drafts stay drafts
    if fate < 0.06:
        await billing.invoices.cancel(
            access, created.uuid, CancelInput(reason="Project scope changed, new invoice to follow")
        )
        return
    await billing.invoices.send(access, created.uuid, SendInput(notify=False))  # no mail to made-up clients
    sent_at = dt.datetime.combine(issued, dt.time(9, 30), dt.UTC)
    values: dict[str, object] = {"sent_at": sent_at}
    if age > 20 and fate < 0.85:
        paid_on = min(issued + dt.timedelta(days=rng.randint(5, 45)), today)
        await billing.invoices.mark_paid(
            access, created.uuid, PaymentInput(payment_date=paid_on, payment_method="Bank transfer")
        )
        values["paid_at"] = dt.datetime.combine(paid_on, dt.time(15, 0), dt.UTC)
    await billing.session.execute(update(Invoice).where(Invoice.id == created.uuid).values(**values))
