"""Every page of the web app, for the browser tests that look at all of them (axe-core, reflow
on a phone, the header menus): an owner whose workspace has data enough to fill each page,
with the names that break layouts (one 60-character word, Arabic, Hebrew) and amounts in
the millions; the paths of the pages; a Chromium for the module; and signing in.

Built through the domain services, as ``tests/web/conftest.py`` builds its people."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy import update

from app.db.models import Invoice
from app.domain import tenancy
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import (
    ClientInput,
    InvoiceCreate,
    ItemInput,
    MemberInput,
    PaymentInput,
    SendInput,
    WorkspaceCreate,
    WorkspaceSettingsUpdate,
)
from tests.api.einvoice_support import KIT
from tests.conftest import TARGET, unique
from tests.web.conftest import PASSWORD

# Screenshots of every page at every width, one folder per database kind (the SQLite and
# PostgreSQL runs may go side by side).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web" / TARGET

LONG_WORD = "Superlongcompanynamewithoutanyspacesatallforty" + "ExtraCharacters"  # 61 characters
ARABIC = "شركة النور للتجارة والمقاولات"
HEBREW = "עיצוב מחדש של האתר"
OWNER_NAME = "דנה כהן"  # Dana Cohen: the header's user menu carries a right-to-left name
MEMBER_NAME = "أحمد المصري"
IBAN = "GB29NWBK60161331926819GB29NWBK6016133192"  # one long word in the payment instructions


@dataclass
class Owner:
    """An owner signed in through the form, and the pages of their workspace."""

    email: str
    slug: str
    pages: dict[str, str] = field(default_factory=dict)  # signed-in pages: name -> path
    public: dict[str, str] = field(default_factory=dict)  # pages without an account
    dates: dict[str, dt.date] = field(default_factory=dict)  # the sent invoice's, the paid one's


async def make_owner(db: Any) -> Owner:
    """A workspace in two currencies: a sent invoice of over a million dollars, part paid,
    to a client with a 60-character name; a paid one; an overdue one in euros to an Arabic
    client; a draft with a Hebrew title; payment instructions holding a long IBAN; a token,
    a member with an Arabic name, and a second workspace named with one long word."""
    today = dt.date.today()
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        email = f"{unique('phone')}@example.com"
        user = await billing.accounts.create_user(email, PASSWORD, OWNER_NAME)
        me = Principal(user_id=user.id, name=user.name, channel=Channel.WEB)
        workspace = await billing.workspaces.create_workspace(
            me, WorkspaceCreate(name="Northwind Studio", default_currency="USD", timezone="Europe/London")
        )
        slug = workspace.company_slug
        await billing.workspaces.update_settings(
            me,
            slug,
            WorkspaceSettingsUpdate(
                legal_name="Northwind Studio LLC",
                address="12 Harbor Street\nPortland, ME 04101\nUnited States",
                email="billing@northwind.example",
                payment_instructions="Bank transfer to Northwind Studio LLC\nIBAN " + IBAN,
            ),
        )
        await billing.workspaces.create_workspace(
            me, WorkspaceCreate(name=LONG_WORD + "Workspace", company_slug=unique("long"))
        )
        member = await billing.accounts.create_user(f"{unique('member')}@example.com", PASSWORD, MEMBER_NAME)
        await billing.workspaces.add_member(me, slug, MemberInput(email=member.email, role="admin"))
        await billing.accounts.create_token(user, "Claude Desktop on the office laptop", None, 90)
        access = await billing.access(me, slug)

        long_client = await billing.clients.create_client(
            access,
            ClientInput(
                name=LONG_WORD,
                email="accounts-payable-department@" + LONG_WORD.lower() + ".example",
                address_line1="Friedrichstraße 123",
                city="Berlin",
                postal_code="10117",
                country="DE",
                tax_number="DE123456789",
            ),
        )
        arabic = await billing.clients.create_client(
            access, ClientInput(name=ARABIC, email="finance@alnoor.example", city="دبي", country="AE")
        )

        async def invoice(data: InvoiceCreate) -> InvoiceOut:
            created = await billing.invoices.create_invoice(access, data)
            assert isinstance(created, InvoiceOut)
            return created

        big = await invoice(
            InvoiceCreate(
                title="Platform rebuild, phase " + LONG_WORD,
                client_uuid=long_client.uuid,
                issue_date=today - dt.timedelta(days=5),
                due_date=today + dt.timedelta(days=25),
                tax_rate=Decimal(19),
                notes="Thank you! " + LONG_WORD,
                items=[
                    ItemInput(description="Engineering " + LONG_WORD, quantity=Decimal(1200), unit_price=Decimal(850)),
                    ItemInput(description=HEBREW, quantity=Decimal("12.5"), unit_price=Decimal("1999.99")),
                ],
            )
        )
        await billing.invoices.send(access, big.uuid, SendInput(notify=False))
        await billing.invoices.mark_paid(
            access, big.uuid, PaymentInput(amount=Decimal(250000), payment_date=today, payment_method="Wire")
        )
        paid = await invoice(
            InvoiceCreate(
                title="Brand refresh",
                client_uuid=long_client.uuid,
                issue_date=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=10),
                items=[ItemInput(description="Design", quantity=Decimal(30), unit_price=Decimal(120))],
            )
        )
        await billing.invoices.send(access, paid.uuid, SendInput(notify=False))
        await billing.invoices.mark_paid(
            access,
            paid.uuid,
            PaymentInput(payment_date=today - dt.timedelta(days=12), payment_method="Bank transfer"),
        )
        overdue = await invoice(
            InvoiceCreate(
                title=ARABIC,
                client_uuid=arabic.uuid,
                currency="EUR",
                issue_date=today - dt.timedelta(days=60),
                due_date=today - dt.timedelta(days=30),
                items=[ItemInput(description="استشارات", quantity=Decimal(40), unit_price=Decimal(95000))],
            )
        )
        await billing.invoices.send(access, overdue.uuid, SendInput(notify=False))
        draft = await invoice(
            InvoiceCreate(
                title=HEBREW,
                client_uuid=arabic.uuid,
                items=[
                    ItemInput(description=HEBREW, quantity=Decimal(3), unit_price=Decimal(100)),
                    ItemInput(description=LONG_WORD, quantity=Decimal(1), unit_price=Decimal("99999.99")),
                ],
            )
        )
        # Overdue without running the sweep over the whole test database: this one only.
        await tenancy.bind(session, None)
        await session.execute(update(Invoice).where(Invoice.id == overdue.uuid).values(status="overdue"))
        sample = (KIT / "samples" / "invalid" / "en16931-ubl-invoice_wrong-tax-total.xml").read_bytes()
        received = await billing.received.receive(access, sample, "supplier.xml")
        public_big = await _public_path(billing, access, big.uuid)
        public_paid = await _public_path(billing, access, paid.uuid)
        await session.commit()

    base = f"/w/{slug}"
    return Owner(
        email=email,
        slug=slug,
        pages={
            "dashboard": base,
            "invoices": f"{base}/invoices",
            "invoice": f"{base}/invoices/{big.uuid}",
            "invoice-paid": f"{base}/invoices/{paid.uuid}",
            "editor": f"{base}/invoices/{draft.uuid}/edit",
            "delete-draft": f"{base}/invoices/{draft.uuid}/delete",
            "einvoice-check": f"{base}/invoices/{draft.uuid}/einvoice/check?format=xrechnung-ubl",
            "received": f"{base}/received",
            "received-invoice": f"{base}/received/{received.uuid}",
            "editor-new": f"{base}/invoices/new",
            "clients": f"{base}/clients",
            "client": f"{base}/clients/{long_client.uuid}",
            "client-new": f"{base}/clients/new",
            "settings": f"{base}/settings",
            "members": f"{base}/members",
            "tokens": "/account/tokens",
            "account": "/account",
            "apps": "/account/apps",
            "workspace-new": "/workspaces/new",
            "all-workspaces": "/account/workspaces",
            "not-found": f"{base}/invoices/{uuid.uuid4()}",
        },
        public={
            "signin": "/signin",
            "signup": "/signup",
            "public-invoice": public_big,
            "public-invoice-paid": public_paid,
            "public-not-found": "/i/no-such-invoice",
        },
        dates={
            "issued": big.issue_date,
            "due": big.due_date,
            "paid_issued": paid.issue_date,
            "paid_on": today - dt.timedelta(days=12),
        },
    )


async def _public_path(billing: Billing, access: Any, invoice_uuid: uuid.UUID) -> str:
    url = (await billing.invoices.get_out(access, invoice_uuid)).public_url
    assert url, "a sent invoice has a public page"
    return "/i/" + url.rsplit("/i/", 1)[1]


async def signed_in(browser: Browser, site: str, owner: Owner, width: int, height: int) -> BrowserContext:
    """A browser context of the given size, signed in as the owner through the form."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    await page.goto(f"{site}/signin")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lambda url: "/signin" not in url)
    await page.close()
    return context


def expected_status(name: str) -> int:
    """The pages named ``...not-found`` answer 404, the others 200."""
    return 404 if name.endswith("not-found") else 200


async def open_page(page: Page, url: str, status: int = 200) -> None:
    """Load a page, check its status, and wait until it is still: fonts loaded, frames in."""
    answer = await page.goto(url)
    assert answer is not None, url
    assert answer.status == status, f"{url} answered {answer.status}, not {status}"
    await page.wait_for_load_state("load")
    await page.evaluate("document.fonts.ready.then(() => true)")
