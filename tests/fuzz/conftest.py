"""Fixtures for the API fuzzing: one ``billcraft serve`` on the test database, a user who owns
a workspace (made through the domain) with a bearer token, and the real rows the fuzzer aims
its path parameters at: a client, an invoice in each lifecycle state and a second member,
replaced as soon as a fuzzed request uses one up (deletes it, cancels it, pays it...)."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from schemathesis import Case, HookContext, Response
from schemathesis.core.parameters import ParameterLocation

from app.config import Settings
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.schemas import WorkspaceCreate
from tests.conftest import unique
from tests.processes import ProcessEnv, serve

# Due far in the future: nothing in the fuzzed workspace turns overdue while the test runs.
FUTURE_DUE = "2099-12-31"
INVOICE_KINDS = ("draft", "finalized", "sent", "paid", "cancelled")
# One case in this many keeps the generated value of a path parameter, so that the
# not-found paths are fuzzed too; the others aim at a real row of the workspace.
KEEP_GENERATED_ONE_IN = 4


@dataclass(frozen=True)
class FuzzAccount:
    """The fuzzing user's bearer token and workspace, and a second user who has an account
    (the fuzzer's removable member)."""

    email: str
    token: str
    slug: str
    member_email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def fuzz_env(migrated: Settings, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> ProcessEnv:
    """Depends on ``migrated`` so that the served process finds the schema in place."""
    return ProcessEnv(database_url=database_url, data_dir=tmp_path_factory.mktemp("fuzz-data"))


@pytest.fixture(scope="session")
def fuzz_server(fuzz_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``billcraft serve`` for the fuzzing: its base URL (its log is in the session's tmp)."""
    log = tmp_path_factory.mktemp("fuzz-serve") / "serve.log"
    # With a secret the bounce webhook checks signatures (without one it is not there: 404).
    with serve(fuzz_env, log, bounce_secret="fuzz-bounce-secret") as base:
        yield base


@pytest.fixture(scope="session")
async def fuzz_account(db: Any) -> FuzzAccount:
    """A user with an all-scopes token who owns a fresh workspace, and a second user, committed
    to the test database that the served process reads."""
    async with db.create_session_maker()() as session:
        billing = Billing(session)
        email = f"{unique('fuzz')}@example.com"
        user = await billing.accounts.create_user(email, "correct horse battery", "Fuzz Owner")
        _, token = await billing.accounts.create_token(user, "fuzzing", None)
        principal = Principal(user_id=user.id, name=user.name, channel=Channel.API)
        workspace = await billing.workspaces.create_workspace(
            principal, WorkspaceCreate(name=unique("Fuzz Agency"), default_currency="USD")
        )
        member_email = f"{unique('fuzz-member')}@example.com"
        await billing.accounts.create_user(member_email, "correct horse battery", "Fuzz Member")
        await session.commit()
    return FuzzAccount(email=email, token=token, slug=workspace.company_slug, member_email=member_email)


def invoice_kind(invoice: dict[str, Any]) -> str:
    """Where an invoice is in its lifecycle: a draft that was finalized is a kind of its own
    (its content is locked, it has a number, it can no longer be deleted)."""
    if invoice["status"] == "draft":
        return "finalized" if invoice.get("finalized_at") else "draft"
    return str(invoice["status"])


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


class Targets:
    """The real rows of the fuzzed workspace that path parameters point at, kept in supply.

    ``aim`` is a schemathesis ``map_case`` hook: it replaces a generated (valid) path
    parameter by a real one, chosen by a checksum of the generated request, so the choice
    is as reproducible as the generation itself. ``after_call`` is an ``after_call`` hook:
    it replaces any row that the request used up.
    """

    def __init__(self, http: httpx.Client, account: FuzzAccount) -> None:
        self.http = http
        self.account = account
        self.slug = account.slug
        self.client_uuid = self._new_client()
        self.invoices = {kind: self._new_invoice(kind) for kind in INVOICE_KINDS}
        members = self._expect(self.http.get(self._url("/members")), 200)["items"]
        self.owner_uuid = next(m["user_uuid"] for m in members if m["email"] == account.email)
        self.member_uuid = self._add_member()

    def _url(self, path: str = "") -> str:
        return f"/api/v1/workspaces/{self.slug}{path}"

    @staticmethod
    def _expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
        if response.status_code not in statuses:
            raise AssertionError(
                f"could not (re)make a fuzzing target: {response.request.method} {response.request.url} "
                f"answered {response.status_code}: {response.text}"
            )
        return response.json() if response.content else {}

    def _new_client(self) -> str:
        body = {"name": unique("Acme"), "email": "billing@acme.example", "country": "GB"}
        return str(self._expect(self.http.post(self._url("/clients"), json=body), 201)["uuid"])

    def _new_invoice(self, kind: str) -> str:
        body = {
            "title": unique("Website"),
            "client_uuid": self.client_uuid,
            "due_date": FUTURE_DUE,
            "tax_rate": "10",
            "items": [{"description": "Design", "quantity": "4", "unit_price": "120.00"}],
        }
        invoice = self._expect(self.http.post(self._url("/invoices"), json=body), 201)
        # How an invoice of each kind is made from a fresh draft: (action, body) in order.
        recipes: dict[str, list[tuple[str, dict[str, Any]]]] = {
            "draft": [],
            "finalized": [("finalize", {})],
            "sent": [("send", {"notify": False})],
            "paid": [("send", {"notify": False}), ("payments", {"payment_method": "Wire transfer"})],
            "cancelled": [("cancel", {"reason": "fuzzing"})],
        }
        for action, payload in recipes[kind]:
            url = self._url(f"/invoices/{invoice['uuid']}/{action}")
            invoice = self._expect(self.http.post(url, json=payload), 200, 201)
        assert invoice_kind(invoice) == kind, invoice
        return str(invoice["uuid"])

    def _add_member(self) -> str:
        body = {"email": self.account.member_email, "role": "member"}
        return str(self._expect(self.http.post(self._url("/members"), json=body), 200, 201)["user_uuid"])

    def real(self, name: str) -> list[str]:
        """The real values for a path parameter (none for a parameter not aimed at)."""
        values = {
            "company_slug": [self.slug],
            "invoice_uuid": list(self.invoices.values()),
            "client_uuid": [self.client_uuid],
            "user_uuid": [self.member_uuid, self.owner_uuid],
        }
        return values.get(name, [])

    def aim(self, context: HookContext, case: Case) -> Case:
        """``map_case``: point valid path parameters (and a body's ``client_uuid``) at real rows."""
        negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
        # The choice hangs on the whole generated request, not on the value alone: the
        # coverage phase puts the same value in every operation's cases.
        salt = repr((case.method, case.path, case.path_parameters, case.query, case.body))
        if case.path_parameters and not negative_path:
            case.path_parameters = {name: self._pick(name, value, salt) for name, value in case.path_parameters.items()}
        if isinstance(case.body, dict) and _is_uuid(case.body.get("client_uuid")):
            case.body = {**case.body, "client_uuid": self._pick("client_uuid", case.body["client_uuid"], salt)}
        return case

    def _pick(self, name: str, value: Any, salt: str) -> Any:
        real = self.real(name)
        valid = _is_uuid(value) if name.endswith("_uuid") else isinstance(value, str)
        if not real or not valid:
            return value
        digest = zlib.crc32(f"{name}:{salt}".encode())
        if digest % KEEP_GENERATED_ONE_IN == 0:
            return value
        return real[(digest // KEEP_GENERATED_ONE_IN) % len(real)]

    def after_call(self, context: HookContext, case: Case, response: Response) -> None:
        """``after_call``: once a request changed something (a 2xx mutation), replace what it
        used up, so that later cases still reach a row of each kind."""
        if case.method.upper() in {"GET", "HEAD", "OPTIONS"} or not 200 <= response.status_code < 300:
            return
        params = case.path_parameters or {}
        invoice = params.get("invoice_uuid")
        for kind, current in list(self.invoices.items()):
            if current != invoice:
                continue
            found = self.http.get(self._url(f"/invoices/{current}"))
            if found.status_code == 404 or invoice_kind(self._expect(found, 200)) != kind:
                self.invoices[kind] = self._new_invoice(kind)
        client_gone = params.get("client_uuid") == self.client_uuid and (
            self.http.get(self._url(f"/clients/{self.client_uuid}")).status_code == 404
        )
        if client_gone:
            self.client_uuid = self._new_client()
        if "user_uuid" in params or case.path.endswith("/members"):
            members = self._expect(self.http.get(self._url("/members")), 200)["items"]
            roles = {m["user_uuid"]: m["role"] for m in members}
            # A workspace always keeps an owner: no request may demote or remove the only one.
            assert roles.get(self.owner_uuid) == "owner", f"the workspace lost its only owner: {members}"
            if roles.get(self.member_uuid) != "member":
                self.member_uuid = self._add_member()


@pytest.fixture(scope="session")
def fuzz_targets(fuzz_server: str, fuzz_account: FuzzAccount) -> Iterator[Targets]:
    with httpx.Client(base_url=fuzz_server, headers=fuzz_account.headers, timeout=30) as http:
        yield Targets(http, fuzz_account)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's ``from_fixture`` reads and writes ``Node._nodeid``, which pytest 9.2
    replaced by ``Node._id``: give it the attribute it expects (it only renames the test in
    its own reports; each operation is still reported as a subtest named after it)."""
    request.node._nodeid = request.node.nodeid
