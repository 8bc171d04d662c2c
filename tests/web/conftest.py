"""Fixtures of the web tests: one ``billcraft serve`` on the session's test database,
people made through the domain (a user with a password, a workspace, a client and an
invoice), and a signed-in browser-like HTTP client that keeps its session cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.domain.access import Channel, Principal
from app.domain.approvals import Request
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import (
    ClientInput,
    CreditInput,
    InvoiceCreate,
    ItemInput,
    MemberInput,
    SendInput,
    WorkspaceCreate,
)
from tests.api.einvoice_support import KIT
from tests.conftest import unique
from tests.processes import ProcessEnv, serve

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def web_env(migrated: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> ProcessEnv:
    return ProcessEnv(database_url=database_url, data_dir=tmp_path_factory.mktemp("web-data"))


@pytest.fixture(scope="session")
def site(web_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``billcraft serve`` for the web tests: its base URL."""
    with serve(web_env, tmp_path_factory.mktemp("web-serve") / "serve.log") as base:
        yield base


@dataclass
class Person:
    """A user with a password, owner of a workspace holding one client and one draft, an
    assistant's request to finalize it that waits for their approval, and an invoice sent by
    mistake, credited in full (so cancelled: it counts in no figure)."""

    email: str
    slug: str
    client_uuid: str
    client_name: str
    invoice_uuid: str
    invoice_title: str
    approval_uuid: str
    credit_note_uuid: str
    received_uuid: str  # a supplier's e-invoice the workspace received


MakePerson = Callable[..., Awaitable[Person]]


@pytest.fixture(scope="session")
def make_person(db: Any) -> MakePerson:
    async def make(name: str = "Ada") -> Person:
        async with db.create_session_maker()() as session:
            billing = Billing(session)
            email = f"{unique('web')}@example.com"
            user = await billing.accounts.create_user(email, PASSWORD, name)
            principal = Principal(user_id=user.id, name=user.name, channel=Channel.WEB)
            workspace = await billing.workspaces.create_workspace(principal, WorkspaceCreate(name=unique("Studio")))
            access = await billing.access(principal, workspace.company_slug)
            client = await billing.clients.create_client(
                access, ClientInput(name=unique("Client"), email="billing@client.example")
            )
            invoice = await billing.invoices.create_invoice(
                access,
                InvoiceCreate(
                    title=unique("Secret project"),
                    client_uuid=client.uuid,
                    items=[ItemInput(description="Design", quantity=Decimal(3), unit_price=Decimal("100"))],
                ),
            )
            assert isinstance(invoice, InvoiceOut)
            request = Request(access, "invoice.finalize", invoice.uuid, None, None, "link")
            approval = await billing.approvals.ask(principal, request, {"message": "Finalize?"})
            sent = await billing.invoices.create_invoice(
                access,
                InvoiceCreate(
                    title=unique("Shipped"),
                    items=[ItemInput(description="Audit", quantity=Decimal(1), unit_price=Decimal("500"))],
                ),
            )  # fmt: skip
            assert isinstance(sent, InvoiceOut)
            await billing.invoices.send(access, sent.uuid, SendInput(notify=False))
            credited = await billing.invoices.credit(access, sent.uuid, CreditInput(reason="Sent by mistake"))
            assert isinstance(credited, InvoiceOut)
            sample = (KIT / "samples" / "valid" / "peppol-ubl-invoice.xml").read_bytes()
            received = await billing.received.receive(access, sample, "supplier.xml")
            await session.commit()
        return Person(
            email=email,
            slug=workspace.company_slug,
            client_uuid=str(client.uuid),
            client_name=client.name,
            invoice_uuid=str(invoice.uuid),
            invoice_title=invoice.title,
            approval_uuid=str(approval.id),
            credit_note_uuid=str(credited.credit_notes[0].uuid),
            received_uuid=str(received.uuid),
        )

    return make


@pytest.fixture(scope="session")
def add_member(db: Any) -> Callable[[Person, str, str], Awaitable[None]]:
    """Give ``email`` a ``role`` in the person's workspace."""

    async def add(owner: Person, email: str, role: str) -> None:
        async with db.create_session_maker()() as session:
            billing = Billing(session)
            user = await billing.accounts.by_email(owner.email)
            principal = Principal(user_id=user.id, name=user.name, channel=Channel.WEB)
            await billing.workspaces.add_member(principal, owner.slug, MemberInput(email=email, role=role))
            await session.commit()

    return add


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}})
        elif tag in {"input", "textarea", "select"} and self.forms and a.get("name"):
            if a.get("type", "").lower() in {"checkbox", "radio"} and "checked" not in a:
                return  # as a browser: an unticked box is not sent
            self.forms[-1]["fields"].setdefault(a["name"], a.get("value", ""))


def forms(html: str) -> list[dict[str, Any]]:
    """The forms of a page: action, method and the first value of each named field (of the
    boxes, the ticked ones only)."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action: str) -> dict[str, Any]:
    matching = [f for f in forms(html) if f["action"] == action]
    assert matching, f"no form posting to {action}"
    return dict(matching[0]["fields"])


async def sign_in(base: str, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """An HTTP client signed in through the sign-in form, keeping its session cookie."""
    http = httpx.AsyncClient(base_url=base, timeout=30)
    page = await http.get("/signin")
    fields = form_to(page.text, "/signin")
    done = await http.post("/signin", data={**fields, "email": email, "password": password})
    assert done.status_code == 303, done.text
    return http


@pytest.fixture
async def person(make_person: MakePerson) -> Person:
    return await make_person()


@pytest.fixture
async def browser_of(site: str) -> AsyncIterator[Callable[[Person], Awaitable[httpx.AsyncClient]]]:
    opened: list[httpx.AsyncClient] = []

    async def open_for(who: Person) -> httpx.AsyncClient:
        http = await sign_in(site, who.email)
        opened.append(http)
        return http

    yield open_for
    for http in opened:
        await http.aclose()
