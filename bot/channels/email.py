"""E-mail behind the channel interface, with aiosmtplib (asyncio SMTP client).

SMTP_URL says how to reach the server (user and password URL-encoded):

    smtp://host[:25]                      plain SMTP (a relay on the local network)
    smtp+starttls://user:pass@host[:587]  submission, upgraded with STARTTLS (required)
    smtps://user:pass@host[:465]          implicit TLS from the first byte

TLS (STARTTLS or implicit) always verifies the server's certificate and host name, against
the system's certificate authorities or those of SMTP_CA_FILE (an internal CA): a
certificate that does not verify is a failure, never silently accepted.

One connection per message (a few hundred messages a day; nothing to keep alive or to
find dead). Each message: From MAIL_FROM, To the recipient, a Message-ID fixed by the
outbox row (a resent copy has the same id, which mail clients fold into one), the plain
text and the HTML as alternatives, inline images (cid:) beside the HTML, attachments.

How the server's answers are classified (RFC 5321 reply codes):
- recipient refused with 5xx (550 mailbox unknown, 553 bad address): UNREACHABLE
- recipient refused with 4xx (450, 451 greylisting…): RETRY
- DATA refused with 5xx (552 too large, 554 rejected as spam): REJECTED; 4xx: RETRY
- cannot connect, TLS (a certificate that does not verify) or login failed, sender
  refused, disconnected, timed out: RETRY with
  `channel_down` (the server or our settings, not this message): the channel pauses.
  A timeout after DATA may mean the message arrived: it is sent again (at least once).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.channels.base import Outgoing, Pacing, SendResult
from bot.channels.registry import builder
from bot.domain.channels import Channel
from bot.render import settings as settings_texts
from bot.render.email import DEFAULT_SUBJECT

SCHEMES = {"smtp": (25, False, False), "smtp+starttls": (587, False, True), "smtps": (465, True, False)}


class SmtpUrlError(ValueError):
    """SMTP_URL is not one of the accepted forms."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise SmtpUrlError(settings_texts.bad_smtp_scheme(parts.scheme))
        if not parts.hostname:
            raise SmtpUrlError(settings_texts.SMTP_NO_HOST)
        port, implicit_tls, starttls = SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or port,
            implicit_tls=implicit_tls,
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def build_message(message: Outgoing, *, sender: str, domain: str) -> EmailMessage:
    """The MIME message of an outbox row (pure: no network)."""
    mail = EmailMessage()
    mail["From"] = sender
    name = message.recipient_name
    mail["To"] = Address(display_name=name, addr_spec=message.address) if name else message.address
    mail["Subject"] = message.subject or DEFAULT_SUBJECT
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<nhacviec.{message.outbox_id}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to the bot
    mail.set_content(message.alt_body or "", subtype="plain", charset="utf-8")
    mail.add_alternative(message.body, subtype="html", charset="utf-8")
    html_part: Any = mail.get_payload()[1]  # type: ignore[index]
    for f in message.files:
        maintype, _, subtype = f.mime_type.partition("/")
        if f.content_id:
            html_part.add_related(
                f.data, maintype=maintype, subtype=subtype or "octet-stream", cid=f"<{f.content_id}>",
                filename=f.filename, disposition="inline",
            )
    for f in message.files:
        maintype, _, subtype = f.mime_type.partition("/")
        if not f.content_id:
            mail.add_attachment(f.data, maintype=maintype, subtype=subtype or "octet-stream", filename=f.filename)
    return mail


def _code_result(code: int, text: str, *, recipient: bool) -> SendResult:
    error = f"{code} {text}".strip()
    if 400 <= code < 500:
        return SendResult.retry(error)
    if 500 <= code < 600:
        return SendResult.unreachable(error) if recipient else SendResult.rejected(error)
    return SendResult.retry(error)


def classify(exc: BaseException) -> SendResult:
    """An aiosmtplib exception (or a socket error) → the channel result."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients[0] if exc.recipients else None
        if refused is None:
            return SendResult.retry(str(exc))
        return _code_result(refused.code, refused.message, recipient=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return _code_result(exc.code, exc.message, recipient=True)
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return _code_result(exc.code, exc.message, recipient=False)
    if isinstance(exc, (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused)):
        return SendResult.retry(f"{type(exc).__name__}: {exc.code} {exc.message}", channel_down=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if 500 <= exc.code < 600:
            return SendResult.retry(f"{type(exc).__name__}: {exc.code} {exc.message}", channel_down=True)
        return SendResult.retry(f"{exc.code} {exc.message}", channel_down=exc.code == 421)
    # Connection refused/reset, TLS, timeouts, disconnects: the server, not the message.
    return SendResult.retry(f"{type(exc).__name__}: {exc}", channel_down=True)


class EmailChannel:
    """Sends outbox rows as e-mails through one SMTP server."""

    channel = Channel.EMAIL

    def __init__(
        self,
        server: SmtpServer,
        *,
        sender: str,
        timeout: float = 30.0,
        pacing: Pacing | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.sender = sender
        self.envelope_from = parseaddr(sender)[1]
        self.domain = self.envelope_from.rpartition("@")[2] or "nhacviec.local"
        self.timeout = timeout
        # Most servers take a few messages a second from one client; 421/450 answers slow it.
        self.pacing = pacing or Pacing(per_second=2.0, concurrency=2)
        # Verify the server's certificate by default (aiosmtplib would too; said here, not assumed).
        self.tls_context = tls_context or verifying_context()

    @classmethod
    def from_url(cls, url: str, *, sender: str, **kwargs: Any) -> EmailChannel:
        return cls(SmtpServer.parse(url), sender=sender, **kwargs)

    async def send(self, message: Outgoing) -> SendResult:
        mail = build_message(message, sender=self.sender, domain=self.domain)
        s = self.server
        try:
            errors, _ = await aiosmtplib.send(
                mail, sender=self.envelope_from, recipients=[message.address], hostname=s.host, port=s.port,
                username=s.username, password=s.password, use_tls=s.implicit_tls, start_tls=s.starttls,
                timeout=self.timeout, tls_context=self.tls_context, validate_certs=True,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return classify(exc)
        if errors:  # some recipients refused, some not (we send to one: not expected)
            code, text = next(iter(errors.values()))
            return _code_result(code, text, recipient=True)
        return SendResult.sent(str(mail["Message-ID"]))

    async def aclose(self) -> None:
        """TLS (STARTTLS or implicit) always verifies the server's certificate and host name, against
the system's certificate authorities or those of SMTP_CA_FILE (an internal CA): a
certificate that does not verify is a failure, never silently accepted.

One connection per message: nothing to close."""


def verifying_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A client context that verifies the server (certificate chain and host name): the
    system's authorities, or only those of `ca_file` (PEM) when given."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@builder
def from_settings(settings: Any) -> EmailChannel | None:
    if not getattr(settings, "smtp_url", None) or not getattr(settings, "mail_from", None):
        return None
    return EmailChannel.from_url(
        settings.smtp_url, sender=settings.mail_from, tls_context=verifying_context(getattr(settings, "smtp_ca_file", None))
    )
