"""Reading bounces: RFC 3464 delivery status notifications (each failed recipient, with the
original Message-ID; delays are not bounces) and the webhook's JSON notice; anything else
is refused with the reason."""

from __future__ import annotations

import pytest

from app.domain.bounces import from_dsn, from_json
from app.domain.errors import ValidationFailed


def report(groups: str, quoted: str = "Message-ID: <0192-abc@billcraft.example>\r\n") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="zz"\r\n\r\n'
        "--zz\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        f"--zz\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n{groups}"
        f"--zz\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Invoice\r\n{quoted}\r\n"
        "--zz--\r\n"
    ).encode()


FAILED = (
    "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
)
NO_STATUS_PART = (
    b'Content-Type: multipart/report; boundary="q"\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nx\r\n--q--\r\n'
)
DELAYED = "Final-Recipient: rfc822; slow@example.com\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"


def test_a_dsn_gives_each_failed_recipient_with_the_original_message_id_and_skips_delays() -> None:
    bounces = from_dsn(report(FAILED + DELAYED))
    assert [(b.message_id, b.recipient) for b in bounces] == [("<0192-abc@billcraft.example>", "gone@example.com")]
    assert bounces[0].reason == "5.1.1 smtp; 550 5.1.1 User unknown"


def test_a_dsn_with_only_delays_reports_no_bounce() -> None:
    assert from_dsn(report(DELAYED)) == []


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"Subject: hello\r\n\r\nnot a report", "multipart/report"),
        (report(FAILED, quoted="Subject: no id\r\n"), "Message-ID"),
        (NO_STATUS_PART, "delivery-status"),
    ],
)
def test_what_is_not_a_usable_dsn_is_refused_saying_why(raw: bytes, why: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        from_dsn(raw)
    assert refused.value.errors[0]["field"] == "body"
    assert why in refused.value.errors[0]["message"]


def test_a_json_notice_names_the_message_and_its_reason() -> None:
    [bounce] = from_json(b'{"message_id": "<x@y>", "reason": "mailbox full", "recipient": "a@b.c"}')
    assert (bounce.message_id, bounce.reason, bounce.recipient) == ("<x@y>", "mailbox full", "a@b.c")


@pytest.mark.parametrize(
    ("body", "field"), [(b"{}", "message_id"), (b"{not json", "body"), (b'{"message_id": " "}', "message_id")]
)
def test_a_bad_json_notice_is_refused_naming_the_field(body: bytes, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        from_json(body)
    assert refused.value.errors[0]["field"] == field
