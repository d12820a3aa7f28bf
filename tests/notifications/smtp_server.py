"""A real SMTP server in the test process (aiosmtpd), that keeps what arrived.

It can refuse the next mails (`451`, try again later), and hold its answer to a mail until
released, so a test can kill the sender between the server having the mail and the sender
knowing it was accepted."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """aiosmtpd's handler: every DATA it saw, and those it took for delivery (all but the
    refused ones; the answer 250 may be held back)."""

    def __init__(self) -> None:
        self.seen: list[EmailMessage] = []
        self.accepted: list[EmailMessage] = []
        self.refuse_next = 0
        self.release = threading.Event()
        self.release.set()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.seen.append(message)
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
            # Taken for delivery before the answer goes out: a sender killed while the answer
            # is held never learns the mail went through (the case at-least-once is about).
            self.accepted.append(message)
        # A threading.Event (set from the test's thread), waited for off the server's loop.
        await asyncio.to_thread(self.release.wait)
        return "250 2.0.0 OK"

    def hold(self) -> threading.Event:
        """Answer no mail until the returned event is set."""
        self.release.clear()
        return self.release


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.inbox.release.set()
        self.controller.stop()

    @property
    def accepted(self) -> list[EmailMessage]:
        return list(self.inbox.accepted)
