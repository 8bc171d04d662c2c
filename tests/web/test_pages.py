"""The team's web pages over HTTP, against one served ``billcraft`` on the test database.

The access tests are generated from the app's route table: every page and every form of
the web app is checked as a stranger, as a signed-out visitor and without a CSRF token, so
a new page is covered without a new test. The other tests drive the pages as a person
would (load a page, submit its form with what a browser sends) and check what changed,
through the pages and through the domain."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
import pytest
from litestar.routes import HTTPRoute

from app.config import Settings
from app.domain.access import Channel, Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import InvoiceFilter, PaymentInput, SendInput
from app.server import create_app
from app.web import public
from app.web.invoice_actions import ACTIONS
from tests.conftest import unique
from tests.web.conftest import PASSWORD, MakePerson, Person

Browser = Callable[[Person], Awaitable[httpx.AsyncClient]]
AddMember = Callable[[Person, str, str], Awaitable[None]]

# Pages meant for visitors who are not signed in; every other page asks them to sign in.
PUBLIC_PAGES = {"/signin", "/signup"}
# What a form posting to an invoice ends with, for each lifecycle action.
ACTION_SUFFIXES = ("/finalize", "/send", "/pay", "/cancel", "/delete", "/duplicate")
EXPIRED = "This form has expired"


# --- the route table --------------------------------------------------------------------------

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Route:
    """One page or form of the web app, as the app's route table has it."""

    method: str
    template: str  # e.g. /w/{company_slug:str}/invoices/{invoice_uuid:str}
    handler: str

    @property
    def params(self) -> set[str]:
        return set(PARAM.findall(self.template))

    def paths(self, ids: dict[str, str]) -> list[str]:
        """The concrete paths for these ids; ``{action}`` stands for each lifecycle action."""
        paths = [self.template]
        for match in PARAM.finditer(self.template):
            name = match.group(1)
            values = sorted(ACTIONS) if name == "action" else [ids.get(name, "")]
            assert all(values), f"no value for {{{name}}} of {self.template}: teach tests/web/test_pages.py"
            paths = [path.replace(match.group(0), value, 1) for path in paths for value in values]
        return paths


@pytest.fixture(scope="session")
def web_routes(migrated: Settings) -> list[Route]:
    """The GET and POST handlers of the real app defined in the web app's modules (the
    public invoice page, reached by its secret link, is meant for everyone)."""
    app = create_app(migrated)
    found = {
        Route(method, route.path, handler.fn.__name__)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.fn.__module__.startswith("app.web.") and handler.fn.__module__ != public.__name__
        for method in handler.http_methods
        if method in {"GET", "POST"}
    }
    return sorted(found, key=lambda r: (r.method, r.template))


def ids_of(who: Person) -> dict[str, str]:
    return {
        "company_slug": who.slug,
        "client_uuid": who.client_uuid,
        "invoice_uuid": who.invoice_uuid,
        "approval_id": who.approval_uuid,
        "note_uuid": who.credit_note_uuid,
        "received_uuid": who.received_uuid,
    }


def routes(table: list[Route], method: str, *, in_workspace: bool = False) -> list[Route]:
    return [r for r in table if r.method == method and (not in_workspace or "company_slug" in r.params)]


# --- reading pages ----------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def data(self, **changes: str | list[str]) -> dict[str, list[str]]:
        """What a browser submits, with some fields typed over."""
        values = {k: list(v) for k, v in self.fields.items()}
        values.update({k: v if isinstance(v, list) else [v] for k, v in changes.items()})
        return values

    def value(self, name: str) -> str:
        return self.fields.get(name, [""])[0]


