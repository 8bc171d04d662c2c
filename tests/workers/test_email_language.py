"""An invoice's email in its client's language (issue 21): a German client's email has a
German subject and body with the amounts and dates written the German way, and names its
PDF; a client without a language is written to in the workspace's (English)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import select

from app.db.models import EmailDelivery
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.deliveries import DeliveryService
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, CreditInput, InvoiceCreate, SendInput
from tests.conftest import ONE_DATABASE
from tests.domain.helpers import item
from workers.mail import compose

pytestmark = ONE_DATABASE


async def _email(billing: Billing, access: WorkspaceAccess, language: str) -> EmailMessage:
    client = await billing.clients.create_client(
        access, ClientInput(name="Müller GmbH", email="ap@mueller.example", language=language)
    )
    created = await billing.invoices.create_invoice(
        access,
        InvoiceCreate(
            title="Sprint 12", client_uuid=client.uuid, currency="EUR", tax_rate=Decimal(19),
            issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2), items=[item("Development", 10, 120)],
        ),
    )  # fmt: skip
    assert isinstance(created, InvoiceOut)
    await billing.invoices.send(access, created.uuid, SendInput())
    delivery = (
        await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == created.uuid))
    ).scalar_one()
    await billing.session.commit()
    letter = await DeliveryService(billing.session, billing.base_url).letter(delivery)
    message = message_from_bytes(
        compose(letter, b"%PDF-1.4\n", "billing@billcraft.example").as_bytes(), policy=policy.default
    )
    assert isinstance(message, EmailMessage)
    return message


async def test_a_german_client_is_written_to_in_german(billing: Billing, access: WorkspaceAccess) -> None:
    message = await _email(billing, access, "de")
    number = message["Subject"].split()[1]
    assert message["Subject"].startswith(f"Rechnung {number} von ")
    body = message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert text.startswith("Guten Tag Müller GmbH,")
    assert f"Ihnen die Rechnung {number} (Sprint 12) über 1.428,00\xa0€ gesendet, fällig am 2. Dezember 2026." in text
    assert "Die Rechnung ist als PDF angehängt." in text
    html = message.get_body(("html",))
    assert html is not None
    assert '<html lang="de" dir="ltr">' in str(html.get_content())


async def test_a_client_without_a_language_gets_the_workspaces(billing: Billing, access: WorkspaceAccess) -> None:
    message = await _email(billing, access, "")
    assert message["Subject"].startswith("Invoice ")
    body = message.get_body(("plain",))
    assert body is not None
    assert "for €1,428.00, due on December 2, 2026." in str(body.get_content())


async def test_a_credit_note_is_emailed_in_the_clients_language_with_its_pdf(
    billing: Billing, access: WorkspaceAccess
) -> None:
    client = await billing.clients.create_client(
        access, ClientInput(name="Client SARL", email="compta@client.example", language="fr")
    )
    created = await billing.invoices.create_invoice(
        access, InvoiceCreate(title="Audit", client_uuid=client.uuid, currency="EUR", items=[item("Audit", 1, 500)])
    )
    assert isinstance(created, InvoiceOut)
    await billing.invoices.send(access, created.uuid, SendInput(notify=False))
    credited = await billing.invoices.credit(access, created.uuid, CreditInput(reason="Remise", amount=Decimal(50)))
    assert isinstance(credited, InvoiceOut)
    note = credited.credit_notes[0]
    mailed = await billing.invoices.send_credit_note(access, note.uuid, SendInput())
    assert isinstance(mailed, InvoiceOut)
    assert mailed.history[-1].action == "credit_note_sent"
    assert [(d.kind, d.to) for d in mailed.deliveries] == [("credit_note", "compta@client.example")]
    delivery = (
        await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == created.uuid))
    ).scalar_one()
    await billing.session.commit()
    letter = await DeliveryService(billing.session, billing.base_url).letter(delivery)
    message = message_from_bytes(compose(letter, b"%PDF-1.4\n", "billing@billcraft.example").as_bytes(),
                                 policy=policy.default)  # fmt: skip
    assert isinstance(message, EmailMessage)
    assert message["Subject"].startswith(f"Avoir {note.number} de ")
    text = message.get_body(("plain",))
    assert text is not None
    assert f"vous a envoyé l'avoir {note.number} sur la facture {mailed.number} : 50,00\xa0€." in str(
        text.get_content()
    )
    assert "/c/" in str(text.get_content()), "the link leads to the credit note's own page"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"credit-note-{note.number}.pdf"
