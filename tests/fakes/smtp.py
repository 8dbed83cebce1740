"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Mailbox:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient → SMTP reply
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    *,
    users: dict[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
) -> Iterator[Mailbox]:
    """``starttls``: offer STARTTLS with this context (AUTH only after it);
    ``implicit_tls``: TLS from the first byte (SMTPS)."""
    mailbox = Mailbox(port=_free_port())
    kwargs: dict[str, Any] = {}
    tls: dict[str, Any] = {}
    if starttls is not None:
        tls["tls_context"] = starttls
    if implicit_tls is not None:
        tls["ssl_context"] = implicit_tls
    if users is not None:

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            if isinstance(data, LoginPassword):
                login, password = data.login.decode(), data.password.decode()
                if users.get(login) == password:
                    mailbox.logins.append((login, password))
                    return AuthResult(success=True)
            return AuthResult(success=False, handled=False)

        kwargs = {"authenticator": authenticator, "auth_require_tls": starttls is not None}
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **kwargs, **tls)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@contextmanager
def tls_certificate(tmp_dir: Path) -> Iterator[tuple[ssl.SSLContext, str]]:
    """A server context for 127.0.0.1 signed by a throwaway CA, and that CA's PEM path."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_dir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield context, str(ca_file)
