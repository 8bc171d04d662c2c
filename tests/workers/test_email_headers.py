"""The emails Billcraft writes cannot be turned into a way to forge a sender or reach extra
people: the configured sender is the only From whatever the business calls itself, the
Reply-To is one checked address, stored line breaks end no header, and the SMTP envelope
holds exactly the recorded recipient. A recipient that can never be delivered fails at
once with its reason.

The letters come from the real domain on the test database; the SMTP server is aiosmtpd on
loopback; the headers are read back by Python's strict parser and by the lenient one most
mail programs resemble."""

from __future__ import annotations

import dataclasses
import datetime as dt
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.config import Settings
from app.db.models import EmailDelivery
from app.documents.pdf import InvoicePdfs
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.deliveries import DeliveryService, Letter
from app.domain.outputs import InvoiceDocument, InvoiceOut
from app.domain.schemas import SendInput
from tests.domain.helpers import create
from tests.properties import odd_text, profile, replayable
from tests.smtp import smtp_server
from workers.jobs import Jobs
from workers.mail import SmtpMailer, compose

SENDER = "billing@billcraft.example"
PDF = b"%PDF-1.4 not really a pdf\n"
FORGED = "security@bank.example"
HOSTILE_NAMES = [
    "A" * 70 + f" <{FORGED}>",
    "Acme Bank " + "x" * 80 + f' "Security Team" <{FORGED}>',
    f'"{FORGED}"',
    f"{FORGED}",
    f"Acme <{FORGED}>, Other <other@example.com>",
    f"Acme\r\nFrom: {FORGED}",
    f"Acme\r\nBcc: {FORGED}",
    "=?utf-8?q?=3Csecurity=40bank=2Eexample=3E?=",
    "Ünïcødé Ågency " * 8 + f"<{FORGED}>",
    "Иванов и партнёры " * 6,
    "",
    "   ",
]


async def _letter(billing: Billing, access: WorkspaceAccess, to: str = "client@example.com") -> Letter:
    invoice = await create(billing, access)
    sent = await billing.invoices.send(access, invoice.uuid, SendInput(to=[to]))
    assert isinstance(sent, InvoiceOut)
    row = (
        await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == invoice.uuid))
    ).scalar_one()
    await billing.session.commit()
    return await DeliveryService(billing.session, billing.base_url).letter(row)


def _as_business(letter: Letter, name: str, email: str = "") -> Letter:
    """The letter as if the workspace's name (legal and short) and email were these, as a
    row saved before names were checked could hold them."""
    workspace = msgspec.structs.replace(letter.document.workspace, name=name, legal_name=name, email=email)
    return dataclasses.replace(letter, document=msgspec.structs.replace(letter.document, workspace=workspace))


def _addresses(raw: bytes, header: str) -> tuple[list[str], list[str]]:
    """The addresses in ``header`` as the strict parser reads them, and as the lenient
    (compat32) parser with ``getaddresses`` reads them."""
    strict = message_from_bytes(raw, policy=policy.default)
    lenient = message_from_bytes(raw, policy=policy.compat32)
    values = lenient.get_all(header) or []
    strict_header = strict[header]
    strict_addresses = [a.addr_spec for a in strict_header.addresses] if strict_header is not None else []
    return strict_addresses, [a for _, a in getaddresses([str(v) for v in values]) if a]


def _check_headers(letter: Letter, reply_to: str | None) -> bytes:
    raw = compose(letter, PDF, SENDER).as_bytes()
    strict = message_from_bytes(raw, policy=policy.default)
    assert _addresses(raw, "From") == ([SENDER], [SENDER])
    assert _addresses(raw, "To") == ([letter.recipient], [letter.recipient])
    expected = [reply_to] if reply_to else []
    assert _addresses(raw, "Reply-To") == (expected, expected)
    names = {k.lower() for k in strict}
    assert names <= {"subject", "from", "to", "reply-to", "message-id", "date", "x-billcraft-delivery",
                     "mime-version", "content-type"}  # fmt: skip
    assert len(strict.get_all("From") or []) == 1
    return raw


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_the_sender_is_billcrafts_address_whatever_the_business_calls_itself(
    billing: Billing, access: WorkspaceAccess, name: str
) -> None:
    """A long name holding ``<security@bank.example>`` once made header folding drop the
    quotes and send the mail *from* the bank. Now every parser finds one From, Billcraft's
    own, and the forged address is in no address header (the subject may quote the name
    as plain text)."""
    letter = _as_business(await _letter(billing, access), name, "billing@acme.example")
    raw = _check_headers(letter, "billing@acme.example")
    lenient = message_from_bytes(raw, policy=policy.compat32)
    for header in ("From", "Sender", "Reply-To", "To"):
        for value in lenient.get_all(header) or []:
            assert FORGED not in str(value)


