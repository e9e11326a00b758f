"""A real SMTP server on loopback (aiosmtpd) that keeps what it is handed, for the tests of e-mails to shoppers."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """What the server accepted, in order: each message with the envelope's recipients."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for recipients, message in self._messages if address in recipients]

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message for _, message in self._messages]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(text: str) -> str:
    """The order page's address in a message."""
    found = re.search(r"https?://\S+/shop/\d+/orders/[A-Za-z0-9_-]+", text)
    assert found, f"no order link in {text!r}"
    return found.group(0)


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server that takes every message (no login: it is loopback), on ``port`` or a free one."""
    box = Mailbox()
    port = port or free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def mail_settings(port: int) -> dict[str, Any]:
    """Notification settings whose SMTP server is the one on ``port`` (operators get no mail: no recipients)."""
    return {
        "email_to": "",
        "email_from": "orders@greatlakes.example",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_username": "",
        "webhook_url": "",
    }
