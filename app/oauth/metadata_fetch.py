"""Fetching a client ID metadata document: the one request Billcraft makes to an address
that a stranger chooses (an OAuth client whose ``client_id`` is an https URL), made so
that it cannot reach anything but a public web server, nor be used to hammer one.

- ``https`` on the default port only, to a host whose every address is public: a name is
  resolved once, each address it resolves to is checked, and the connection goes to a
  checked address (no second lookup that could answer otherwise); TLS still verifies the
  host name. Loopback, private, link-local, multicast, reserved and unspecified addresses
  are refused, IPv4 inside IPv6 (mapped, 6to4, Teredo, NAT64) included.
- No redirect is followed; the body is cut off past 64 KiB and the whole fetch past 5 s.
- The document must name itself (``client_id`` is its own URL) and list redirect URIs
  that registration would accept (``app.oauth.redirects``).
- A client ID that failed, for whatever reason, is not fetched again for a few minutes
  (and a host that could not be reached is not tried again for as long); requests for
  the same client ID at once share one fetch.

``BILLCRAFT_ALLOW_LOCAL_CLIENT_METADATA`` lifts the address, scheme and port rules for
loopback and private addresses, for developing an MCP client on one's own machine;
link-local, multicast and reserved addresses stay refused even then."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import msgspec
import structlog
from httpcore import AnyIOBackend, AsyncNetworkBackend, AsyncNetworkStream

from app.oauth.redirects import redirect_uri_problem

log = structlog.get_logger("billcraft.oauth.metadata")

MAX_BYTES = 64 * 1024
TOTAL_SECONDS = 5.0
FAILURE_SECONDS = 300.0
FAILURES_KEPT = 4096
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """Why a client ID's document was not fetched or not accepted (logged, never shown)."""


class HostRefused(Refused):
    """The host itself is refused: not allowed, not resolvable, or not reachable in time."""


# --- addresses ------------------------------------------------------------------------------


def _embedded(address: IPAddress) -> list[IPAddress]:
    """Every IPv4 address an IPv6 one carries and may be routed to, then the address."""
    found: list[IPAddress] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            found.append(address.ipv4_mapped)
        if address.sixtofour:
            found.append(address.sixtofour)
        if address.teredo:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [*found, address]


def address_problem(address: IPAddress, *, allow_local: bool = False) -> str | None:
    """Why a connection to ``address`` is not allowed, or ``None`` when it is: only public
    unicast addresses, unless ``allow_local`` (then loopback and private ones too)."""
    for each in _embedded(address):
        # ::1 lies in IPv6's reserved ::/8: loopback is judged below, with the local ones.
        if (
            each.is_multicast
            or each.is_unspecified
            or each.is_link_local
            or (each.is_reserved and not each.is_loopback)
        ):
            return f"{each} is not a unicast address on the internet"
        local = each.is_loopback or each.is_private or not each.is_global
        if local and not allow_local:
            return f"{each} is a loopback, private or otherwise non-public address"
    return None


