"""A real SMTP server in the test process (aiosmtpd), recording what it accepts.

    server = SmtpTestServer(); server.start()
    server.refuse["gone@x.vn"] = "550 5.1.1 <gone@x.vn>: mailbox unknown"
    ...                       # send through smtp://127.0.0.1:{server.port}
    server.messages           # [Received(mail_from, rcpt_tos, message: email.message.EmailMessage)]
    server.stop(); server.start()   # down, then back on the same port

aiosmtpd runs its own event loop in a thread: the client under test talks to it over a real
socket, exactly as to a mail server.

TLS: `SmtpTestServer(tls="starttls", cert=…)` requires STARTTLS before MAIL (submission,
port 587 style); `tls="implicit"` speaks TLS from the first byte (smtps, port 465 style).
`cert` is a server certificate of a throw-away CA (`tls_ca()`, the trustme package):
the client trusts that CA's PEM file, and nothing else.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    tls: bool = False  # the session was encrypted (STARTTLS done, or implicit TLS)


def tls_ca() -> Any:
    """A throw-away certificate authority (trustme.CA): `ca.issue_cert("127.0.0.1")` for a
    server, `ca.cert_pem.write_to_path(path)` for the client's trusted CA file."""
    import trustme

    return trustme.CA()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        refusal = self.server.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.data_answer:
            return self.server.data_answer
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        # What the socket really is: TLS after STARTTLS, or from the first byte (implicit).
        encrypted = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw, encrypted))  # type: ignore[arg-type]
        return "250 2.0.0 accepted"


class SmtpTestServer:
    def __init__(self, *, login: tuple[str, str] | None = None, tls: str | None = None, cert: Any = None) -> None:
        assert tls in (None, "starttls", "implicit") and (tls is None) == (cert is None)
        self.tls = tls
        self.cert = cert  # trustme.LeafCert of the server
        self.port = free_port()
        self.messages: list[Received] = []
        self.refuse: dict[str, str] = {}
        self.data_answer: str | None = None  # e.g. "552 5.3.4 message too big"
        self.login = login
        self.logins: list[str] = []
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        scheme = {None: "smtp", "starttls": "smtp+starttls", "implicit": "smtps"}[self.tls]
        return f"{scheme}://127.0.0.1:{self.port}"

    def _server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(context)
        return context

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and self.login is not None:
            user, password = data.login.decode(), data.password.decode()
            if (user, password) == self.login:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.login is not None:
            # Implicit TLS wraps the transport: aiosmtpd's session does not see it as TLS.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=self.tls == "starttls", auth_required=True)
        if self.tls == "starttls":
            kwargs.update(tls_context=self._server_context(), require_starttls=True)
        elif self.tls == "implicit":
            kwargs.update(ssl_context=self._server_context(), server_hostname="127.0.0.1")
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        """Messages to `address` (compared without case, as mail servers usually do)."""
        return [m for m in self.messages if address.lower() in (a.lower() for a in m.rcpt_tos)]


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    """A plain SMTP server in the test process (import this fixture where a test needs it)."""
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