class _PageForms(HTMLParser):
    """The forms of a page as a browser submits them: checked boxes only, the selected
    option of a select (else its first), the text of a textarea, no buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            return
        name = a.get("name", "")
        if not self.forms:
            return
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.forms[-1].add(name, a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.forms[-1].add(self._textarea[0], "".join(self._textarea[1]))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            for value in chosen:
                self.forms[-1].add(name, value)
            self._select = None


def page_forms(page: str) -> list[Form]:
    parser = _PageForms()
    parser.feed(page)
    parser.close()
    return parser.forms


def form_at(page: str, action: str) -> Form:
    matching = [f for f in page_forms(page) if f.action == action]
    assert matching, f"no form posting to {action}; forms: {[f.action for f in page_forms(page)]}"
    return matching[0]


def csrf_of(page: str) -> str:
    """The session's CSRF token, from any form of a page (the header's sign-out form has it)."""
    tokens = {f.value("_csrf_token") for f in page_forms(page) if "_csrf_token" in f.fields}
    assert len(tokens) == 1, f"expected one CSRF token on the page, found {tokens}"
    return tokens.pop()


def flashes(page: str) -> list[str]:
    found = re.findall(r'<div class="flash flash-\w+" role="\w+">(.*?)</div>', page, re.S)
    return [html.unescape(text).strip() for text in found]


def field_error(page: str, name: str) -> str:
    """The error shown on a field, which is marked invalid for screen readers."""
    marked = re.search(rf'<(?:input|textarea|select) id="f-{name}"[^>]*\baria-invalid="true"', page)
    assert marked, f"the field {name} is not marked aria-invalid"
    message = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page, re.S)
    assert message, f"no error message for the field {name}"
    return html.unescape(message.group(1)).strip()


def invoice_actions(page: str) -> set[str]:
    """The lifecycle actions offered by an invoice page, as the suffixes of its forms."""
    return {s for f in page_forms(page) for s in ACTION_SUFFIXES if f.action.endswith(s)}


def invoice_path(who: Person, invoice_uuid: str | None = None) -> str:
    return f"/w/{who.slug}/invoices/{invoice_uuid or who.invoice_uuid}"


def badge(page: str) -> tuple[str, str]:
    """The status of an invoice page's badge: (data-status, the word shown)."""
    found = re.search(r'<span class="badge badge-\w+" data-status="(\w+)">([^<]*)</span>', page)
    assert found, "no status badge on the invoice page"
    return found.group(1), found.group(2).strip()


async def followed(http: httpx.AsyncClient, answer: httpx.Response, location: str | None = None) -> httpx.Response:
    """The page a 303 answer sends the browser to."""
    assert answer.status_code == 303, (answer.status_code, answer.text[:2000])
    target = answer.headers["location"]
    if location is not None:
        assert target == location
    page = await http.get(target)
    assert page.status_code == 200, (target, page.status_code, page.text[:2000])
    return page


async def loaded(http: httpx.AsyncClient, path: str) -> str:
    page = await http.get(path)
    assert page.status_code == 200, (path, page.status_code, page.text[:2000])
    return page.text


async def forms_of_pages(http: httpx.AsyncClient, paths: list[str]) -> dict[str, Form]:
    """The POST forms found on these pages (documents such as PDFs left out), by action."""
    found: dict[str, Form] = {}
    for path in paths:
        if path.endswith("/pdf"):
            continue
        answer = await http.get(path, follow_redirects=True)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:2000])
        for form in page_forms(answer.text):
            if form.method == "post":
                found.setdefault(form.action, form)
    return found


