"""The bounce webhook: mail systems tell Billcraft which emails bounced.

``POST /webhooks/bounces`` takes a JSON notice (``{"message_id", "reason"}``) or a
raw RFC 3464 delivery status notification (``multipart/report``, e.g. piped from the mail
server's bounce mailbox). It is signed, not authenticated by a user:
``Billcraft-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with
``BILLCRAFT_BOUNCE_SECRET``, and refused when older than five minutes (no replays).
Without a secret the webhook is not there: it answers 404 like any unknown route.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import bounces
from app.domain.deliveries import DeliveryService
from app.domain.errors import Unauthenticated

SIGNATURE_HEADER = "Billcraft-Signature"
TOLERANCE_SECONDS = 300


class BounceResult(msgspec.Struct):
    recorded: list[str]
    unknown: list[str]


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The header value for ``body`` (also what tests and senders use)."""
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> None:
    fields = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(fields.get("t", ""))
    except ValueError:
        raise Unauthenticated(f"{SIGNATURE_HEADER} needs t=<unix time>,v1=<hmac>", code="bad_signature") from None
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        raise Unauthenticated("the signature is too old or from the future", code="bad_signature")
    expected = sign(secret, body, stamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        raise Unauthenticated("the signature does not match the body", code="bad_signature")


@post(
    "/webhooks/bounces",
    summary="Report bounced emails (signed; JSON notice or RFC 3464 report)",
    tags=["webhooks"],
    security=[{}],
    status_code=200,
)
async def bounce_webhook(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> BounceResult:
    secret = state.settings.bounce_secret
    if not secret:
        # Not a passing outage (503 would have senders retry for days): switched off.
        raise NotFoundException()
    body = await request.body()
    verify(secret, request.headers.get(SIGNATURE_HEADER, ""), body)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    found = bounces.from_json(body) if kind == "application/json" else bounces.from_dsn(body)
    deliveries = DeliveryService(db_session)
    recorded: list[str] = []
    unknown: list[str] = []
    for bounce in found:
        delivery = await deliveries.bounced(bounce.message_id, bounce.reason)
        (recorded if delivery else unknown).append(bounce.message_id)
    return BounceResult(recorded=recorded, unknown=unknown)
