"""Tenant isolation over REST, generated from the app's route table: a user of another
workspace gets 404 on every workspace-scoped route and method, learns nothing (no slug,
title, client name or uuid of the victim's in the answer) and changes nothing."""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from app.config import Settings
from tests.api.conftest import Caller, make_caller
from tests.api.einvoice_support import KIT
from tests.api.support import (
    assert_problem,
    create_client,
    create_invoice,
    get_invoice,
    invoice_body,
)
from tests.conftest import unique

WORKSPACE_PREFIX = "/api/v1/workspaces/{company_slug"
# Methods the framework answers by itself, for every route, without running a handler.
FRAMEWORK_METHODS = {"OPTIONS", "HEAD"}
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")

# The workspace-scoped routes of DESIGN section 3 (plus from-previous); the generated test
# must find at least these, so a broken filter cannot make it pass vacuously.
KNOWN_ROUTES = {
    ("GET", "/api/v1/workspaces/{company_slug}"),
    ("PATCH", "/api/v1/workspaces/{company_slug}"),
    ("GET", "/api/v1/workspaces/{company_slug}/members"),
    ("POST", "/api/v1/workspaces/{company_slug}/members"),
    ("GET", "/api/v1/workspaces/{company_slug}/clients"),
    ("POST", "/api/v1/workspaces/{company_slug}/clients"),
    ("GET", "/api/v1/workspaces/{company_slug}/clients/{client_uuid}"),
    ("PATCH", "/api/v1/workspaces/{company_slug}/clients/{client_uuid}"),
    ("DELETE", "/api/v1/workspaces/{company_slug}/clients/{client_uuid}"),
    ("GET", "/api/v1/workspaces/{company_slug}/invoices"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/from-previous"),
    ("GET", "/api/v1/workspaces/{company_slug}/invoices/next-number"),
    ("GET", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}"),
    ("PATCH", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}"),
    ("DELETE", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/finalize"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/send"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/payments"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/cancel"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/duplicate"),
    ("DELETE", "/api/v1/workspaces/{company_slug}/members/{user_uuid}"),
    ("GET", "/api/v1/workspaces/{company_slug}/stats"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/credit-notes"),
    ("POST", "/api/v1/workspaces/{company_slug}/invoices/{invoice_uuid}/refunds"),
    ("GET", "/api/v1/workspaces/{company_slug}/credit-notes"),
    ("GET", "/api/v1/workspaces/{company_slug}/credit-notes/{note_uuid}"),
    ("GET", "/api/v1/workspaces/{company_slug}/credit-notes/{note_uuid}/pdf"),
    ("POST", "/api/v1/workspaces/{company_slug}/credit-notes/{note_uuid}/send"),
}


def workspace_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path template) under /api/v1/workspaces/{company_slug} in the app."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(WORKSPACE_PREFIX):
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        found |= {(method, path) for method in route.methods - FRAMEWORK_METHODS}
    return found


@dataclass
class Victim:
    caller: Caller
    client: dict[str, Any]
    invoice: dict[str, Any]
    draft: dict[str, Any]
    workspace: dict[str, Any]
    received: dict[str, Any]  # a supplier's e-invoice it received

    @property
    def note_uuid(self) -> str:
        return str(self.invoice["credit_notes"][0]["uuid"])

    @property
    def owner_uuid(self) -> str:
        return str(self.invoice["history"][0]["actor"]["uuid"])

    @property
    def secrets(self) -> list[str]:
        """Every string whose appearance in a stranger's answer would leak something."""
        values = [
            self.caller.slug,
            self.caller.email,
            self.client["name"],
            self.client["email"],
            self.client["uuid"],
            self.workspace["uuid"],
        ]
        for invoice in (self.invoice, self.draft):
            values += [invoice["uuid"], invoice["title"]]
            if invoice["public_url"]:  # a draft has none
                values.append(invoice["public_url"])
            values += [p["uuid"] for p in invoice["payments"]]
            values += [v for n in invoice["credit_notes"] for v in (n["uuid"], n["number"])]
            values += [e["actor"]["uuid"] for e in invoice["history"] if e["actor"]["uuid"]]
            if invoice["number"]:
                values.append(invoice["number"])
        return [*values, self.received["uuid"]]


async def make_victim(caller: Caller) -> Victim:
    client = await create_client(caller, name=unique("Hidden Client"))
    invoice = await create_invoice(caller, title=unique("Secret Project"), client_uuid=client["uuid"])
    await caller.post(f"/invoices/{invoice['uuid']}/send")
    await caller.post(f"/invoices/{invoice['uuid']}/payments", {"amount": "10.00"})
    await caller.post(f"/invoices/{invoice['uuid']}/credit-notes", {"reason": "Goodwill", "amount": "1.00"})
    draft = await create_invoice(caller, title=unique("Secret Draft"), client_uuid=client["uuid"])
    workspace = (await caller.client.get(caller.url(), headers=caller.headers)).json()
    sample = (KIT / "samples" / "valid" / "xrechnung-ubl-invoice.xml").read_bytes()
    received = await caller.post("/received-invoices", content=sample, headers={"Content-Type": "application/xml"})
    assert received.status_code == 201, received.text
    return Victim(caller, client, await get_invoice(caller, invoice["uuid"]), draft, workspace, received.json())


async def snapshot(victim: Victim) -> dict[str, Any]:
    """Everything the victim can read about their workspace, as they see it."""
    caller = victim.caller
    paths = [
        "",
        "/members",
        "/clients",
        f"/clients/{victim.client['uuid']}",
        "/invoices",
        f"/invoices/{victim.invoice['uuid']}",
        f"/invoices/{victim.draft['uuid']}",
        "/invoices/next-number",
        "/received-invoices",
        "/stats",
    ]
    out: dict[str, Any] = {}
    for path in paths:
        response = await caller.get(path)
        assert response.status_code == 200, (path, response.text)
        out[path] = response.json()
    return out


def _body(method: str, path: str, victim: Victim, stranger: Caller) -> dict[str, Any] | None:
    """A body that would be valid (and harmful) if the stranger were let in: a 404 must
    come from tenancy, never from a refused body."""
    client_uuid = victim.client["uuid"]
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("PATCH", ""): {"name": "Hijacked", "payment_instructions": "pay the stranger"},
        ("POST", "/members"): {"email": stranger.email, "role": "owner"},
        ("POST", "/clients"): {"name": "Planted client"},
        ("PATCH", "/clients/{client_uuid}"): {"email": "stranger@evil.example"},
        ("POST", "/invoices"): invoice_body(title="Planted", client_uuid=client_uuid),
        ("POST", "/invoices/from-previous"): {"client_uuid": client_uuid},
        ("PATCH", "/invoices/{invoice_uuid}"): {"title": "Hijacked"},
        ("POST", "/invoices/{invoice_uuid}/send"): {"to": ["stranger@evil.example"]},
        ("POST", "/invoices/{invoice_uuid}/payments"): {"amount": "1.00"},
        ("POST", "/invoices/{invoice_uuid}/cancel"): {"reason": "stranger"},
        ("POST", "/invoices/{invoice_uuid}/duplicate"): {"title": "Stolen copy"},
        ("POST", "/invoices/{invoice_uuid}/credit-notes"): {"reason": "stranger", "amount": "1.00"},
        ("POST", "/invoices/{invoice_uuid}/refunds"): {"amount": "1.00", "payment_method": "to the stranger"},
        ("POST", "/credit-notes/{note_uuid}/send"): {"to": ["stranger@evil.example"]},
    }
    return bodies.get((method, path.removeprefix("/api/v1/workspaces/{company_slug}")))


def _fill(
    path: str,
    slug: str,
    invoice_uuid: str,
    client_uuid: str,
    user_uuid: str | None = None,
    note_uuid: str = "",
    received_uuid: str = "",
) -> str:
    # A member's user: the victim's own (owner) when known, else one that exists nowhere.
    values = {
        "company_slug": slug,
        "invoice_uuid": invoice_uuid,
        "client_uuid": client_uuid,
        "note_uuid": note_uuid or str(uuidlib.uuid4()),
        "received_uuid": received_uuid or str(uuidlib.uuid4()),
        "user_uuid": user_uuid or str(uuidlib.uuid4()),
        "client_id": "bcc_no-such-app",
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"path parameter {{{name}}} of {path} is new: teach this test what to put there"
        return values[name]

    return _PARAM.sub(fill, path)


async def _call(client: AsyncTestClient[Litestar], method: str, url: str, token: str, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return await client.request(method, url, headers=headers)
    return await client.request(method, url, headers=headers, json=body)


def assert_no_leak(response: httpx.Response, victim: Victim) -> None:
    text = response.text
    for secret in victim.secrets:
        assert secret.lower() not in text.lower(), f"the answer leaks {secret!r}: {text}"


async def test_a_stranger_gets_404_on_every_workspace_route_and_learns_nothing(
    app: Litestar, client: AsyncTestClient[Litestar], caller: Caller, stranger: Caller
) -> None:
    """Generated from the route table: every method of every route under
    /api/v1/workspaces/{company_slug}, called with the victim's slug and real uuids and a
    valid body by a user of another workspace, answers 404 with a problem body that names
    nothing of the victim's; and the victim's workspace is unchanged afterwards."""
    victim = await make_victim(caller)
    before = await snapshot(victim)
    routes = workspace_routes(app)
    assert routes >= KNOWN_ROUTES, f"routes missing from the app: {KNOWN_ROUTES - routes}"

    covered: set[tuple[str, str]] = set()
    for method, path in sorted(routes):
        for invoice in (victim.invoice, victim.draft):
            url = _fill(path, caller.slug, invoice["uuid"], victim.client["uuid"], victim.owner_uuid, victim.note_uuid,
                        victim.received["uuid"])  # fmt: skip
            response = await _call(client, method, url, stranger.token, _body(method, path, victim, stranger))
            assert response.status_code == 404, (method, url, response.text)
            assert_problem(response, 404)
            assert_no_leak(response, victim)
        covered.add((method, path))

    assert covered == routes
    assert await snapshot(victim) == before, "a stranger's request changed the victim's workspace"
    # The members POST above did not let the stranger in.
    assert (await client.get(caller.url("/invoices"), headers=stranger.headers)).status_code == 404
    own = (await client.get("/api/v1/workspaces", headers=stranger.headers)).json()
    assert [w["company_slug"] for w in own["items"]] == [stranger.slug]


async def test_the_answer_for_a_real_workspace_equals_the_answer_for_a_made_up_one(
    caller: Caller, stranger: Caller
) -> None:
    """A stranger cannot tell a workspace that exists from one that does not: both 404
    answers are identical, byte for byte."""
    victim = await make_victim(caller)
    for path in ("", "/invoices", f"/invoices/{victim.invoice['uuid']}", "/stats"):
        real = await stranger.client.get(f"/api/v1/workspaces/{caller.slug}{path}", headers=stranger.headers)
        made_up = await stranger.client.get(
            f"/api/v1/workspaces/{unique('no-such-agency')}{path}", headers=stranger.headers
        )
        assert real.status_code == made_up.status_code == 404
        assert real.content == made_up.content


async def test_a_stranger_using_their_own_slug_cannot_reach_the_victims_invoices_or_clients(
    app: Litestar, client: AsyncTestClient[Litestar], caller: Caller, stranger: Caller
) -> None:
    """Generated from the route table: every route with an invoice or client uuid, called
    with the stranger's OWN slug and the victim's uuids, answers 404 exactly as for a uuid
    that exists nowhere; the victim's data is unchanged."""
    victim = await make_victim(caller)
    before = await snapshot(victim)
    targets = ("{invoice_uuid}", "{client_uuid}", "{note_uuid}", "{received_uuid}")
    with_uuid = {(m, p) for m, p in workspace_routes(app) if any(t in p for t in targets)}
    assert len(with_uuid) >= 10
    for method, path in sorted(with_uuid):
        body = _body(method, path, victim, stranger)
        for invoice in (victim.invoice, victim.draft):
            real = _fill(path, stranger.slug, invoice["uuid"], victim.client["uuid"], note_uuid=victim.note_uuid,
                         received_uuid=victim.received["uuid"])  # fmt: skip
            nowhere = str(uuidlib.uuid4())
            made_up = _fill(path, stranger.slug, nowhere, nowhere, note_uuid=nowhere, received_uuid=nowhere)
            response = await _call(client, method, real, stranger.token, body)
            problem = assert_problem(response, 404)
            assert problem["code"] in {
                "invoice_not_found", "client_not_found", "credit_note_not_found", "received_invoice_not_found",
            }, problem  # fmt: skip
            other = await _call(client, method, made_up, stranger.token, body)
            assert_problem(other, 404, problem["code"])
            # Same answer, up to the uuid the stranger typed in themselves.
            typed = (
                invoice["uuid"] if "{invoice_uuid}" in path
                else victim.note_uuid if "{note_uuid}" in path
                else victim.received["uuid"] if "{received_uuid}" in path
                else victim.client["uuid"]
            )  # fmt: skip
            assert response.text.replace(typed, "X") == other.text.replace(nowhere, "X")
            leaks = [s for s in victim.secrets if s != typed]
            assert not [s for s in leaks if s.lower() in response.text.lower()], response.text
    assert await snapshot(victim) == before


async def test_a_victims_client_uuid_in_a_body_is_not_found_in_the_strangers_workspace(
    caller: Caller, stranger: Caller
) -> None:
    """Pointing one's own invoice at another workspace's client (create, update,
    from-previous, list filter) is refused as not found; nothing is created or changed."""
    victim = await make_victim(caller)
    foreign = victim.client["uuid"]
    own_total = (await stranger.get("/invoices")).json()["total"]

    created = await stranger.post("/invoices", invoice_body(client_uuid=foreign))
    assert assert_problem(created, 404, "client_not_found")["field"] == "client_uuid"
    from_previous = await stranger.post("/invoices/from-previous", {"client_uuid": foreign})
    assert_problem(from_previous, 404, "client_not_found")
    assert (await stranger.get("/invoices")).json()["total"] == own_total

    draft = await create_invoice(stranger)
    patched = await stranger.patch(f"/invoices/{draft['uuid']}", {"client_uuid": foreign})
    assert_problem(patched, 404, "client_not_found")
    assert (await get_invoice(stranger, draft["uuid"]))["client"] is None

    filtered = await stranger.get("/invoices", params={"client_uuid": foreign})
    assert filtered.status_code == 200
    assert filtered.json()["total"] == 0
    assert_no_leak(filtered, victim)


async def test_cross_workspace_stats_and_lists_never_include_another_users_workspace(
    client: AsyncTestClient[Litestar], caller: Caller, stranger: Caller
) -> None:
    """/api/v1/stats and /api/v1/workspaces only cover the caller's own workspaces."""
    victim = await make_victim(caller)
    stats = await client.get("/api/v1/stats", headers=stranger.headers)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["workspaces"] == [stranger.slug]
    assert body["currencies"] == []
    assert sum(body["counts_by_status"].values()) == 0
    assert_no_leak(stats, victim)
    workspaces = await client.get("/api/v1/workspaces", headers=stranger.headers)
    assert_no_leak(workspaces, victim)


async def test_an_idempotency_key_is_private_to_its_user(caller: Caller, stranger: Caller) -> None:
    """The same Idempotency-Key and body from another user creates their own invoice and
    never replays the first user's answer."""
    body = invoice_body(title="Same body")
    key = unique("shared-key")
    first = await caller.post("/invoices", body, headers={"Idempotency-Key": key})
    second = await stranger.post("/invoices", body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["uuid"] != first.json()["uuid"]
    assert (await stranger.get(f"/invoices/{first.json()['uuid']}")).status_code == 404


async def test_a_member_of_two_workspaces_cannot_mix_their_rows(
    client: AsyncTestClient[Litestar], migrated: Settings
) -> None:
    """Even a user who belongs to both workspaces reaches an invoice only under the slug of
    the workspace that owns it: every query filters by the workspace in the path."""
    owner = await make_caller(client, migrated)
    response = await client.post(
        "/api/v1/workspaces", json={"name": unique("Second"), "default_currency": "EUR"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    second = Caller(owner.email, owner.token, response.json()["company_slug"], client)
    invoice = await create_invoice(owner)
    customer = await create_client(owner)
    assert_problem(await second.get(f"/invoices/{invoice['uuid']}"), 404, "invoice_not_found")
    assert_problem(await second.post(f"/invoices/{invoice['uuid']}/send"), 404, "invoice_not_found")
    assert_problem(await second.get(f"/clients/{customer['uuid']}"), 404, "client_not_found")
    assert_problem(await second.post("/invoices", invoice_body(client_uuid=customer["uuid"])), 404)
    assert (await get_invoice(owner, invoice["uuid"]))["status"] == "draft"


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_unknown_routes_answer_a_problem_too(
    client: AsyncTestClient[Litestar], caller: Caller, method: str
) -> None:
    """A path that matches no route (or a malformed uuid) answers 404/405 as a problem."""
    for path in ("/invoices/not-a-uuid", "/nowhere"):
        response = await client.request(method, caller.url(path), headers=caller.headers)
        assert response.status_code in (404, 405), response.text
        assert_problem(response, response.status_code)
