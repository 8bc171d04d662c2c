"""Invoice emails for clients and businesses who write in Cyrillic, Greek, Arabic, Hebrew,
Chinese, Japanese and Korean: both parts carry the exact text in UTF-8; the HTML part says
its charset, names fonts for those scripts, and marks each piece of typed text with
dir="auto" (and its language where the script tells), so that right-to-left text reads
right to left inside the left-to-right email. The letters come from a real send on the
test database, written by ``workers.mail.compose``."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.db.models import EmailDelivery
from app.documents.html import text_language
from app.domain.access import Principal, WorkspaceAccess
from app.domain.billing import Billing
from app.domain.deliveries import DeliveryService
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, SendInput, WorkspaceSettingsUpdate
from tests.conftest import ONE_DATABASE
from tests.domain.helpers import item
from tests.workers.scripts import SAMPLES, Sample
from workers.mail import compose

pytestmark = ONE_DATABASE

SENDER = "billing@billcraft.example"
PDF = b"%PDF-1.4 not really a pdf\n"


def _part(message: EmailMessage, subtype: str) -> tuple[str, bytes]:
    part = message.get_body((subtype,))
    assert part is not None, subtype
    assert part.get_content_charset() == "utf-8", part["Content-Type"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_content()), payload


def _marked(html: str, tag: str, text: str) -> bool:
    """Whether ``text`` stands alone in a ``tag`` with dir="auto" (and the language its
    script tells, if any)."""
    language = text_language(text)
    lang = f' lang="{language}"' if language else ""
    pattern = rf'<{tag} dir="auto"{re.escape(lang)}(?: style="[^"]*")?>{re.escape(str(escape(text)))}</{tag}>'
    return re.search(pattern, html) is not None


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.script for s in SAMPLES])
async def test_an_email_in_each_script_carries_the_exact_text_marked_with_its_direction(
    sample: Sample, billing: Billing, owner: Principal, access: WorkspaceAccess
) -> None:
    await billing.workspaces.update_settings(
        owner,
        access.workspace.slug,
        WorkspaceSettingsUpdate(legal_name=sample.name, address=sample.address, payment_instructions=sample.address),
    )
    client = await billing.clients.create_client(access, ClientInput(name=sample.name, email="client@example.com"))
    created = await billing.invoices.create_invoice(
        access,
        InvoiceCreate(title=sample.description, client_uuid=client.uuid, items=[item(sample.description)]),
    )
    assert isinstance(created, InvoiceOut)
    note = f"{sample.description}\n{sample.address}"
    sent = await billing.invoices.send(access, created.uuid, SendInput(message=note))
    assert isinstance(sent, InvoiceOut)
    delivery = (
        await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == created.uuid))
    ).scalar_one()
    await billing.session.commit()
    letter = await DeliveryService(billing.session, billing.base_url).letter(delivery)

    message = message_from_bytes(compose(letter, PDF, SENDER).as_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == f"Invoice {sent.number} from {sample.name}"
    assert message["From"].addresses[0].display_name == sample.name

    text, text_bytes = _part(message, "plain")
    assert f"Hello {sample.name}," in text
    assert f"{sample.name} has sent you invoice {sent.number} ({sample.description})" in text
    assert note in text
    assert text.rstrip().endswith(f"Thank you,\n{sample.name}")
    assert sample.name.encode() in text_bytes  # UTF-8 on the wire, once decoded from its transfer encoding

    html, html_bytes = _part(message, "html")
    assert '<meta charset="utf-8">' in html
    assert '<html lang="en" dir="ltr">' in html
    for family in ("Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR"):
        assert f"'{family}'" in html, family
    assert str(escape(sample.name)).encode() in html_bytes  # "&" is "&amp;" in HTML
    assert _marked(html, "span", sample.name), "the client's name after Hello"
    assert _marked(html, "strong", sample.name), "the business's name"
    assert _marked(html, "span", sample.description), "the invoice's title"
    assert _marked(html, "p", note), "the sender's message"
    assert _marked(html, "p", sample.address), "the payment instructions"
    assert "unicode-bidi:plaintext" in html  # each line of a message takes its own direction


async def test_a_reminder_marks_the_title_too(billing: Billing, access: WorkspaceAccess) -> None:
    arabic = next(s for s in SAMPLES if s.script == "arabic")
    client = await billing.clients.create_client(access, ClientInput(name=arabic.name, email="client@example.com"))
    created = await billing.invoices.create_invoice(
        access, InvoiceCreate(title=arabic.description, client_uuid=client.uuid, items=[item()])
    )
    assert isinstance(created, InvoiceOut)
    for _ in range(2):  # the second send of a sent invoice is a reminder
        await billing.invoices.send(access, created.uuid, SendInput())
    rows = (
        await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == created.uuid))
    ).scalars()
    await billing.session.commit()
    letters = [await DeliveryService(billing.session, billing.base_url).letter(row) for row in rows]
    reminder = next(letter for letter in letters if letter.kind.value == "reminder")
    message = message_from_bytes(compose(reminder, PDF, SENDER).as_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    html, _ = _part(message, "html")
    assert _marked(html, "span", arabic.description)
    assert _marked(html, "span", arabic.name)
