"""The email carries the client's e-invoice (issue 22): to an XRechnung client, the invoice's
email has its PDF and the XRechnung XML attached, valid under the official rules; to a
Factur-X client, the attached PDF is the Factur-X PDF with the XML inside; a client without
a format gets the PDF alone. Delivered by the worker's own job to a real SMTP server, the
PDFs printed by Chromium."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import Settings
from app.db.models import EmailDelivery
from app.documents.pdf import InvoicePdfs
from app.domain.access import WorkspaceAccess
from app.domain.billing import Billing
from app.domain.outputs import InvoiceOut
from app.domain.schemas import ClientInput, InvoiceCreate, SendInput, WorkspaceSettingsUpdate
from tests.api.einvoice_support import LEITWEG, SELLER, validate
from tests.conftest import ONE_DATABASE
from tests.domain.helpers import item
from tests.smtp import smtp_server
from workers.jobs import Jobs
from workers.mail import SmtpMailer

pytestmark = ONE_DATABASE
SENDER = "billing@billcraft.example"


async def _sent(billing: Billing, access: WorkspaceAccess, fmt: str, to: str) -> uuid.UUID:
    await billing.workspaces.update_settings(access.principal, access.workspace.slug, WorkspaceSettingsUpdate(**SELLER))  # type: ignore[arg-type]
    client = await billing.clients.create_client(
        access,
        ClientInput(name="Stadtverwaltung Musterstadt", email=to, address_line1="Rathausplatz 1", city="Musterstadt",
                    postal_code="12345", country="DE", buyer_reference=LEITWEG,
                    electronic_address=f"0204:{LEITWEG}", einvoice_format=fmt),
    )  # fmt: skip
    created = await billing.invoices.create_invoice(
        access,
        InvoiceCreate(title="Website", client_uuid=client.uuid, currency="EUR", tax_rate=Decimal(19),
                      due_date=dt.date(2099, 1, 31), items=[item("Development", 10, 120)]),
    )  # fmt: skip
    assert isinstance(created, InvoiceOut)
    await billing.invoices.send(access, created.uuid, SendInput())
    delivery = (
        await billing.session.execute(select(EmailDelivery.id).where(EmailDelivery.invoice_id == created.uuid))
    ).scalar_one()
    await billing.session.commit()
    return delivery


@pytest.mark.parametrize("fmt", ["xrechnung-ubl", "facturx", ""])
async def test_the_email_carries_the_clients_e_invoice(
    billing: Billing, access: WorkspaceAccess, db: object, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    to = "rechnungen@musterstadt.example"
    delivery = await _sent(billing, access, fmt, to)
    pdfs = InvoicePdfs(tmp_path)
    try:
        with smtp_server() as (url, mailbox):
            jobs = Jobs(dataclasses.replace(settings, smtp_url=url), db, pdfs, SmtpMailer(url, SENDER))  # type: ignore[arg-type]
            assert await jobs.deliver_email(delivery) == "sent"
            [message] = mailbox.messages
    finally:
        await pdfs.close()
    attached = {str(a.get_filename()): (a.get_content_type(), a.get_content()) for a in message.iter_attachments()}
    if fmt == "xrechnung-ubl":
        assert sorted(kind for kind, _ in attached.values()) == ["application/pdf", "application/xml"]
        xml = next(body for kind, body in attached.values() if kind == "application/xml")
        assert validate({"mail.xml": xml})["mail.xml"]["valid"]
    elif fmt == "facturx":
        [(kind, pdf)] = attached.values()
        assert kind == "application/pdf"
        verdict = validate({"mail.pdf": pdf})["mail.pdf"]
        assert verdict["valid"], verdict["findings"]
        assert verdict["input"] == "pdf"
    else:
        assert [kind for kind, _ in attached.values()] == ["application/pdf"]
