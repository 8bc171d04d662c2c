"""Sending an invoice delivers real email, and its fate is tracked per recipient.

Everything here is a real process or server: ``billcraft serve`` (embedded, jobs in
process) or ``billcraft serve`` with ``billcraft worker`` on the machine's Redis, an
aiosmtpd server receiving the mail, Chromium printing the attached PDF, pdftotext reading
it back. Each test has a database of its own, so the relay meets only its own emails.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.webhooks import sign
from tests.conftest import OwnDatabase
from tests.processes import ProcessEnv, serve
from tests.smtp import smtp_server
from tests.workers.conftest import REDIS_URL, Team, make_team, worker
from tests.workers.test_pdf import text_of

BOUNCE_SECRET = "bounce-secret-for-tests"
ITEMS = [
    {"description": "UX Design", "quantity": 20, "unit_price": 120},
    {"description": "Frontend Dev", "quantity": 60, "unit_price": 150},
]


@contextmanager
def billcraft(
    own: OwnDatabase, tmp_path: Path, mode: str, smtp_url: str, redis_prefix: str, **settings: str
) -> Iterator[str]:
    """``serve`` alone (embedded) or ``serve`` and one ``worker`` on Redis; yields the base URL."""
    env = ProcessEnv(database_url=own.url, data_dir=tmp_path / "data")
    common = {"smtp_url": smtp_url, "bounce_secret": BOUNCE_SECRET, "jobs": "auto", **settings}
    if mode == "worker":
        common.update(redis_url=REDIS_URL, redis_prefix=redis_prefix)
    with ExitStack() as stack:
        base = stack.enter_context(serve(env, tmp_path / "serve.log", **common))
        if mode == "worker":
            stack.enter_context(worker(env, tmp_path / "worker.log", base_url=base, **common))
        yield base


def api(base: str, team: Team) -> httpx.Client:
    return httpx.Client(base_url=f"{base}/api/v1/workspaces/{team.slug}", headers=team.headers, timeout=30)


def new_invoice(client: httpx.Client, client_email: str) -> dict[str, Any]:
    customer = client.post("/clients", json={"name": "Globex Corporation", "email": client_email})
    assert customer.status_code == 201, customer.text
    created = client.post(
        "/invoices", json={"title": "Website redesign", "client_uuid": customer.json()["uuid"], "items": ITEMS}
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def deliveries(client: httpx.Client, invoice_uuid: str) -> dict[str, dict[str, Any]]:
    invoice = client.get(f"/invoices/{invoice_uuid}").json()
    return {d["to"]: d for d in invoice["deliveries"]}


def wait_until(check: Any, seconds: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.2)


def parts(message: EmailMessage) -> tuple[str, str, bytes]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert text is not None
    assert html is not None
    assert len(attachments) == 1
    return str(text.get_content()), str(html.get_content()), bytes(attachments[0].get_content())


def dsn_for(original: EmailMessage, recipient: str) -> bytes:
    """A delivery status notification (RFC 3464) as a mail server writes it back."""
    quoted = "".join(f"{k}: {v}\r\n" for k, v in original.items() if k in ("From", "To", "Subject", "Message-ID"))
    return (
        "From: MAILER-DAEMON@mx.example\r\n"
        "To: billing@localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <user>: Recipient address rejected: User unknown\r\n\r\n"
        f"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n{quoted}\r\n"
        "--b1--\r\n"
    ).encode()


@pytest.mark.parametrize("mode", ["embedded", "worker"])
async def test_sent_invoice_mail_arrives_with_pdf_and_link_and_opens_and_bounces_are_tracked(
    mode: str, own_database: OwnDatabase, tmp_path: Path, redis_prefix: str
) -> None:
    team = await make_team(own_database)
    with smtp_server() as (smtp_url, mailbox), billcraft(own_database, tmp_path, mode, smtp_url, redis_prefix) as base:
        client = api(base, team)
        invoice = new_invoice(client, "ap@globex.example")
        sent = client.post(
            f"/invoices/{invoice['uuid']}/send",
            json={"to": ["ap@globex.example", "cfo@globex.example"], "message": "Thanks for a great quarter!"},
        )
        assert sent.status_code == 200, sent.text
        assert {d["to"]: d["status"] for d in sent.json()["deliveries"]} == {
            "ap@globex.example": "queued",
            "cfo@globex.example": "queued",
        }
        number = sent.json()["number"]

        ap_mail = mailbox.wait_for("ap@globex.example")[0]
        cfo_mail = mailbox.wait_for("cfo@globex.example")[0]
        assert number in str(ap_mail["Subject"])
        assert str(ap_mail["Reply-To"]) == "billing@acme.example"
        text, html, pdf = parts(ap_mail)
        assert "Thanks for a great quarter!" in text
        assert "Thanks for a great quarter!" in html
        assert "IBAN DE02 1203 0000 0000 2020 51" in text
        printed = text_of(pdf, tmp_path)
        assert number in printed
        assert "$11,400.00" in printed
        assert "DRAFT" not in printed
        link = re.search(r"(http://\S+/i/\S+\?d=\S+)", text)
        assert link, text
        assert link.group(1) in html

        tracked = wait_until(
            lambda: all(d["status"] == "sent" for d in deliveries(client, invoice["uuid"]).values()) or None,
            what="both deliveries sent",
        )
        assert tracked
        assert deliveries(client, invoice["uuid"])["ap@globex.example"]["sent_at"]

        # The recipient opens the link from the email: that delivery, and only that one, is opened.
        page = httpx.get(link.group(1), timeout=30)
        assert page.status_code == 200
        assert number in page.text
        assert "$11,400.00" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        state = deliveries(client, invoice["uuid"])
        assert state["ap@globex.example"]["status"] == "opened"
        assert state["ap@globex.example"]["opened_at"]
        assert state["cfo@globex.example"]["status"] == "sent"

        # The CFO's mailbox does not exist: the mail server's DSN comes back through the webhook.
        report = dsn_for(cfo_mail, "cfo@globex.example")
        forged = httpx.post(
            f"{base}/webhooks/bounces",
            content=report,
            headers={"Content-Type": "multipart/report", "Billcraft-Signature": sign("wrong", report)},
        )
        assert forged.status_code == 401
        assert deliveries(client, invoice["uuid"])["cfo@globex.example"]["status"] == "sent"
        bounced = httpx.post(
            f"{base}/webhooks/bounces",
            content=report,
            headers={"Content-Type": "multipart/report", "Billcraft-Signature": sign(BOUNCE_SECRET, report)},
        )
        assert bounced.status_code == 200, bounced.text
        assert bounced.json()["recorded"] == [str(cfo_mail["Message-ID"])]
        cfo = deliveries(client, invoice["uuid"])["cfo@globex.example"]
        assert cfo["status"] == "bounced"
        assert cfo["bounced_at"]
        assert "5.1.1" in cfo["reason"]

        listed = client.get("/invoices", params={"delivery_status": "bounced"}).json()
        assert [i["uuid"] for i in listed["items"]] == [invoice["uuid"]]
        history = [h["action"] for h in client.get(f"/invoices/{invoice['uuid']}").json()["history"]]
        assert history.count("email_sent") == 2
        assert "email_opened" in history
        assert "email_bounced" in history
        assert len(mailbox.messages) == 2, "each recipient got exactly one email"


async def test_a_deferred_email_is_retried_later_and_a_refused_one_fails_visibly(
    own_database: OwnDatabase, tmp_path: Path, redis_prefix: str
) -> None:
    team = await make_team(own_database)
    with smtp_server() as (smtp_url, mailbox), billcraft(own_database, tmp_path, "embedded", smtp_url, "") as base:
        mailbox.refused["nobody@globex.example"] = "550 5.1.1 No such user here"
        client = api(base, team)
        invoice = new_invoice(client, "nobody@globex.example")
        assert client.post(f"/invoices/{invoice['uuid']}/send", json={}).status_code == 200
        failed = wait_until(
            lambda: deliveries(client, invoice["uuid"])["nobody@globex.example"]["status"] == "failed" or None,
            what="the refused email to be failed",
        )
        assert failed
        refused = deliveries(client, invoice["uuid"])["nobody@globex.example"]
        assert "550" in refused["reason"]
        assert refused["failed_at"]
        assert refused["attempts"] == 1
        assert client.get("/invoices", params={"delivery_status": "failed"}).json()["total"] == 1

        mailbox.defer = 1
        reminder = client.post(f"/invoices/{invoice['uuid']}/send", json={"to": ["ap@globex.example"]})
        assert reminder.status_code == 200
        later = wait_until(
            lambda: (d := deliveries(client, invoice["uuid"]).get("ap@globex.example")) and d["reason"] and d,
            what="the deferred attempt to be recorded",
        )
        assert later["status"] == "queued"
        assert "451" in later["reason"]
        retry_at = dt.datetime.fromisoformat(later["next_attempt_at"])
        assert retry_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10), "the retry waits out a backoff"
        assert later["kind"] == "reminder"
        assert mailbox.to("ap@globex.example") == []


async def test_without_smtp_the_email_is_written_as_an_eml_file_and_its_pixel_marks_it_opened(
    own_database: OwnDatabase, tmp_path: Path
) -> None:
    team = await make_team(own_database)
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    with serve(env, tmp_path / "serve.log", jobs="auto") as base:
        client = api(base, team)
        invoice = new_invoice(client, "ap@globex.example")
        assert client.post(f"/invoices/{invoice['uuid']}/send", json={}).status_code == 200
        files = wait_until(lambda: list((tmp_path / "data" / "mail").glob("*.eml")), what="an .eml file")
        message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert message["To"] == "ap@globex.example"
        _, html, pdf = parts(message)
        assert "Website redesign" in text_of(pdf, tmp_path)

        wait_until(lambda: deliveries(client, invoice["uuid"])["ap@globex.example"]["status"] == "sent")
        pixel = re.search(r'<img src="([^"]+/seen/[^"]+\.gif)"', html)
        assert pixel, html
        image = httpx.get(pixel.group(1), timeout=30)
        assert image.headers["content-type"] == "image/gif"
        assert deliveries(client, invoice["uuid"])["ap@globex.example"]["status"] == "opened"