async def attempt_sign_in(base: str, email: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        fields = form_at(await loaded(http, "/signin"), "/signin")
        return await http.post("/signin", data=fields.data(email=email, password=password))


# --- the domain, to set up state and check outcomes ------------------------------------------


@dataclass
class Domain:
    billing: Billing
    principal: Principal
    access: WorkspaceAccess

    async def invoice(self, invoice_uuid: str) -> InvoiceOut:
        return await self.billing.invoices.get_out(self.access, uuid.UUID(invoice_uuid))


@asynccontextmanager
async def domain(db: Any, who: Person) -> AsyncIterator[Domain]:
    """The person's workspace through the domain services; committed at the end."""
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        user = await billing.accounts.by_email(who.email)
        principal = Principal(user_id=user.id, name=user.name, channel=Channel.WEB)
        yield Domain(billing, principal, await billing.access(principal, who.slug))
        await session.commit()


async def invoice_of(db: Any, who: Person, invoice_uuid: str | None = None) -> InvoiceOut:
    async with domain(db, who) as d:
        return await d.invoice(invoice_uuid or who.invoice_uuid)


async def snapshot(db: Any, who: Person) -> dict[str, Any]:
    """Everything of a workspace a page could change: its invoice (with history), its
    invoices, clients, members and settings."""
    async with domain(db, who) as d:
        invoice = await d.invoice(who.invoice_uuid)
        invoices = await d.billing.invoices.list_page(d.access, InvoiceFilter(per_page=100))
        clients = await d.billing.clients.list_page(d.access, None, 1, 100)
        members = await d.billing.workspaces.members(d.principal, who.slug)
        settings = await d.billing.workspaces.get_out(d.principal, who.slug)
        user = await d.billing.accounts.by_email(who.email)
        tokens = await d.billing.accounts.list_tokens(user.id)
    return {
        "invoice": msgspec.to_builtins(invoice),
        "invoices": msgspec.to_builtins(invoices),
        "clients": msgspec.to_builtins(clients),
        "members": msgspec.to_builtins(members),
        "settings": msgspec.to_builtins(settings),
        "tokens": len(tokens),
    }


async def send_quietly(db: Any, who: Person) -> None:
    async with domain(db, who) as d:
        await d.billing.invoices.send(d.access, uuid.UUID(who.invoice_uuid), SendInput(notify=False))


# --- access, generated from the route table ------------------------------------------------


def assert_hidden(answer: httpx.Response, owner: Person, what: str) -> None:
    """A 404 page that gives nothing of the owner's workspace away."""
    assert answer.status_code == 404, (what, answer.status_code, answer.text[:2000])
    assert answer.headers["content-type"].startswith("text/html"), what
    for secret in (owner.invoice_title, owner.client_name, owner.slug):
        assert secret not in answer.text, (what, secret)


async def test_a_stranger_gets_404_from_every_page_and_form_of_another_workspace(
    web_routes: list[Route], make_person: MakePerson, browser_of: Browser, db: Any
) -> None:
    """Workspace isolation on every page of the web app: a signed-in person who is not a
    member gets the same "not found" for another workspace's pages and forms (even with a
    valid CSRF token of their own and a well-formed submission), which neither shows nor
    changes anything of that workspace."""
    owner, stranger = await make_person("Owner"), await make_person("Stranger")
    http = await browser_of(stranger)
    pages, forms = routes(web_routes, "GET", in_workspace=True), routes(web_routes, "POST", in_workspace=True)
    assert len(pages) >= 10, pages
    assert len(forms) >= 10, forms

    # What the stranger would submit on their own workspace's pages, with their own token.
    own_forms = await forms_of_pages(http, [p for r in pages for p in r.paths(ids_of(stranger))])
    token = csrf_of(await loaded(http, f"/w/{stranger.slug}"))
    before = await snapshot(db, owner)

    for route in pages:
        for path in route.paths(ids_of(owner)):
            assert_hidden(await http.get(path), owner, f"GET {path}")
    posted = 0
    for route in forms:
        for theirs, own in zip(route.paths(ids_of(owner)), route.paths(ids_of(stranger)), strict=True):
            form = own_forms.get(own)
            data = form.data(_csrf_token=token) if form else {"_csrf_token": [token]}
            assert_hidden(await http.post(theirs, data=data), owner, f"POST {theirs}")
            posted += 1
    assert posted >= 10

    assert await snapshot(db, owner) == before
    assert (await invoice_of(db, owner)).status == "draft"
    # The stranger's session and workspace are still fine: the refusals were not errors.
    assert (await http.get(f"/w/{stranger.slug}")).status_code == 200


async def test_every_page_sends_a_signed_out_visitor_to_sign_in_and_back(
    web_routes: list[Route], site: str, make_person: MakePerson
) -> None:
    """Every page of the web app but sign-in and sign-up needs a session: a visitor without
    one is sent to /signin with the page (and its query) as ``next``."""
    owner = await make_person()
    pages = [r for r in routes(web_routes, "GET") if r.template not in PUBLIC_PAGES]
    assert len(pages) >= 10, pages
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        for route in pages:
            for path in route.paths(ids_of(owner)):
                answer = await http.get(path)
                assert answer.status_code == 303, (path, answer.status_code, answer.text[:1000])
                assert answer.headers["location"] == f"/signin?{urlencode({'next': path})}", path
                assert owner.invoice_title not in answer.text
        with_query = f"/w/{owner.slug}/clients?q=acme&page=2"
        answer = await http.get(with_query)
        assert answer.headers["location"] == f"/signin?{urlencode({'next': with_query})}"
        for path in PUBLIC_PAGES:
            assert (await http.get(path)).status_code == 200, path


async def test_every_form_refuses_a_post_without_the_sessions_csrf_token(
    web_routes: list[Route], site: str, make_person: MakePerson, browser_of: Browser, db: Any
) -> None:
    """CSRF on every form of the web app: a post with no token, or with a token that is not
    the session's, is refused with a 403 page saying the form expired, and changes nothing
    (the invoice is still a draft, the session and the password still work)."""
    owner = await make_person()
    http = await browser_of(owner)
    forms = routes(web_routes, "POST")
    assert len(forms) >= 10, forms
    pages = [r for r in routes(web_routes, "GET") if r.template not in PUBLIC_PAGES]
    own_forms = await forms_of_pages(http, [p for r in pages for p in r.paths(ids_of(owner))])
    assert {"/account/password", "/account/tokens", "/signout", f"{invoice_path(owner)}/finalize"} <= set(own_forms)
    before = await snapshot(db, owner)

    for route in forms:
        for path in route.paths(ids_of(owner)):
            form = own_forms.get(path, Form(path, "post"))
            without = {k: v for k, v in form.data().items() if k != "_csrf_token"}
            for data in (without, {**without, "_csrf_token": ["forged-" + uuid.uuid4().hex]}):
                answer = await http.post(path, data=data)
                assert answer.status_code == 403, (path, answer.status_code, answer.text[:2000])
                assert answer.headers["content-type"].startswith("text/html"), path
                assert EXPIRED in answer.text, path

    assert await snapshot(db, owner) == before
    assert (await invoice_of(db, owner)).status == "draft"
    assert (await http.get(invoice_path(owner))).status_code == 200, "the refused sign-out ended the session"
    assert (await attempt_sign_in(site, owner.email, PASSWORD)).status_code == 303


# --- roles -----------------------------------------------------------------------------------


async def test_a_viewer_reads_an_invoice_without_actions_and_cannot_finalize_it(
    make_person: MakePerson, add_member: AddMember, browser_of: Browser, db: Any
) -> None:
    """Roles on the invoice page: a viewer is offered no lifecycle action nor the editor,
    a finalize posted anyway (with the viewer's valid token) is refused with 403, and the
    editing forms themselves answer 403 naming the role; a member is offered the draft's
    actions."""
    owner, viewer, member = await make_person("Owner"), await make_person("Viewer"), await make_person("Member")
    await add_member(owner, viewer.email, "viewer")
    await add_member(owner, member.email, "member")
    base = invoice_path(owner)

    as_viewer = await browser_of(viewer)
    page = await loaded(as_viewer, base)
    assert owner.invoice_title in page
    assert invoice_actions(page) == set()
    assert f'href="{base}/edit"' not in page
    assert "your role does not let you change it" in page
    refused = await as_viewer.post(f"{base}/finalize", data={"_csrf_token": csrf_of(page), "seen_status": "draft"})
    assert refused.status_code == 403, refused.text[:2000]
    assert "Not allowed" in refused.text
    invoice = await invoice_of(db, owner)
    assert (invoice.status, invoice.finalized_at, invoice.number) == ("draft", None, None)

    for form_page in (f"{base}/edit", f"/w/{owner.slug}/invoices/new", f"/w/{owner.slug}/clients/new"):
        shown = await as_viewer.get(form_page)
        assert shown.status_code == 403, (form_page, shown.text[:2000])
        assert "your role in this workspace is viewer" in shown.text.lower()

    page = await loaded(await browser_of(member), base)
    assert invoice_actions(page) == {"/finalize", "/send", "/duplicate", "/delete", "/cancel"}
    assert f'href="{base}/edit"' in page


# --- the invoice lifecycle through its forms --------------------------------------------------


async def test_a_stale_cancel_says_what_changed_and_changes_nothing(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """A form from a page loaded before someone else acted: the refusal says the invoice
    changed since the page was loaded (sent, now paid), the page no longer offers the
    action, and the invoice stays as the other person left it."""
    await send_quietly(db, person)
    http = await browser_of(person)
    base = invoice_path(person)
    cancel = form_at(await loaded(http, base), f"{base}/cancel")
    assert cancel.value("seen_status") == "sent"

    async with domain(db, person) as d:
        await d.billing.invoices.mark_paid(d.access, uuid.UUID(person.invoice_uuid), PaymentInput())

    answer = await http.post(f"{base}/cancel", data=cancel.data(reason="Too late"))
    page = (await followed(http, answer, base)).text
    message = " ".join(flashes(page))
    assert "changed since the page was loaded" in message
    assert "it was sent and is now paid" in message
    assert "/cancel" not in invoice_actions(page)
    assert badge(page)[0] == "paid"
    invoice = await invoice_of(db, person)
    assert (invoice.status, invoice.cancel_reason, invoice.cancelled_at) == ("paid", None, None)


async def test_finalize_duplicate_delete_and_cancel_through_the_invoice_forms(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """The lifecycle from the invoice page: finalize gives the number (said in the flash)
    and locks the editor; duplicate opens the editor of a new draft; a draft is deleted for
    good; cancel keeps its reason, shown on the page and in the history."""
    http = await browser_of(person)
    base = invoice_path(person)
    page = await loaded(http, base)
    assert badge(page) == ("draft", "Draft")
    assert f'href="{base}/edit"' in page

    # Finalize.
    answer = await http.post(f"{base}/finalize", data=form_at(page, f"{base}/finalize").data())
    page = (await followed(http, answer, base)).text
    number = (await invoice_of(db, person)).number
    assert number
    assert any(f"its number is {number}" in m for m in flashes(page)), flashes(page)
    assert badge(page) == ("draft", "Finalized")
    assert f'href="{base}/edit"' not in page
    assert {"/finalize", "/delete"}.isdisjoint(invoice_actions(page))
    locked = await http.get(f"{base}/edit")
    assert locked.status_code == 303
    assert locked.headers["location"] == base

    # Duplicate: a new draft, in the editor.
    answer = await http.post(f"{base}/duplicate", data=form_at(page, f"{base}/duplicate").data())
    assert answer.status_code == 303, answer.text[:2000]
    edit = re.fullmatch(rf"/w/{person.slug}/invoices/([0-9a-f-]{{36}})/edit", answer.headers["location"])
    assert edit, answer.headers["location"]
    copy_uuid = edit.group(1)
    assert copy_uuid != person.invoice_uuid
    editor = (await followed(http, answer)).text
    assert form_at(editor, f"{invoice_path(person, copy_uuid)}/edit").value("title") == person.invoice_title
    copy = await invoice_of(db, person, copy_uuid)
    assert (copy.status, copy.number, copy.finalized_at) == ("draft", None, None)

    # Delete the copy: the invoice page's button asks first, on a page of its own.
    copy_page = await loaded(http, invoice_path(person, copy_uuid))
    ask = form_at(copy_page, f"{invoice_path(person, copy_uuid)}/delete")
    assert ask.method == "get"
    delete = form_at(await loaded(http, ask.action), f"{invoice_path(person, copy_uuid)}/delete")
    answer = await http.post(delete.action, data=delete.data())
    listing = (await followed(http, answer, f"/w/{person.slug}/invoices")).text
    assert copy_uuid not in listing
    assert person.invoice_uuid in listing
    assert (await http.get(invoice_path(person, copy_uuid))).status_code == 404

    # Cancel the finalized original, with a reason.
    reason = f"Issued twice by mistake {unique('r')}"
    page = await loaded(http, base)
    answer = await http.post(f"{base}/cancel", data=form_at(page, f"{base}/cancel").data(reason=reason))
    page = (await followed(http, answer, base)).text
    assert "The invoice is cancelled." in flashes(page)
    assert badge(page)[0] == "cancelled"
    assert f'<strong>Cancelled:</strong> <span dir="auto">{reason}</span>' in page
    assert f'<span class="note" dir="auto">{reason}</span>' in page  # in the history
    invoice = await invoice_of(db, person)
    assert (invoice.status, invoice.cancel_reason) == ("cancelled", reason)
    assert [h.note for h in invoice.history if h.action == "cancel"] == [reason]


# --- workspace settings and members ----------------------------------------------------------


async def test_an_admin_saves_business_settings_that_number_and_date_new_invoices(
    make_person: MakePerson, add_member: AddMember, browser_of: Browser, db: Any
) -> None:
    """Business settings saved by an admin are kept and used: the payment terms set the
    due date the new-invoice editor proposes, and the number pattern numbers the next
    invoice."""
    owner, admin = await make_person("Owner"), await make_person("Admin")
    await add_member(owner, admin.email, "admin")
    http = await browser_of(admin)
    action = f"/w/{owner.slug}/settings"

    form = form_at(await loaded(http, action), action)
    saved = form.data(legal_name="Acme Consulting LLC", payment_terms_days="14", number_pattern="AC-{YYYY}-{SEQ:3}")
    page = (await followed(http, await http.post(action, data=saved), action)).text
    assert any(m.startswith("Settings saved") for m in flashes(page)), flashes(page)
    shown = form_at(page, action)
    assert (shown.value("legal_name"), shown.value("payment_terms_days")) == ("Acme Consulting LLC", "14")
    async with domain(db, owner) as d:
        settings = await d.billing.workspaces.get_out(d.principal, owner.slug)
    assert (settings.legal_name, settings.payment_terms_days, settings.number_pattern) == (
        "Acme Consulting LLC", 14, "AC-{YYYY}-{SEQ:3}",
    )  # fmt: skip
    assert (settings.name, settings.timezone, settings.locale) == (form.value("name"), "UTC", form.value("locale"))

    new = f"/w/{owner.slug}/invoices/new"
    editor = form_at(await loaded(http, new), new)
    issued, due = dt.date.fromisoformat(editor.value("issue_date")), dt.date.fromisoformat(editor.value("due_date"))
    assert due - issued == dt.timedelta(days=14)

    async with domain(db, owner) as d:
        finalized = await d.billing.invoices.finalize(d.access, uuid.UUID(owner.invoice_uuid))
    assert isinstance(finalized, InvoiceOut)
    assert finalized.number == f"AC-{finalized.issue_date.year}-001"


async def test_an_unknown_timezone_rerenders_the_settings_with_422_and_saves_nothing(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """A refused settings form: an unknown timezone re-renders the form with 422, the
    field marked invalid with its message, what was typed kept, and nothing saved (not
    even the valid fields posted with it). The handler rolls the transaction back, and the
    page it renders afterwards must not read the expired ORM user (that was a 500)."""
    http = await browser_of(person)
    action = f"/w/{person.slug}/settings"
    form = form_at(await loaded(http, action), action)
    async with domain(db, person) as d:
        before = msgspec.to_builtins(await d.billing.workspaces.get_out(d.principal, person.slug))

    refused = await http.post(action, data=form.data(timezone="Mars/Base", legal_name="Not Saved Ltd"))
    assert refused.status_code == 422, refused.text[:2000]
    assert "Mars/Base" in field_error(refused.text, "timezone")
    kept = form_at(refused.text, action)
    assert (kept.value("timezone"), kept.value("legal_name")) == ("Mars/Base", "Not Saved Ltd")
    async with domain(db, person) as d:
        assert msgspec.to_builtins(await d.billing.workspaces.get_out(d.principal, person.slug)) == before


@dataclass(frozen=True)
class RefusedEdit:
    """A form of an editing page, posted with one bad field."""

    page: str  # the path of the page, from the person's ids
    changes: dict[str, str]
    field: str
    message: str


REFUSED_EDITS = {
    "client": RefusedEdit(
        "/w/{company_slug}/clients/{client_uuid}/edit", {"email": "not-an-email"}, "email", "not-an-email"
    ),
    "new invoice": RefusedEdit(
        "/w/{company_slug}/invoices/new", {"title": "Lots", "tax_rate": "lots"}, "tax_rate", "must be a number"
    ),
    "invoice": RefusedEdit(
        "/w/{company_slug}/invoices/{invoice_uuid}/edit", {"tax_rate": "lots"}, "tax_rate", "must be a number"
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_EDITS))
async def test_a_refused_edit_rerenders_its_form_with_422_and_saves_nothing(
    case: str, person: Person, browser_of: Browser, db: Any
) -> None:
    """The editing pages that roll back a refused save (client, new invoice, invoice
    draft) show the form again with 422 and the message on the field, and save nothing
    (not a 500 from the signed-in user expired by the rollback)."""
    edit = REFUSED_EDITS[case]
    http = await browser_of(person)
    path = edit.page.format(**ids_of(person))
    before = await snapshot(db, person)
    form = form_at(await loaded(http, path), path)

    refused = await http.post(path, data=form.data(**edit.changes))
    assert refused.status_code == 422, refused.text[:2000]
    assert edit.message in field_error(refused.text, edit.field)
    assert await snapshot(db, person) == before


async def test_members_are_added_by_email_and_an_unknown_email_is_a_field_error(
    make_person: MakePerson, browser_of: Browser, db: Any
) -> None:
    """Adding members: an email without an account is refused on the email field (422,
    nobody added); an existing user added as "member" is listed with that role."""
    owner, colleague = await make_person("Owner"), await make_person("Colleague")
    http = await browser_of(owner)
    action = f"/w/{owner.slug}/members"
    form = form_at(await loaded(http, action), action)

    nobody = f"{unique('nobody')}@example.com"
    refused = await http.post(action, data=form.data(email=nobody, role="member"))
    assert refused.status_code == 422, refused.text[:2000]
    assert "sign up first" in field_error(refused.text, "email")
    async with domain(db, owner) as d:
        assert [m.email for m in (await d.billing.workspaces.members(d.principal, owner.slug)).items] == [owner.email]

    page = (await followed(http, await http.post(action, data=form.data(email=colleague.email, role="member")))).text
    assert f"{colleague.email} is now member in this workspace." in flashes(page)
    row = re.search(rf"<td>{re.escape(colleague.email)}</td><td><span class=\"badge\">(\w+)</span></td>", page)
    assert row, "the new member is not listed"
    assert row.group(1) == "member"
    async with domain(db, owner) as d:
        roles = {m.email: m.role for m in (await d.billing.workspaces.members(d.principal, owner.slug)).items}
    assert roles == {owner.email: "owner", colleague.email: "member"}


# --- the person's account ---------------------------------------------------------------------


async def test_an_api_token_is_shown_once_works_as_a_bearer_and_stops_when_revoked(
    person: Person, site: str, browser_of: Browser
) -> None:
    """Personal API tokens from the page: the plain token is shown once, it authenticates
    the REST API with the chosen scope, it is listed (never in plain), and once revoked
    the API refuses it."""
    http = await browser_of(person)
    name = unique("nightly export")
    form = form_at(await loaded(http, "/account/tokens"), "/account/tokens")
    created = await http.post("/account/tokens", data=form.data(name=name, scopes=["invoices:read"], expires=""))
    assert created.status_code == 200, created.text[:2000]
    plain = re.search(r'<input id="new-token"[^>]*value="([^"]+)"', created.text)
    assert plain, "the new token is not shown"
    token = plain.group(1)
    assert token.startswith("bc_")

    api = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=site, timeout=30) as client:
        listed = await client.get("/api/v1/workspaces", headers=api)
        assert listed.status_code == 200, listed.text
        assert person.slug in listed.text

        page = await loaded(http, "/account/tokens")
        assert token not in page, "the plain token is shown again"
        row = re.search(
            rf"<tr>\s*<td><span dir=\"auto\">{re.escape(name)}</span><br><code>([\w-]+)…</code></td>\s*<td>(.*?)</td>",
            page,
            re.S,
        )
        assert row, "the token is not listed"
        assert token.startswith(row.group(1))
        assert re.findall(r"<code>([^<]+)</code>", row.group(2)) == ["invoices:read"]

        revoke = next(f for f in page_forms(page) if f.action == "/account/tokens/revoke")
        page = (await followed(http, await http.post(revoke.action, data=revoke.data()), "/account/tokens")).text
        assert "The token is revoked: it no longer works." in flashes(page)
        assert (await client.get("/api/v1/workspaces", headers=api)).status_code == 401


async def test_sign_up_refuses_a_taken_email_and_a_short_password_and_sign_out_ends_the_session(
    person: Person, site: str
) -> None:
    """Sign-up and sign-out: a taken email is an error on the email field (409), a short
    password on the password field (422); a new account is signed in, and signing out ends
    the session on the server (its cookie no longer opens a page)."""
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        form = form_at(await loaded(http, "/signup"), "/signup")
        taken = await http.post("/signup", data=form.data(name="Ada", email=person.email, password=PASSWORD))
        assert taken.status_code == 409, taken.text[:2000]
        assert "already exists" in field_error(taken.text, "email")

        email = f"{unique('new')}@example.com"
        short = await http.post("/signup", data=form.data(name="Ada", email=email, password="short"))
        assert short.status_code == 422, short.text[:2000]
        assert "8 characters" in field_error(short.text, "password")
        assert form_at(short.text, "/signup").value("email") == email  # kept; the password is not
        assert form_at(short.text, "/signup").value("password") == ""

        welcome = await followed(
            http, await http.post("/signup", data=form.data(name="Ada", email=email, password=PASSWORD)),
            "/workspaces/new",
        )  # fmt: skip
        cookie = http.cookies.get("billcraft_session")
        assert cookie

        signout = form_at(welcome.text, "/signout")
        out = await http.post("/signout", data=signout.data())
        assert out.status_code == 303
        assert out.headers["location"] == "/signin"
        home = await http.get("/")
        assert home.status_code == 303
        assert home.headers["location"] == f"/signin?{urlencode({'next': '/'})}"

    async with httpx.AsyncClient(base_url=site, timeout=30, cookies={"billcraft_session": cookie}) as replay:
        again = await replay.get("/account")
        assert again.status_code == 303, "the session outlived its sign-out"
        assert again.headers["location"].startswith("/signin?")


async def test_a_password_change_needs_the_current_password_and_replaces_the_old_one(
    person: Person, site: str, browser_of: Browser
) -> None:
    """Changing the password: a wrong current password is an error on that field (422,
    nothing changed); with the right one, the new password signs in and the old no longer
    does."""
    http = await browser_of(person)
    form = form_at(await loaded(http, "/account"), "/account/password")
    new = "a much longer passphrase"

    wrong = await http.post(
        "/account/password", data=form.data(current_password="not it at all", new_password=new, confirm_password=new)
    )
    assert wrong.status_code == 422, wrong.text[:2000]
    assert field_error(wrong.text, "current_password") == "this is not your current password"
    assert (await attempt_sign_in(site, person.email, new)).status_code == 401

    done = await http.post(
        "/account/password", data=form.data(current_password=PASSWORD, new_password=new, confirm_password=new)
    )
    page = (await followed(http, done, "/account")).text
    assert "Your password is changed." in flashes(page)
    assert (await attempt_sign_in(site, person.email, new)).status_code == 303
    assert (await attempt_sign_in(site, person.email, PASSWORD)).status_code == 401


# --- clients ---------------------------------------------------------------------------------


async def test_clients_are_searched_validated_and_show_what_they_owe(
    person: Person, browser_of: Browser, db: Any
) -> None:
    """Client pages: a new client is created from the form; the search finds a client by
    name and leaves the others out; a bad email re-renders the form with 422 and the
    message; a client's page shows the outstanding balance once its invoice is sent."""
    http = await browser_of(person)
    clients, new = f"/w/{person.slug}/clients", f"/w/{person.slug}/clients/new"
    form = form_at(await loaded(http, new), new)

    refused = await http.post(new, data=form.data(name=unique("Globex"), email="not-an-email"))
    assert refused.status_code == 422, refused.text[:2000]
    assert "not-an-email" in field_error(refused.text, "email")
    assert form_at(refused.text, new).value("email") == "not-an-email"

    name = unique("Globex")
    created = await http.post(new, data=form.data(name=name, email="ap@globex.example"))
    assert created.status_code == 303, created.text[:2000]
    assert f"{name} is added." in flashes((await followed(http, created)).text)

    found = await loaded(http, f"{clients}?{urlencode({'q': name[-10:].upper()})}")
    assert name in found
    assert person.client_name not in found
    found = await loaded(http, f"{clients}?{urlencode({'q': person.client_name})}")
    assert person.client_name in found
    assert name not in found
    assert "No client matches" in await loaded(http, f"{clients}?q=nothing-like-this")
    listing = await loaded(http, clients)
    assert name in listing
    assert person.client_name in listing

    client_page = f"{clients}/{person.client_uuid}"
    assert "Nothing invoiced yet." in await loaded(http, client_page)  # a draft is not owed
    await send_quietly(db, person)
    page = await loaded(http, client_page)
    assert 'data-kpi="outstanding-USD">$300.00</dd>' in page
    assert person.invoice_uuid in page


@pytest.mark.parametrize("section", ["clients", "invoices"])
async def test_a_search_for_a_wildcard_character_finds_only_what_contains_it(
    section: str, person: Person, browser_of: Browser
) -> None:
    """The searches of the client and invoice lists take the text as typed: "_" or "%"
    finds only names and titles containing that character, not everything (LIKE's
    wildcards are escaped)."""
    http = await browser_of(person)
    nothing = {"clients": "No client matches", "invoices": "No invoice matches this filter."}[section]
    for typed in ("_", "%"):
        found = await loaded(http, f"/w/{person.slug}/{section}?{urlencode({'q': typed})}")
        assert nothing in found, typed


@pytest.mark.parametrize("section", ["clients", "invoices"])
async def test_a_search_holding_a_nul_character_is_answered_never_a_500(
    section: str, person: Person, browser_of: Browser
) -> None:
    """A NUL (U+0000) typed into a list's search (PostgreSQL cannot hold one in text) finds
    nothing or is refused with a page that says why; never a 500."""
    http = await browser_of(person)
    nothing = {"clients": "No client matches", "invoices": "No invoice matches this filter."}[section]
    answer = await http.get(f"/w/{person.slug}/{section}?{urlencode({'q': 'a' + chr(0)})}")
    assert answer.status_code in (200, 422), (answer.status_code, answer.text[:2000])
    # The page either lists no match or says that the search (or the page) refused the NUL.
    assert nothing in answer.text or "NUL character" in answer.text, answer.text[:2000]
