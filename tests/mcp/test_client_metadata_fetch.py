"""The one fetch a stranger can make Billcraft do, a client ID metadata document, reaches
only public web servers, and only as far as it must; and the OAuth endpoints that need no
sign-in are limited per client address.

Over real HTTP against served Billcrafts: client IDs naming loopback listeners of the
test's own (which count every connection), internal addresses and non-https URLs get the
error page and nothing connects; with the local-development setting on, the body and
time caps, the refusal of redirects and of bad redirect URIs, and the memory of failures
are seen from the listener's side. The address rules that need DNS are checked on the
classifier and the resolver-backed check directly."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.oauth.metadata_fetch import (
    MAX_BYTES,
    HostRefused,
    MetadataFetcher,
    address_problem,
    checked_addresses,
)
from app.ratelimit import OAuthRateLimit
from tests.conftest import ONE_DATABASE, unique
from tests.mcp.oauth_support import Pkce, authorize_url, client_metadata, clients_named
from tests.processes import ProcessEnv, free_port, serve

# --- a listener of our own ------------------------------------------------------------------

Answer = Callable[["_Handler", str], None]


@dataclass
class Listener:
    """A loopback HTTP listener that counts the connections made to it and the paths asked,
    and answers every GET with ``answer``."""

    answer: Answer
    base: str = ""
    connections: int = 0
    paths: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30

    def do_GET(self) -> None:
        self.server.listener.paths.append(self.path)
        self.server.listener.answer(self, self.server.listener.base)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def send_json(self, document: Any, status: int = 200) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    listener: Listener

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.listener.connections += 1
        return True


@contextmanager
def listening(answer: Answer) -> Iterator[Listener]:
    listener = Listener(answer)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.listener = listener
    listener.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def good_document(handler: _Handler, base: str) -> None:
    """A valid document for whatever path was asked (its client_id is its own URL)."""
    handler.send_json(client_metadata(f"Doc {handler.path}", client_id=base + handler.path))


def not_found(handler: _Handler, base: str) -> None:
    handler.send_error(404)


# --- served Billcrafts ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_local(process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Billcraft that, for developing a client on this machine, fetches client metadata
    documents from loopback and private addresses, over http and on any port."""
    log = tmp_path_factory.mktemp("serve-local") / "serve.log"
    with serve(process_env, log, allow_local_client_metadata="true") as base:
        yield base


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60, follow_redirects=False) as client:
        yield client


def _error_page(response: httpx.Response) -> None:
    """The server's own page refusing an unknown client: no redirect, no code."""
    assert response.status_code == 400, (response.status_code, response.text)
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_client" in response.text


def _accepted(response: httpx.Response) -> None:
    """The client was found: the signed-out browser is sent to sign in."""
    assert response.status_code in (302, 303), (response.status_code, response.text)
    assert response.headers["location"].startswith("/oauth/signin")


# --- the setting off: nothing internal is reached -------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/client.json",
        "https://127.0.0.1:{port}/client.json",
        "http://localhost:{port}/client.json",
        "https://localhost:{port}/client.json",
        "https://127.0.0.1:{port}@example.com/client.json",
    ],
    ids=["http-loopback", "https-loopback-port", "http-localhost", "https-localhost-port", "credentials"],
)
async def test_a_client_id_on_this_machine_is_refused_and_nothing_connects_to_it(
    served: str, http: httpx.AsyncClient, db: Any, template: str
) -> None:
    """With the setting off, client IDs naming a port of this machine (as
    ``http://127.0.0.1:6379/x`` names Redis) get the error page at /oauth/authorize and
    invalid_client at /oauth/token, and the listener on that port, which would have served
    a valid document, sees no connection at all."""
    with listening(good_document) as listener:
        port = listener.base.rsplit(":", 1)[1]
        client_id = template.format(port=port)
        _error_page(await http.get(authorize_url(served, client_id, Pkce.new())))
        token = await http.post(
            f"{served}/oauth/token",
            data={"grant_type": "authorization_code", "code": "x", "client_id": client_id, "code_verifier": "v" * 43},
        )
        assert token.status_code in (400, 401), token.text
        assert token.json()["error"] == "invalid_client"
    assert listener.connections == 0
    assert await clients_named(db, client_id=client_id) == 0