NAMES = st.one_of(
    st.text(max_size=300),
    odd_text(surrogates=False),
    st.builds(lambda pad, name: pad + name, st.text(min_size=40, max_size=120), st.sampled_from(HOSTILE_NAMES)),
)


@profile(60)
@replayable
@given(name=NAMES, reply=st.sampled_from(["", "billing@acme.example", "a@b.co\r\nBcc: x@y.z", "x <a@b.co>"]))
async def test_no_business_name_or_stored_reply_to_can_add_a_sender_or_a_recipient(
    billing: Billing, access: WorkspaceAccess, name: str, reply: str
) -> None:
    """Any text as the business's name (control characters, quotes, brackets, any
    script, any length) and a stored Reply-To that is not one address: one From (ours),
    one To (the recipient), a Reply-To only when it is exactly one address."""
    letter = _as_business(_letter_cache.setdefault(id(access), await _letter(billing, access)), name, reply)
    _check_headers(letter, "billing@acme.example" if reply == "billing@acme.example" else None)


_letter_cache: dict[int, Letter] = {}


async def test_a_stored_line_break_in_the_title_or_number_ends_no_header(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """The subject is one line however the invoice's number or title was stored."""
    letter = await _letter(billing, access)
    assert isinstance(letter.document, InvoiceDocument)
    invoice = msgspec.structs.replace(letter.document.invoice, number=f"INV-1\r\nBcc: {FORGED}")
    letter = dataclasses.replace(letter, document=msgspec.structs.replace(letter.document, invoice=invoice))
    raw = _check_headers(letter, None)
    subject = message_from_bytes(raw, policy=policy.default)["Subject"]
    assert "\n" not in subject
    assert "Bcc" in subject  # kept as text, harmless


async def test_the_smtp_envelope_holds_exactly_the_recorded_recipient(
    billing: Billing, access: WorkspaceAccess
) -> None:
    """RCPT TO is the delivery's recipient, passed to the SMTP client; MAIL FROM is the
    configured sender. Nothing is read back from the headers."""
    letter = await _letter(billing, access, "client@example.com")
    with smtp_server() as (url, mailbox):
        await SmtpMailer(url, SENDER).send(compose(letter, PDF, SENDER), letter.recipient)
    assert mailbox.envelopes == [(SENDER, ["client@example.com"])]
    assert mailbox.rcpt_commands == ["client@example.com"]


async def test_a_recipient_that_is_not_one_address_fails_at_once_and_reaches_nobody(
    billing: Billing, access: WorkspaceAccess, db: object, settings: Settings, tmp_path: Path
) -> None:
    """A delivery stored with ``victim@example.com>,<postmaster>,<root`` (saved before
    recipients were checked) once gave three RCPT TO commands. Now the worker refuses it
    on its first attempt, for good, saying why; the SMTP server hears no RCPT at all."""
    letter = await _letter(billing, access)
    hostile = "victim@example.com>,<postmaster>,<root"
    await billing.session.execute(
        update(EmailDelivery).where(EmailDelivery.id == letter.delivery_id).values(recipient=hostile)
    )
    await billing.session.commit()
    with smtp_server() as (url, mailbox):
        jobs = Jobs(dataclasses.replace(settings, smtp_url=url), db, InvoicePdfs(tmp_path), SmtpMailer(url, SENDER))  # type: ignore[arg-type]
        assert await jobs.deliver_email(letter.delivery_id) == "failed"
    assert mailbox.rcpt_commands == []
    query = select(EmailDelivery).where(EmailDelivery.id == letter.delivery_id)
    row = (await billing.session.execute(query.execution_options(populate_existing=True))).scalar_one()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "not one email address" in (row.reason or "")
    assert row.failed_at is not None
    assert row.failed_at > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)


@pytest.mark.parametrize("value", ["Billing <billing@acme.example>", "a@acme.example, b@acme.example", "billing"])
def test_the_configured_sender_must_be_one_bare_address(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """BILLCRAFT_MAIL_FROM is every email's From and MAIL FROM: a name or a list there is
    refused when Billcraft starts, not discovered in the first email."""
    monkeypatch.setenv("BILLCRAFT_MAIL_FROM", value)
    with pytest.raises(ValueError, match="BILLCRAFT_MAIL_FROM"):
        Settings.from_env()
    monkeypatch.setenv("BILLCRAFT_MAIL_FROM", "billing@acme.example")
    assert Settings.from_env().mail_from == "billing@acme.example"
