"""Web security against real served processes: the security headers on every page of the
route table and on every other kind of answer, the session cookie's flags, a new session
at sign-in, sign-in throttling per email and per address, what pages do while the session
store (Redis) is down, and that no password, token or secret link reaches the log.
(CSRF on every form is in test_pages.py; the browser journey checks that the content
security policy blocks nothing the pages use.)"""

from __future__ import annotations

import dataclasses
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from litestar.testing import AsyncTestClient

from app.config import Settings
from app.domain.access import ALL_SCOPES
from app.security_headers import DOCUMENT_CSP, PAGE_CSP
from app.server import create_app
from app.sessions import SESSION_COOKIE
from tests.conftest import ONE_DATABASE, REDIS_URL, OwnDatabase, unique
from tests.processes import ProcessEnv, serve
from tests.tcpproxy import TcpProxy
from tests.web.conftest import PASSWORD, MakePerson, form_to, sign_in
from tests.web.test_pages import Route, ids_of, routes, web_routes  # noqa: F401 (web_routes is a fixture)

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def assert_common_headers(answer: httpx.Response) -> None:
    for name, value in COMMON.items():
        if name == "referrer-policy" and urlsplit(str(answer.url)).path.startswith("/i/"):
            value = "no-referrer"  # the client's page carries its secret in the URL
        assert answer.headers.get(name) == value, (str(answer.url), name, answer.headers)
    assert "permissions-policy" in answer.headers


async def test_every_page_of_the_route_table_carries_the_security_headers(
    web_routes: list[Route],  # noqa: F811
    site: str,
    make_person: MakePerson,
) -> None:
    owner = await make_person()
    pages = routes(web_routes, "GET")
    assert len(pages) >= 12
    http = await sign_in(site, owner.email)
    try:
        for route in pages:
            for path in route.paths(ids_of(owner)):
                answer = await http.get(path)
                assert answer.status_code in (200, 302, 303), (path, answer.status_code)
                assert_common_headers(answer)
                if answer.headers.get("content-type", "").startswith("text/html"):
                    expected = DOCUMENT_CSP if path.endswith("/preview") else PAGE_CSP
                    assert answer.headers["content-security-policy"] == expected, path
                    assert answer.headers["x-frame-options"] in ("SAMEORIGIN", "DENY"), path
        # Errors, the API, unknown addresses and the static files carry them as well.
        for path, status in [
            (f"/w/{unique('nobody')}", 404),
            ("/api/v1/workspaces", 401),
            ("/no/such/page", 404),
            ("/static/billcraft.css", 200),
            ("/health", 200),
        ]:
            answer = await http.get(path, headers={"Authorization": ""} if path.startswith("/api") else None)
            assert answer.status_code == status, path
            assert_common_headers(answer)
        missing = await http.get(f"/w/{unique('nobody')}")
        assert missing.headers["content-security-policy"] == PAGE_CSP
    finally:
        await http.aclose()


async def test_the_session_cookie_is_http_only_same_site_and_secure_behind_https(
    site: str, make_person: MakePerson, migrated: Settings
) -> None:
    owner = await make_person()
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        page = await http.get("/signin")
        fields = form_to(page.text, "/signin")
        done = await http.post("/signin", data={**fields, "email": owner.email, "password": PASSWORD})
        cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= flags
    assert flags & {"expires", "max-age"}  # kept across browser restarts, for SESSION_DAYS
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # plain http on loopback: a Secure cookie would never come back

    behind_https = dataclasses.replace(migrated, base_url="https://billing.example")
    async with AsyncTestClient(app=create_app(behind_https), base_url="https://billing.example") as https:
        answer = await https.get("/signin")
    assert "secure" in {p.strip().lower() for p in answer.headers["set-cookie"].split(";")}
    assert answer.headers["strict-transport-security"].startswith("max-age=")


async def test_sign_in_gives_a_new_session_and_the_old_id_signs_nobody_in(site: str, make_person: MakePerson) -> None:
    owner = await make_person()
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        page = await http.get("/signin")
        planted = http.cookies[SESSION_COOKIE]
        fields = form_to(page.text, "/signin")
        await http.post("/signin", data={**fields, "email": owner.email, "password": PASSWORD})
        assert http.cookies[SESSION_COOKIE] != planted
        assert (await http.get("/account")).status_code == 200
    async with httpx.AsyncClient(base_url=site, timeout=30, cookies={SESSION_COOKIE: planted}) as attacker:
        assert (await attacker.get("/account")).status_code == 303