@pytest.mark.parametrize(
    "client_id",
    [
        "https://10.0.0.1/client.json",
        "https://169.254.169.254/latest/meta-data/client.json",
        "https://localhost/client.json",
        "https://[::1]/client.json",
        "https://[::ffff:127.0.0.1]/client.json",
        "https://0.0.0.0/client.json",
        "http://93.184.215.14/client.json",
        "https://93.184.215.14:8443/client.json",
        "https://93.184.215.14/",
    ],
    ids=["private", "link-local-metadata", "localhost", "ipv6-loopback", "ipv4-mapped", "unspecified", "plain-http",
         "other-port", "no-path"],
)  # fmt: skip
async def test_a_client_id_on_an_internal_address_or_not_https_on_443_is_refused(
    served: str, http: httpx.AsyncClient, db: Any, client_id: str
) -> None:
    """Private, link-local (the cloud metadata service), loopback and unspecified
    addresses, http, a port other than 443, or a URL without a path: the error page, no
    client remembered, and the answer comes at once (nothing was waited for)."""
    started = time.monotonic()
    _error_page(await http.get(authorize_url(served, client_id, Pkce.new())))
    assert time.monotonic() - started < 4, "refused before any connection was tried"
    assert await clients_named(db, client_id=client_id) == 0


# --- the classifier and the resolver-backed check -------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
        ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
        ("0.0.0.0", False), ("224.0.0.1", False), ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False),
        ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False), ("2002:a9fe:a9fe::1", False), ("64:ff9b::a9fe:a9fe", False),
        ("2001:db8::1", False),
    ],
)  # fmt: skip
def test_only_public_unicast_addresses_are_allowed_with_ipv4_inside_ipv6_unwrapped(address: str, public: bool) -> None:
    """The address classifier: public unicast addresses pass; loopback, private, shared,
    link-local, multicast, reserved, unspecified and documentation ones do not, nor an IPv6
    address that carries one of those (mapped, 6to4, NAT64)."""
    assert (address_problem(ipaddress.ip_address(address)) is None) is public


def test_the_local_setting_allows_loopback_and_private_but_never_link_local_or_multicast() -> None:
    """With the development setting on, this machine and private networks may be fetched
    from; the cloud metadata service's link-local range and multicast still may not."""
    for address in ("127.0.0.1", "::1", "10.0.0.1", "192.168.0.10", "fc00::1"):
        assert address_problem(ipaddress.ip_address(address), allow_local=True) is None, address
    for address in ("169.254.169.254", "fe80::1", "224.0.0.1", "0.0.0.0"):
        assert address_problem(ipaddress.ip_address(address), allow_local=True) is not None, address


async def test_a_host_name_that_resolves_to_loopback_is_refused_after_resolving_it() -> None:
    """The check resolves the name and refuses it when any address it gets is not public:
    "localhost" is loopback. With the local setting on, the same name passes, and what
    the check hands on to connect to are the addresses it checked."""
    with pytest.raises(HostRefused, match="loopback"):
        await checked_addresses("localhost", 443)
    allowed = await checked_addresses("localhost", 443, allow_local=True)
    assert allowed
    assert all(ipaddress.ip_address(a).is_loopback for a in allowed)
    with pytest.raises(HostRefused, match="does not resolve"):
        await checked_addresses(f"{unique('nowhere')}.invalid", 443)


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A TLS server context with a throwaway self-signed certificate."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=test"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def test_the_fetcher_connects_to_the_checked_address_and_names_the_host_for_tls(
    self_signed: ssl.SSLContext,
) -> None:
    """A name is resolved and checked once and the connection goes to the checked
    address, while TLS still speaks to the host name: a TLS listener on loopback sees the
    name "localhost" in the handshake (SNI), though the connection came to 127.0.0.1."""
    names: list[str | None] = []

    def sni(_sock: Any, name: str | None, _context: Any) -> None:
        names.append(name)

    context = self_signed
    context.sni_callback = sni

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        fetcher = MetadataFetcher(allow_local=True)
        assert await fetcher.document(f"https://localhost:{port}/client.json") is None, "the certificate is not trusted"
    assert names == ["localhost"]


