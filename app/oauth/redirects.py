"""Which redirect URIs a client may register, and when a requested one matches.

- ``https`` to any host, without a fragment;
- ``http`` only on the loopback interface (``127.0.0.1``, ``[::1]``, ``localhost``): the
  native app's own listener (RFC 8252 7.3), matched on any port (its 7.3 says the port is
  chosen at the time of the request);
- a private-use scheme (``com.example.app:/cb``, ``cursor://...``) only for a client whose
  metadata says it is a native app (``application_type: native``, RFC 8252 7.1 and OpenID
  Connect registration); never one of the schemes a browser runs or reads itself.

Everything else (plain http elsewhere, ``javascript:``, an empty string, a relative path)
is refused at registration, so it can never receive a code."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Schemes a browser acts on itself: a code sent there would run, show or leave the machine.
BROWSER_SCHEMES = frozenset(
    {"javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source", "mailto", "ftp", "ws",
     "wss", "chrome", "chrome-extension", "intent", "content", "tel", "sms"}
)  # fmt: skip
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")
MAX_URI_LENGTH = 2000


def redirect_uri_problem(uri: object, *, native: bool) -> str | None:
    """Why ``uri`` cannot be registered as a redirect URI, or ``None`` when it can; the
    reason is in the characters an OAuth ``error_description`` may hold (RFC 6749 5.2)."""
    problem = _problem(uri, native=native)
    return (
        None if problem is None else "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in problem)
    )


def _problem(uri: object, *, native: bool) -> str | None:
    if not isinstance(uri, str) or not uri.strip():
        return "a redirect URI must be a non-empty string"
    if len(uri) > MAX_URI_LENGTH or any(ord(c) < 0x21 or c == "\x7f" for c in uri):
        return f"{uri[:80]!r} is not a URI (spaces, control characters, or over {MAX_URI_LENGTH} characters)"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        return f"{uri!r} is not a URI"
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.match(scheme):
        return f"{uri!r} is not an absolute URI"
    if "@" in parts.netloc:
        return f"{uri!r} holds a user name, which can disguise its host"
    if parts.fragment or "#" in uri:
        return f"{uri!r} has a fragment, which a redirect URI must not have (RFC 6749 3.1.2)"
    if scheme == "https":
        if not parts.hostname:
            return f"{uri!r} names no host"
        return None
    if scheme == "http":
        if parts.hostname in LOOPBACK_HOSTS:
            return None
        return f"{uri!r}: http is allowed only on the loopback interface (127.0.0.1, [::1], localhost); use https"
    if scheme in BROWSER_SCHEMES:
        return f"{uri!r}: the scheme {scheme}: cannot be a redirect URI"
    if not native:
        return (
            f"{uri!r}: a private-use scheme is allowed only for a native app; register with "
            "application_type native, or use https or a loopback http address"
        )
    return None


def is_loopback_http(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme.lower() == "http" and parts.hostname in LOOPBACK_HOSTS


def redirect_matches(registered: list[str], asked: str) -> bool:
    """The requested URI is one of the registered ones, exactly; for loopback http, on any
    port (RFC 8252 7.3)."""
    if asked in registered:
        return True
    if not is_loopback_http(asked):
        return False
    try:
        wanted = urlsplit(asked)
        wanted.port  # noqa: B018
    except ValueError:
        return False
    for uri in registered:
        if not is_loopback_http(uri):
            continue
        known = urlsplit(uri)
        same = (known.hostname, known.path or "/", known.query) == (wanted.hostname, wanted.path or "/", wanted.query)
        if same and not known.username and not wanted.username:
            return True
    return False
