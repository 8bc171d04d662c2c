"""The security headers every answer carries, added as it leaves the app (a ``before_send``
hook, so error pages and unknown routes get them too).

HTML pages get a content security policy that allows only Billcraft's own scripts, styles,
images and forms, and framing by Billcraft itself (the invoice preview). A page with other
needs sets its own policy, which is kept: the invoice document (``DOCUMENT_CSP``, inline
styles and no scripts at all) and the OAuth consent page (``CONSENT_CSP``: its form ends in
a redirect to the client's callback, which ``form-action 'self'`` would block).

The API reference (``/api/docs``, Swagger UI from Billcraft's own files: ``app/api/docs.py``)
gets ``DOCS_CSP``: nothing but Billcraft's origin, for its scripts, styles, fonts and images
as for the OpenAPI document and the requests tried from the page; no inline script or style.
"""

from __future__ import annotations

import re

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
PAGE_CSP = f"{_PAGE}; form-action 'self'"
CONSENT_CSP = _PAGE.replace("frame-ancestors 'self'", "frame-ancestors 'none'")
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
_DOCS = re.compile(r"^/api/docs(/|$)")


def security_headers(https: bool) -> BeforeMessageSendHookHandler:
    """The hook; ``https`` (the base URL's scheme) adds Strict-Transport-Security."""

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in ALWAYS.items():
            if name not in headers:
                headers[name] = value
        if https:
            headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        if headers.get("content-type", "").startswith("text/html"):
            docs = bool(_DOCS.match(scope.get("path", "")))
            if "content-security-policy" not in headers:
                headers["content-security-policy"] = DOCS_CSP if docs else PAGE_CSP
            if "x-frame-options" not in headers:
                headers["x-frame-options"] = "DENY" if docs else "SAMEORIGIN"

    return add