# --- the setting on: caps, redirects, redirect URIs, remembered failures --------------------


async def test_a_failed_client_id_is_not_fetched_again_for_a_while(served_local: str, http: httpx.AsyncClient) -> None:
    """A document that cannot be had (404 here) is asked for once: a second authorization
    request for the same client ID, and five at once for another, reach the listener no
    more (the failure is remembered, and requests at the same time share one fetch)."""
    with listening(not_found) as listener:
        first = f"{listener.base}/missing.json"
        for _ in range(2):
            _error_page(await http.get(authorize_url(served_local, first, Pkce.new())))
        assert listener.connections == 1
        assert listener.paths == ["/missing.json"]

        second = f"{listener.base}/also-missing.json"
        answers = await asyncio.gather(*(http.get(authorize_url(served_local, second, Pkce.new())) for _ in range(5)))
        for answer in answers:
            _error_page(answer)
        assert listener.paths == ["/missing.json", "/also-missing.json"]


async def test_a_document_over_64_kib_is_refused_and_one_under_it_accepted(
    served_local: str, http: httpx.AsyncClient, db: Any
) -> None:
    """The body is capped at 64 KiB: a valid document padded past it is refused (error
    page, no client), the same document padded to just under it is used."""

    def padded(handler: _Handler, base: str) -> None:
        size = MAX_BYTES + 1024 if "large" in handler.path else MAX_BYTES - 1024
        document = client_metadata("Padded", client_id=base + handler.path, padding="")
        document["padding"] = "x" * (size - len(json.dumps(document)))
        handler.send_json(document)

    with listening(padded) as listener:
        large, small = f"{listener.base}/large.json", f"{listener.base}/small.json"
        _error_page(await http.get(authorize_url(served_local, large, Pkce.new())))
        _accepted(await http.get(authorize_url(served_local, small, Pkce.new())))
    assert await clients_named(db, client_id=large) == 0
    assert await clients_named(db, client_id=small) == 1


