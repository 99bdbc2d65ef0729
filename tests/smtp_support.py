"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, collecting what it receives.

Use the ``smtp_server`` fixture (import it into the test module or conftest.py)::

    from smtp_support import smtp_server  # noqa: F401

    def test_sends(smtp_server):
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST=smtp_server.host,
                          SMTP_PORT=smtp_server.port)
        ...
        [message] = smtp_server.messages   # email.message.EmailMessage objects

Tests that need another kind of server (one that requires a login, say) use
``running_smtp_server(**controller_options)`` directly as a context manager.
"""
from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

HOST = "127.0.0.1"


@dataclass
class ReceivedMail:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[ReceivedMail] = field(default_factory=list)

    @property
    def messages(self) -> list[EmailMessage]:
        """The received messages, parsed with ``email.policy.default``, oldest first."""
        return [mail.message for mail in self.received]


class _Collector:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.server.received.append(ReceivedMail(
            mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
            message=message, raw=raw))
        return "250 Message accepted for delivery"


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextmanager
def running_smtp_server(**controller_options: Any) -> Iterator[SmtpServer]:
    """Start an aiosmtpd ``Controller`` on 127.0.0.1 and a free port; stop it on exit.

    ``controller_options`` go to the Controller (and from there to aiosmtpd's SMTP class),
    e.g. ``authenticator=...`` and ``auth_require_tls=False`` for a server with login."""
    server = SmtpServer(host=HOST, port=free_port())
    controller = Controller(_Collector(server), hostname=server.host, port=server.port,
                            **controller_options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 for the duration of one test."""
    with running_smtp_server() as server:
        yield server
