"""Invoice emails: written (HTML and plain text, the PDF attached, a link to the public
invoice page, the sender's own message), then handed to an SMTP server
(``BILLCRAFT_SMTP_URL``) or, without one, written as ``.eml`` files under the data
directory. The mailers say whether a refusal is for good or worth another try."""

from __future__ import annotations

import contextlib
import os
import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.config import Settings
from app.domain.accounts import utcnow
from app.domain.deliveries import EmailKind, Letter
from workers.document import TEMPLATES, document_view


class PermanentFailure(Exception):
    """The mail server refused this email for good (a 5xx answer): retrying will not help."""


class TemporaryFailure(Exception):
    """The email could not be handed over now (a 4xx answer, no connection): try later."""


def compose(letter: Letter, pdf: bytes, sender: str) -> EmailMessage:
    document = letter.document
    invoice = document.invoice
    view = document_view(document)  # the same words and figures as the PDF
    business = view["seller"]["name"]
    number = invoice.number or invoice.title
    due = view["due_date"]
    total, balance = view["totals"]["total"], view["totals"]["balance"]
    overdue = invoice.status == "overdue"
    if letter.kind == EmailKind.REMINDER:
        subject = f"Reminder: invoice {number} {'was' if overdue else 'is'} due {due}"
    else:
        subject = f"Invoice {number} from {business}"
    context = {
        "kind": letter.kind.value,
        "overdue": overdue,
        "business": business,
        "number": number,
        "title": invoice.title,
        "client": document.client.name if document.client else "",
        "total": total,
        "balance": balance,
        "due": due,
        "message": letter.message,
        "link": letter.open_url,
        "pixel": letter.pixel_url,
        "payment_instructions": view["seller"]["payment_instructions"],
        "seller_email": view["seller"]["email"],
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((business, sender))
    message["To"] = letter.recipient
    if view["seller"]["email"]:
        message["Reply-To"] = view["seller"]["email"]
    message["Message-ID"] = letter.message_id
    message["Date"] = format_datetime(utcnow())
    message["X-Billcraft-Delivery"] = str(letter.delivery_id)
    message.set_content(TEMPLATES.get_template("email.txt").render(context))
    message.add_alternative(TEMPLATES.get_template("email.html").render(context), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_filename(number))
    return message


def pdf_filename(number: str) -> str:
    return "invoice-" + (re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-") or "draft") + ".pdf"


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it) or
    ``smtps://…`` (TLS from the first byte, port 465)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("BILLCRAFT_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.implicit_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise (PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure)(text) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            # The operator's configuration, not this email: keep it for when that is fixed.
            raise TemporaryFailure(f"the mail server refused our credentials: {exc.code} {exc.message}") from None
        except aiosmtplib.SMTPResponseException as exc:
            failure = PermanentFailure if exc.code >= 500 else TemporaryFailure
            raise failure(f"the mail server answered {exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"could not reach the mail server {self.host}:{self.port}: {exc}") from None


class FileMailer:
    """Embedded mode: each email becomes ``<delivery id>.eml`` in a folder, written whole
    (a temporary file renamed into place), so a second attempt replaces the first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["X-Billcraft-Delivery"])
        target = self.folder / f"{name}.eml"
        partial = self.folder / f".{name}.eml.partial"
        try:
            partial.write_bytes(message.as_bytes())
            os.replace(partial, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise TemporaryFailure(f"could not write {target}: {exc}") from None


def mailer_for(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url)
    return FileMailer(settings.data_dir / "mail")
