"""Bounces: what a mail system reports back about an email that could not be delivered.

Two forms are understood: a small JSON notice (``message_id``, ``reason``) for providers
with webhooks, and the standard delivery status notification of RFC 3464 (a
``multipart/report`` message, as Postfix, Exim and most providers send back), from which
the original Message-ID and each failed recipient's status are read. Only permanent
failures (``Action: failed``) count as bounces; ``delayed`` notices are not bounces.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

import msgspec

from app.domain.errors import ValidationFailed


@dataclass(frozen=True)
class Bounce:
    message_id: str
    recipient: str
    reason: str


class BounceNotice(msgspec.Struct, forbid_unknown_fields=False):
    message_id: str
    reason: str = "bounced"
    recipient: str = ""


def from_json(body: bytes) -> list[Bounce]:
    try:
        notice = msgspec.json.decode(body, type=BounceNotice)
    except msgspec.ValidationError as exc:
        raise ValidationFailed.field("message_id", f"not a bounce notice: {exc}") from None
    except msgspec.DecodeError:
        raise ValidationFailed.field("body", "the body is not JSON") from None
    if not notice.message_id.strip():
        raise ValidationFailed.field("message_id", "is required")
    return [Bounce(notice.message_id.strip(), notice.recipient, notice.reason[:2000])]


def from_dsn(raw: bytes) -> list[Bounce]:
    """The failed recipients of an RFC 3464 report, each with the original Message-ID."""
    report = message_from_bytes(raw, policy=policy.default)
    if report.get_content_type() != "multipart/report":
        raise ValidationFailed.field("body", "not a delivery status notification (multipart/report)")
    status_part = original_part = None
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and status_part is None:
            status_part = part
        elif kind in ("text/rfc822-headers", "message/rfc822") and original_part is None:
            original_part = part
    if status_part is None:
        raise ValidationFailed.field("body", "the report has no message/delivery-status part")
    original_id = _original_message_id(original_part)
    if not original_id:
        raise ValidationFailed.field("body", "the report does not quote the original Message-ID")
    bounces = []
    # The first group is about the message, each following group about one recipient.
    for group in _status_groups(status_part)[1:]:
        if (group.get("Action") or "").strip().lower() != "failed":
            continue
        recipient = _address(group.get("Final-Recipient") or group.get("Original-Recipient") or "")
        status = (group.get("Status") or "").strip()
        diagnostic = " ".join((group.get("Diagnostic-Code") or "").split())
        reason = f"{status} {diagnostic}".strip() or "failed"
        bounces.append(Bounce(original_id, recipient, reason[:2000]))
    return bounces


def _status_groups(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [group for group in payload if isinstance(group, Message)]
    # Some parsers leave the fields as text: split the groups at blank lines.
    text = payload if isinstance(payload, str) else ""
    groups = [chunk for chunk in text.replace("\r\n", "\n").split("\n\n") if chunk.strip()]
    return [message_from_bytes(chunk.encode(), policy=policy.default) for chunk in groups]


def _original_message_id(part: Message | None) -> str:
    if part is None:
        return ""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return str(payload[0].get("Message-ID") or "").strip()
    text = part.get_payload(decode=True)
    if isinstance(text, bytes):
        return str(message_from_bytes(text, policy=policy.default).get("Message-ID") or "").strip()
    return ""


def _address(field: str) -> str:
    """``rfc822; someone@example.com`` -> ``someone@example.com``."""
    return field.split(";", 1)[-1].strip()
