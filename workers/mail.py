"""Invoice emails: written (HTML and plain text, the PDF attached, a link to the public
invoice page, the sender's own message), then handed to an SMTP server
(``BILLCRAFT_SMTP_URL``) or, without one, written as ``.eml`` files under the data
directory. The mailers say whether a refusal is for good or worth another try."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from markupsafe import Markup, escape

from app.config import Settings
from app.documents.html import TEMPLATES, credit_note_view, document_view, lang_attr
from app.documents.i18n import gettext
from app.domain.accounts import check_email, utcnow
from app.domain.deliveries import EmailKind, Letter
from app.domain.errors import ValidationFailed
from app.domain.outputs import CreditNoteDocument
from app.downloads import pdf_filename


class PermanentFailure(Exception):
    """The mail server refused this email for good (a 5xx answer): retrying will not help."""


class TemporaryFailure(Exception):
    """The email could not be handed over now (a 4xx answer, no connection): try later."""


# Placeholders the HTML part shows in bold: who sent it and which invoice, and when it is due.
_BOLD = {"business", "number", "due", "balance"}


def _words(language: str) -> tuple[Callable[..., str], Callable[..., Markup]]:
    def t(text: str, **values: str) -> str:
        """``text`` in the client's language, with ``values`` filled in."""
        return gettext(language, text).format(**values)

    def th(text: str, **values: str) -> Markup:
        """The same for the HTML part: each typed value escaped and marked with its own
        direction (and language, where its script tells), names and numbers in bold."""
        marked = {
            key: Markup('<{0} dir="auto"{1}>{2}</{0}>').format(
                "strong" if key in _BOLD else "span", lang_attr(value), value
            )
            for key, value in values.items()
        }
        return Markup(escape(gettext(language, text))).format(**marked)

    return t, th


def compose(letter: Letter, pdf: bytes, sender: str, einvoice: tuple[bytes, str, str] | None = None) -> EmailMessage:
    """The email of one delivery: an invoice (or its reminder) or a credit note, in the
    client's language, with the same words and figures as its PDF, which it attaches, and
    its e-invoice XML (``einvoice``: bytes, media type, file name) when the client takes one."""
    document = letter.document
    t, th = _words(document.language)
    context: dict[str, Any]
    if isinstance(document, CreditNoteDocument):
        note = document.credit_note
        view = credit_note_view(document)
        subject = t("Credit note {number} from {business}", number=note.number, business=view["seller"]["name"])
        template, filename = "email_credit_note", pdf_filename(note.number, "credit-note")
        context = {"number": note.number, "invoice": note.invoice.number or "", "total": view["totals"]["total"],
                   "reason": note.reason}  # fmt: skip
    else:
        invoice = document.invoice
        view = document_view(document)
        number = invoice.number or invoice.title
        due = view["due_date"]
        overdue = invoice.status == "overdue"
        if letter.kind == EmailKind.REMINDER:
            was = "Reminder: invoice {number} was due {due}" if overdue else "Reminder: invoice {number} is due {due}"
            subject = t(was, number=number, due=due)
        else:
            subject = t("Invoice {number} from {business}", number=number, business=view["seller"]["name"])
        template, filename = "email", pdf_filename(invoice.number)
        context = {"kind": letter.kind.value, "overdue": overdue, "number": number, "title": invoice.title, "due": due,
                   "total": view["totals"]["total"], "balance": view["totals"]["balance"]}  # fmt: skip
    business = view["seller"]["name"]
    context |= {
        "t": t,
        "th": th,
        "lang": view["lang"],
        "business": business,
        "client": document.client.name if document.client else "",
        "message": letter.message,
        "link": letter.open_url,
        "pixel": letter.pixel_url,
        "payment_instructions": view["seller"]["payment_instructions"],
        "seller_email": view["seller"]["email"],
    }
    message = EmailMessage()
    message["Subject"] = header_text(subject, MAX_SUBJECT)
    # Billcraft's own address is the only sender; the business is only its display name,
    # written so that no address can ever be read out of it, however long or odd.
    message["From"] = Address(display_name=display_name(business), addr_spec=sender)
    message["To"] = Address(addr_spec=letter.recipient)
    reply_to = _one_address(view["seller"]["email"])
    if reply_to:
        message["Reply-To"] = Address(addr_spec=reply_to)
    message["Message-ID"] = letter.message_id
    message["Date"] = format_datetime(utcnow())
    message["X-Billcraft-Delivery"] = str(letter.delivery_id)
    message.set_content(TEMPLATES.get_template(f"{template}.txt").render(context))
    message.add_alternative(TEMPLATES.get_template(f"{template}.html").render(context), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    if einvoice is not None:
        body, media_type, name = einvoice
        maintype, subtype = media_type.split("/", 1)
        message.add_attachment(body, maintype=maintype, subtype=subtype, filename=name)
    return message


MAX_SUBJECT = 200
MAX_DISPLAY_NAME = 64
# What gives a display name meaning in an address header: with these gone, no folding,
# unquoting or encoding of the name can turn part of it into an address.
_ADDRESS_SPECIALS = re.compile(r'[<>@,;:"\\()\[\]]+|=\?|\?=')  # =?...?= would be decoded as an encoded word
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]+")


def header_text(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters: every control character and run of
    whitespace becomes one space (a stored line break can never start a new header)."""
    flat = _CONTROL_OR_SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def display_name(name: str) -> str:
    """The sender's display name: the business's name without the characters that make
    up addresses, on one line, at most ``MAX_DISPLAY_NAME`` characters."""
    return header_text(_ADDRESS_SPECIALS.sub(" ", name), MAX_DISPLAY_NAME) or "Billcraft"


def _one_address(value: str) -> str | None:
    """A stored address that is exactly one address, else nothing (an address saved before
    addresses were checked as strictly must not break, or widen, every later email)."""
    try:
        return check_email(value) if value else None
    except ValidationFailed:
        return None


class Mailer(Protocol):
    async def send(self, message: EmailMessage, recipient: str) -> None:
        """Hand ``message`` over for ``recipient`` alone: the envelope is given, never read
        back from the headers."""


class SmtpMailer:
    """``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it) or
    ``smtps://…`` (TLS from the first byte, port 465)."""

    def __init__(self, url: str, sender: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("BILLCRAFT_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.sender = sender

    async def send(self, message: EmailMessage, recipient: str) -> None:
        try:
            await aiosmtplib.send(
                message,
                sender=self.sender,
                recipients=[recipient],
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

    async def send(self, message: EmailMessage, recipient: str) -> None:
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
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return FileMailer(settings.data_dir / "mail")