async def checked_addresses(host: str, port: int, *, allow_local: bool = False) -> list[str]:
    """The addresses ``host`` resolves to, when every one of them is allowed (one that is
    not makes the whole name refused: which answer a connection would get is not ours to
    choose); an IP literal is checked as it is, without a lookup."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        candidates: Iterable[str] = [str(literal)]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise HostRefused(f"{host} does not resolve: {exc}") from None
        candidates = dict.fromkeys(str(info[4][0]) for info in infos)
    addresses = list(candidates)
    if not addresses:
        raise HostRefused(f"{host} resolves to no address")
    for address in addresses:
        problem = address_problem(ipaddress.ip_address(address.split("%", 1)[0]), allow_local=allow_local)
        if problem:
            raise HostRefused(f"{host}: {problem}")
    return addresses


class _CheckedBackend(AsyncNetworkBackend):
    """httpcore's network backend, but a name is resolved here, its addresses checked, and
    the connection made to a checked address itself: nothing resolves the name again."""

    def __init__(self, allow_local: bool) -> None:
        self.allow_local = allow_local
        self.backend = AnyIOBackend()

    # The signatures are httpcore's: its connection passes its connect timeout in.
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        addresses = await checked_addresses(host, port, allow_local=self.allow_local)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"could not connect to {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        raise Refused("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


# --- the URL and the document ---------------------------------------------------------------


def _origin_of(client_id: str, *, allow_local: bool) -> tuple[str, int]:
    """The host and port to fetch ``client_id`` from, when the URL itself is acceptable."""
    if not client_id.isascii() or any(ord(c) <= 0x20 or c == "\x7f" for c in client_id) or len(client_id) > 2000:
        raise Refused("not a plain ASCII URL")
    try:
        parts = urlsplit(client_id)
        port = parts.port
    except ValueError:
        raise Refused("not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ({"https", "http"} if allow_local else {"https"}):
        raise Refused(f"scheme {scheme or '(none)'} is not https")
    if not allow_local and port not in (None, 443):
        raise Refused(f"port {port} is not 443")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise Refused("a URL with no host, or with credentials in it")
    if parts.path in {"", "/"} or parts.fragment or "#" in client_id:
        raise Refused("a client ID URL has a path and no fragment")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def _checked_document(client_id: str, body: bytes) -> dict[str, Any]:
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise Refused("the document is not JSON") from None
    if not isinstance(document, dict):
        raise Refused("the document is not a JSON object")
    if document.get("client_id") != client_id:
        raise Refused("the document's client_id is not its own URL")
    application_type = document.get("application_type", "web")
    if application_type not in ("web", "native"):
        raise Refused('application_type must be "web" or "native"')
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        raise Refused("the document lists no redirect_uris")
    for uri in uris:
        problem = redirect_uri_problem(uri, native=application_type == "native")
        if problem:
            raise Refused(problem)
    return document


async def _download(client_id: str, *, allow_local: bool) -> bytes:
    async with httpcore.AsyncConnectionPool(
        network_backend=_CheckedBackend(allow_local), retries=0, max_connections=1, http1=True, http2=False
    ) as pool:
        headers = [(b"Accept", b"application/json"), (b"User-Agent", b"Billcraft (client metadata)")]
        async with pool.stream("GET", client_id, headers=headers) as response:
            # Any other status, redirects included, is a refusal: they are not followed.
            if response.status != 200:
                raise Refused(f"answered {response.status}")
            body = bytearray()
            async for chunk in response.aiter_stream():
                body.extend(chunk)
                if len(body) > MAX_BYTES:
                    raise Refused(f"the document is over {MAX_BYTES} bytes")
            return bytes(body)


# --- remembered failures --------------------------------------------------------------------


class _Failures:
    """Keys (client IDs, hosts) that failed lately, until their time is up; bounded, the
    oldest forgotten first."""

    def __init__(self, seconds: float = FAILURE_SECONDS, kept: int = FAILURES_KEPT) -> None:
        self.seconds = seconds
        self.kept = kept
        self.until: OrderedDict[str, float] = OrderedDict()

    def failed_lately(self, key: str) -> bool:
        until = self.until.get(key)
        if until is None:
            return False
        if until < time.monotonic():
            del self.until[key]
            return False
        return True

    def add(self, key: str) -> None:
        self.until.pop(key, None)
        self.until[key] = time.monotonic() + self.seconds
        while len(self.until) > self.kept:
            self.until.popitem(last=False)


class MetadataFetcher:
    """Fetches and checks client ID metadata documents (see the module's docstring); one
    per process, its failures remembered in it."""

    def __init__(self, *, allow_local: bool = False, total_seconds: float = TOTAL_SECONDS) -> None:
        self.allow_local = allow_local
        self.total_seconds = total_seconds
        self.failures = _Failures()
        self._running: dict[str, asyncio.Task[dict[str, Any] | None]] = {}

    async def document(self, client_id: str) -> dict[str, Any] | None:
        """The checked metadata document of ``client_id``, or ``None`` (refused, failed, or
        failed lately)."""
        running = self._running.get(client_id)
        if running is None:
            running = asyncio.create_task(self._fetch(client_id))
            self._running[client_id] = running
            running.add_done_callback(lambda _: self._running.pop(client_id, None))
        # Shielded: a caller that goes away does not cancel the fetch the others wait for.
        return await asyncio.shield(running)

    async def _fetch(self, client_id: str) -> dict[str, Any] | None:
        if self.failures.failed_lately(client_id):
            return None
        origin = ""
        try:
            host, port = _origin_of(client_id, allow_local=self.allow_local)
            origin = f"{host}:{port}"
            if self.failures.failed_lately(origin):
                raise Refused(f"{origin} failed lately")
            try:
                async with asyncio.timeout(self.total_seconds):
                    body = await _download(client_id, allow_local=self.allow_local)
            except (httpcore.ConnectError, httpcore.ConnectTimeout, TimeoutError) as exc:
                raise HostRefused(f"not fetched in time or not reachable: {type(exc).__name__}") from None
            except (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError) as exc:
                raise Refused(f"could not be fetched: {type(exc).__name__}") from None
            return _checked_document(client_id, body)
        except Refused as refusal:
            if isinstance(refusal, HostRefused):
                self.failures.add(origin)  # every path on that host waits as well
            reason = str(refusal)
        except Exception as exc:  # a stranger's URL must not make the page fail
            log.warning("client metadata fetch failed unexpectedly", client_id=client_id[:300], exc_info=exc)
            reason = f"unexpected {type(exc).__name__}"
        self.failures.add(client_id)
        log.info("client metadata document refused", client_id=client_id[:300], reason=reason)
        return None


@functools.cache
def fetcher(*, allow_local: bool) -> MetadataFetcher:
    """The process's fetcher for the setting (one, so its remembered failures are shared)."""
    return MetadataFetcher(allow_local=allow_local)
