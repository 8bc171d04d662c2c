"""A real SMTP server for the tests (aiosmtpd on a loopback port, in a thread of its own)
that keeps every message it accepts, and can be told to hold a message mid-send, to defer
(451) or to refuse a recipient (550), as real mail servers do."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # (MAIL FROM, [RCPT TO, ...]) of each accepted message: who it really went to.
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_commands: list[str] = []
        self.refused: dict[str, str] = {}
        self.defer = 0
        self.hold_next = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        self.attempts = 0
        self._lock = threading.Lock()

    # --- aiosmtpd's handler hooks ---------------------------------------------------------

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self._lock:
            self.rcpt_commands.append(address)
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 Try again later"
        if self.hold_next.is_set():
            self.hold_next.clear()
            self.held.set()
            await asyncio.to_thread(self.release.wait)
            if server.transport is None or server.transport.is_closing():
                # The sender hung up before we said 250: the message was never accepted.
                return "421 4.4.2 Connection lost"
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    # --- what the tests ask -----------------------------------------------------------------

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def settled(self, address: str, seconds: float = 1.5) -> int:
        """How many emails reached ``address``, after waiting long enough for a duplicate."""
        time.sleep(seconds)
        return len(self.to(address))

    def wait_for(self, address: str, count: int = 1, seconds: float = 60) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, (
                f"no mail for {address} within {seconds} s ({len(self.messages)} in all)"
            )
            time.sleep(0.1)
        return self.to(address)


@contextmanager
def smtp_server() -> Iterator[tuple[str, Mailbox]]:
    """Yields the ``smtp://`` URL to give Billcraft and the mailbox that receives."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
    finally:
        mailbox.release.set()
        controller.stop()