@ONE_DATABASE  # independent of the database: the SQLite half runs it
async def test_an_endless_document_is_cut_off_and_a_silent_or_trickling_host_given_up_on(
    served_local: str, http: httpx.AsyncClient
) -> None:
    """A document that never ends is read no further than the cap; a host that accepts
    and never answers, or answers a byte at a time forever (no single read ever waits
    long), is given up on: each authorization page answers within seconds (the whole fetch
    is limited to 5 s; the bound here is generous)."""

    def endless(handler: _Handler, base: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        chunk = b" " * 65536
        while not handler.server.listener.stopping.is_set():
            handler.wfile.write(chunk)

    def trickle(handler: _Handler, base: str) -> None:
        if "silent" in handler.path:
            handler.server.listener.stopping.wait(60)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        while not handler.server.listener.stopping.wait(0.5):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    for answer, path in ((endless, "/endless.json"), (trickle, "/trickle.json"), (trickle, "/silent.json")):
        with listening(answer) as listener:
            started = time.monotonic()
            _error_page(await http.get(authorize_url(served_local, listener.base + path, Pkce.new())))
            assert time.monotonic() - started < 15, path


async def test_a_redirect_is_not_followed_and_bad_redirect_uris_are_refused(
    served_local: str, http: httpx.AsyncClient, db: Any
) -> None:
    """Only a 200 answer is a document: a redirect, even to a valid document, is refused
    and not followed. A document's redirect URIs follow registration's rules: javascript:
    or plain http off loopback are refused, a private-use scheme only for a document that
    says it is a native app."""
    documents: dict[str, dict[str, Any]] = {
        "/javascript.json": {"redirect_uris": ["javascript:alert(1)"]},
        "/plain-http.json": {"redirect_uris": ["http://client.example/cb"]},
        "/private-scheme-web.json": {"redirect_uris": ["com.example.app:/cb"]},
        "/private-scheme-native.json": {"redirect_uris": ["com.example.app:/cb"], "application_type": "native"},
    }

    def answer(handler: _Handler, base: str) -> None:
        if handler.path == "/redirect.json":
            handler.send_response(302)
            handler.send_header("Location", f"{base}/target.json")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif handler.path == "/target.json":
            handler.send_json(client_metadata("Target", client_id=f"{base}/redirect.json"))
        else:
            overrides = documents[handler.path]
            handler.send_json(client_metadata("Doc", client_id=base + handler.path, **overrides))

    with listening(answer) as listener:
        base = listener.base
        _error_page(await http.get(authorize_url(served_local, f"{base}/redirect.json", Pkce.new())))
        assert listener.paths == ["/redirect.json"], "the redirect was not followed"
        for path in ("/javascript.json", "/plain-http.json", "/private-scheme-web.json"):
            _error_page(await http.get(authorize_url(served_local, base + path, Pkce.new())))
            assert await clients_named(db, client_id=base + path) == 0, path
        native = f"{base}/private-scheme-native.json"
        url = authorize_url(served_local, native, Pkce.new(), redirect_uri="com.example.app:/cb")
        _accepted(await http.get(url))
        assert await clients_named(db, client_id=native) == 1


# --- the limit per client address -----------------------------------------------------------


async def test_the_oauth_endpoints_refuse_an_address_past_its_limit_with_429_and_retry_after(
    process_env: ProcessEnv, tmp_path_factory: pytest.TempPathFactory, http: httpx.AsyncClient
) -> None:
    """BILLCRAFT_OAUTH_RATE_LIMIT=5/minute: five requests from one address to the
    registration, authorization and token endpoints together are answered; then each
    answers 429 with Retry-After: the authorization page as an HTML page, the token and
    registration endpoints as OAuth errors (slow_down, temporarily_unavailable). Pages
    outside OAuth and discovery are not counted."""
    log = tmp_path_factory.mktemp("serve-limited") / "serve.log"
    with serve(process_env, log, oauth_rate_limit="5/minute") as base:
        registered = await http.post(f"{base}/oauth/register", json=client_metadata("Limited"))
        assert registered.status_code == 201, registered.text
        client_id = registered.json()["client_id"]
        for _ in range(3):
            assert (await http.get(authorize_url(base, client_id, Pkce.new()))).status_code == 302
        token = await http.post(f"{base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
        assert token.status_code == 400, token.text

        page = await http.get(authorize_url(base, client_id, Pkce.new()))
        assert page.status_code == 429, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert 1 <= int(page.headers["retry-after"]) <= 60
        consent = await http.post(f"{base}/oauth/authorize", data={"client_id": client_id})
        assert consent.status_code == 429
        assert "retry-after" in consent.headers

        token = await http.post(f"{base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
        assert token.status_code == 429
        assert token.json()["error"] == "slow_down"
        assert token.headers["cache-control"] == "no-store"
        assert 1 <= int(token.headers["retry-after"]) <= 60

        again = await http.post(f"{base}/oauth/register", json=client_metadata("Limited again"))
        assert again.status_code == 429
        assert again.json()["error"] == "temporarily_unavailable"
        assert "retry-after" in again.headers

        assert (await http.get(f"{base}/.well-known/oauth-authorization-server")).status_code == 200
        assert (await http.get(f"{base}/health")).status_code == 200
        assert (await http.get(f"{base}/oauth/signin")).status_code == 200


async def test_the_oauth_limit_counts_per_address_and_fails_open_when_its_redis_is_down(settings: Settings) -> None:
    """One address past the limit waits while another does not; with the limit's Redis
    unreachable, requests go on uncounted (as the other limits do) rather than failing."""
    limit = OAuthRateLimit(replace(settings, redis_url=None, oauth_rate_limit="2/minute"))
    waits = [await limit.wait_seconds("192.0.2.1") for _ in range(3)]
    assert waits[:2] == [0, 0]
    assert 1 <= waits[2] <= 60
    assert await limit.wait_seconds("192.0.2.2") == 0

    down = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0", oauth_rate_limit="1/minute")
    unreachable = OAuthRateLimit(down)
    assert [await unreachable.wait_seconds("192.0.2.1") for _ in range(3)] == [0, 0, 0]