async def attempt(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await http.get("/signin")
    fields = form_to(page.text, "/signin")
    return await http.post("/signin", data={**fields, "email": email, "password": password})


@ONE_DATABASE  # independent of the database: the SQLite half runs it
async def test_five_wrong_passwords_lock_the_email_even_for_the_right_one_and_say_so(
    own_database: OwnDatabase, tmp_path: Path
) -> None:
    """The sixth try is refused with 429 and Retry-After, right password or not, and an
    email without an account is treated alike (the answer tells nobody who has one). Other
    accounts are not locked; 30 failures from one address lock it for every email."""
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    with serve(env, tmp_path / "serve.log") as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            email = f"{unique('victim')}@example.com"
            signup = await http.get("/signup")
            fields = form_to(signup.text, "/signup")
            made = await http.post("/signup", data={**fields, "name": "Vic", "email": email, "password": PASSWORD})
            assert made.status_code == 303
            await http.post("/signout", data=form_to((await http.get("/account")).text, "/signout"))

            for _ in range(5):
                assert (await attempt(http, email, "wrong guess")).status_code == 401
            locked = await attempt(http, email, PASSWORD)
            assert locked.status_code == 429
            assert int(locked.headers["retry-after"]) > 0
            assert "Too many failed sign-ins" in locked.text
            assert (await http.get("/account")).status_code == 303  # not signed in

            nobody = f"{unique('nobody')}@example.com"
            answers = [(await attempt(http, nobody, "guess")).status_code for _ in range(6)]
            assert answers == [401] * 5 + [429]

            for n in range(30 - 10):
                assert (await attempt(http, f"spray{n}-{unique('x')}@example.com", "guess")).status_code == 401
            sprayed = await attempt(http, f"{unique('fresh')}@example.com", "guess")
            assert sprayed.status_code == 429


async def test_pages_answer_503_while_the_session_store_is_down_and_the_api_keeps_working(
    own_database: OwnDatabase, tmp_path: Path, redis_prefix: str
) -> None:
    """With sessions in Redis, nobody can be signed in while it is away: pages say so with a
    503 and Retry-After instead of failing; REST (no session, a rate limit that fails open)
    goes on; when Redis is back the same browser session works again."""
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    proxy.up()
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    redis_url = f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}"
    try:
        with serve(env, tmp_path / "serve.log", redis_url=redis_url, redis_prefix=redis_prefix) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                token = await sign_up_with_token(http)
                api = {"Authorization": f"Bearer {token}"}
                assert (await http.get("/account")).status_code == 200

                proxy.down()
                page = await http.get("/account")
                assert page.status_code == 503
                assert page.headers["retry-after"] == "10"
                assert "Signing in is unavailable" in page.text
                assert (await http.get("/api/v1/workspaces", headers=api)).status_code == 200

                proxy.up()
                assert (await http.get("/account")).status_code == 200
    finally:
        proxy.close()


async def sign_up_with_token(http: httpx.AsyncClient) -> str:
    """Sign up through the pages and make an API token on the tokens page: the token."""
    signup = await http.get("/signup")
    email = f"{unique('ada')}@example.com"
    fields = form_to(signup.text, "/signup")
    assert (
        await http.post("/signup", data={**fields, "name": "Ada", "email": email, "password": PASSWORD})
    ).is_redirect
    tokens = await http.get("/account/tokens")
    fields = form_to(tokens.text, "/account/tokens")
    scopes = sorted(ALL_SCOPES)
    shown = await http.post("/account/tokens", data={**fields, "name": "ci", "scopes": scopes}, follow_redirects=True)
    found = re.search(r"\bbc_[A-Za-z0-9_-]{20,}", shown.text)
    assert found, shown.text[:2000]
    return found.group(0)


async def test_no_password_token_session_or_secret_link_reaches_the_log(
    own_database: OwnDatabase, tmp_path: Path
) -> None:
    """Sign up and in with a password, make and use an API token, open the client's secret
    link with a delivery token: the server's log (JSON, as in production) records the
    requests but none of those secrets."""
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    log = tmp_path / "serve.log"
    delivery = secrets.token_urlsafe(24)
    with serve(env, log, log_format="json") as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            token = await sign_up_with_token(http)
            session_id = http.cookies[SESSION_COOKIE]
            csrf = form_to((await http.get("/account")).text, "/signout")["_csrf_token"]
            api = {"Authorization": f"Bearer {token}"}
            workspace = await http.post("/api/v1/workspaces", json={"name": "Logs Ltd"}, headers=api)
            assert workspace.status_code == 201, workspace.text
            slug = workspace.json()["company_slug"]
            invoice = (
                await http.post(
                    f"/api/v1/workspaces/{slug}/invoices",
                    json={"title": "Quiet", "items": [{"description": "x", "quantity": 1, "unit_price": "5"}]},
                    headers=api,
                )
            ).json()
            sent = await http.post(
                f"/api/v1/workspaces/{slug}/invoices/{invoice['uuid']}/send",
                json={"to": ["c@example.com"]},
                headers=api,
            )
            public_url: str = sent.json()["public_url"]
            public_token = public_url.rstrip("/").rsplit("/", 1)[1]
            assert (await http.get(f"{urlsplit(public_url).path}?d={delivery}")).status_code == 200
            assert (
                await http.get("/api/v1/workspaces", headers={"Authorization": "Bearer bc_wrong"})
            ).status_code == 401
    text = log.read_text()
    assert '"/i/[redacted]?d=[redacted]' in text or "/i/[redacted]?d=[redacted]" in text, "the access log ran"
    leaks: dict[str, Any] = {
        "password": PASSWORD,
        "api token": token,
        "session id": session_id,
        "csrf token": csrf,
        "public token": public_token,
        "delivery token": delivery,
    }
    assert [name for name, secret in leaks.items() if secret in text] == []
