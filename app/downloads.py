"""Names of the files Billcraft hands out (the invoice PDF from REST, MCP, the web pages and
the email attachment), and the ``Content-Disposition`` header that carries them.

An invoice number is typed by people (or was stored before numbers were checked): it may
hold slashes, dots, quotes, control or bidirectional-override characters, or letters
outside ASCII. ``pdf_filename`` turns it into a name that is safe as a file name on any
system and inside a header; ``content_disposition`` sends it as RFC 6266 asks: an ASCII
``filename`` for every client, and ``filename*`` (RFC 8187) with the UTF-8 name when it
differs.

Also the signed, short-lived download links that MCP hands out instead of the file itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from app.domain.errors import DomainError, NotFound

MAX_NUMBER = 64  # characters of the number kept in a file name (numbers are at most 64)
MAX_NAME = 120  # characters of any name in a header, before its extension
_PUNCTUATION = "._-"
# A run of punctuation holding a dash (a replaced character) is one dash: "x/../y" is
# "x-y", not "x-.-y"; the dots left over never come two in a row.
_DASHED_RUN = re.compile(r"[._-]*-[._-]*")
_DOTS = re.compile(r"\.{2,}")


def _clean(text: str, limit: int) -> str:
    """Letters and digits of any script, and ``.``, ``_``, ``-`` between them; anything else
    (separators, quotes, spaces, control and format characters) becomes ``-``. Never ``..``,
    never punctuation at either end, at most ``limit`` characters."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(c if c.isalnum() or c in _PUNCTUATION else "-" for c in text)
    kept = _DOTS.sub(".", _DASHED_RUN.sub("-", kept)).strip(_PUNCTUATION)
    return kept[:limit].rstrip(_PUNCTUATION)


def pdf_filename(number: str | None, kind: str = "invoice") -> str:
    """``invoice-<number>.pdf`` for an invoice (``invoice-draft.pdf`` before it has a number),
    ``credit-note-<number>.pdf`` for a credit note, with the number made safe (see
    ``_clean``). Letters outside ASCII are kept: ``content_disposition`` sends them properly,
    and mail clients read them too."""
    return f"{kind}-{_clean(number or '', MAX_NUMBER) or 'draft'}.pdf"


def _ascii(text: str) -> str:
    """ASCII only: accents dropped (``Ä`` -> ``A``), other letters left out."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _name(filename: str, fold: bool) -> str:
    stem, dot, extension = filename.rpartition(".") if "." in filename else (filename, "", "")
    if fold:
        stem, extension = _ascii(stem), _ascii(extension)
    stem, extension = _clean(stem, MAX_NAME) or "download", _clean(extension, 8)
    return f"{stem}.{extension}" if dot and extension else stem


def content_disposition(filename: str, disposition: str = "inline") -> str:
    """The header value for ``filename`` (a name from ``pdf_filename``, cleaned again here so
    that nothing else can reach the header): ``filename="..."`` in ASCII for every client,
    plus ``filename*=UTF-8''...`` (percent-encoded) when the name holds other characters."""
    name, fallback = _name(filename, fold=False), _name(filename, fold=True)
    header = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


# --- signed download links -------------------------------------------------------------------
# A link to a document that works without a token for a few minutes: what an MCP tool hands
# an assistant instead of the file itself. It is a JWT (HS256, joserfc) naming who asked,
# the workspace, the invoice and the kind of document; the route that serves it checks the
# person's membership again, so a link outlives neither its minutes nor their access.

LINK_LIFETIME = dt.timedelta(minutes=10)
_AUDIENCE = "billcraft:download"
# The invoice's PDF; a credit note's (its uuid in "inv"); an invoice's e-invoice in a format.
_FORMATS = ("xrechnung-ubl", "xrechnung-cii", "facturx", "peppol")
_KINDS = {"pdf", "credit-note-pdf"} | {f"{k}-{f}" for k in ("einvoice", "credit-note-einvoice") for f in _FORMATS}


@dataclass(frozen=True)
class DownloadLink:
    user_id: uuid.UUID
    company_slug: str
    invoice_uuid: uuid.UUID
    kind: str


class LinkExpired(DomainError):
    status = 410
    code = "download_link_expired"
    title = "Link expired"


class LinkInvalid(NotFound):
    code = "download_link_invalid"


def _key(secret: str) -> OctKey:
    # A key of its own for links, derived from the installation's secret.
    return OctKey.import_key(hmac.new(secret.encode(), b"billcraft download links", hashlib.sha256).digest())


def sign_link(
    secret: str, link: DownloadLink, *, now: dt.datetime | None = None, lifetime: dt.timedelta = LINK_LIFETIME
) -> tuple[str, dt.datetime]:
    """The link's token and when it stops working."""
    expires = (now or dt.datetime.now(dt.UTC)) + lifetime
    claims = {
        "aud": _AUDIENCE,
        "sub": str(link.user_id),
        "ws": link.company_slug,
        "inv": str(link.invoice_uuid),
        "kind": link.kind,
        "exp": int(expires.timestamp()),
    }
    return jwt.encode({"alg": "HS256"}, claims, _key(secret)), expires


def read_link(secret: str, token: str, *, now: dt.datetime | None = None) -> DownloadLink:
    """What a link names, or ``LinkInvalid`` (altered, forged, not a link) or ``LinkExpired``."""
    try:
        claims = jwt.decode(token, _key(secret), algorithms=["HS256"]).claims
        link = DownloadLink(
            user_id=uuid.UUID(str(claims["sub"])),
            company_slug=str(claims["ws"]),
            invoice_uuid=uuid.UUID(str(claims["inv"])),
            kind=str(claims["kind"]),
        )
        expires = int(claims["exp"])
    except (JoseError, KeyError, ValueError, TypeError):
        raise LinkInvalid("this download link is not valid", code="download_link_invalid") from None
    if claims.get("aud") != _AUDIENCE or link.kind not in _KINDS:
        raise LinkInvalid("this download link is not valid", code="download_link_invalid")
    if (now or dt.datetime.now(dt.UTC)).timestamp() >= expires:
        raise LinkExpired("this download link has expired; ask for the document again for a new one")
    return link
