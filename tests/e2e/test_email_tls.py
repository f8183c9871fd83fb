"""E-mail over TLS, really: aiosmtpd servers with STARTTLS (required before MAIL) and with
implicit TLS, each with a certificate of a throw-away CA (trustme). The adapter built from
the settings (SMTP_URL, MAIL_FROM, SMTP_CA_FILE) delivers when it trusts that CA, and
refuses — a retry with the channel down, nothing delivered — when it does not: the
certificate is verified by default, never taken on trust."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import Outcome, Outgoing
from bot.channels.email import EmailChannel, from_settings
from bot.config import load_settings
from bot.domain.channels import Channel
from tests.smtpserver import SmtpTestServer, tls_ca

FROM = "Bot nhắc việc <nhacviec@phutho.gov.vn>"
TO = "vanthu@stp.phutho.gov.vn"


@pytest.fixture(scope="module")
def ca() -> Any:
    return tls_ca()


@pytest.fixture
def ca_file(ca: Any, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(params=["starttls", "implicit"])
def tls_server(request: pytest.FixtureRequest, ca: Any) -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(tls=request.param, cert=ca.issue_cert("127.0.0.1"), login=("nhacviec@phutho.gov.vn", "Mật khẩu 1"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def adapter(server: SmtpTestServer, ca_file: Path | None, tmp_path: Path) -> EmailChannel:
    """The adapter exactly as `nhacviec run` builds it from its settings."""
    url = server.url.replace("://", "://nhacviec%40phutho.gov.vn:M%E1%BA%ADt%20kh%E1%BA%A9u%201@", 1)
    settings = load_settings(
        telegram_bot_token="1:T", database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", smtp_url=url,
        mail_from=FROM, smtp_ca_file=ca_file,
    )
    built = from_settings(settings)
    assert isinstance(built, EmailChannel)
    built.timeout = 5
    return built


def message(n: int = 1) -> Outgoing:
    return Outgoing(
        outbox_id=n, channel=Channel.EMAIL, address=TO, body="<p>Nhắc việc — Sở Tư pháp</p>",
        subject="Nhắc việc — Sở Tư pháp", alt_body="Nhắc việc — Sở Tư pháp",
    )


async def test_delivered_encrypted_when_the_ca_file_is_trusted(tls_server: SmtpTestServer, ca_file: Path, tmp_path: Path) -> None:
    result = await adapter(tls_server, ca_file, tmp_path).send(message())
    assert result.outcome is Outcome.SENT, result.error
    [received] = tls_server.to(TO)
    assert received.tls and received.message["Subject"] == "Nhắc việc — Sở Tư pháp"
    assert tls_server.logins == ["nhacviec@phutho.gov.vn"]  # the password went inside TLS only


async def test_an_untrusted_certificate_is_refused_by_default(tls_server: SmtpTestServer, tmp_path: Path) -> None:
    result = await adapter(tls_server, None, tmp_path).send(message())
    assert result.outcome is Outcome.RETRY and result.channel_down
    assert "CERTIFICATE_VERIFY_FAILED" in (result.error or "") or "certificate verify failed" in (result.error or "")
    assert tls_server.messages == [] and tls_server.logins == []


async def test_a_certificate_for_another_host_is_refused(ca: Any, ca_file: Path, tmp_path: Path) -> None:
    server = SmtpTestServer(tls="starttls", cert=ca.issue_cert("mail.example.gov.vn"))
    server.start()
    try:
        result = await adapter(server, ca_file, tmp_path).send(message())
    finally:
        server.stop()
    assert result.outcome is Outcome.RETRY and result.channel_down and server.messages == []


def test_a_missing_ca_file_is_a_settings_error(tmp_path: Path) -> None:
    from bot.config import SettingsError

    with pytest.raises(SettingsError, match="SMTP_CA_FILE"):
        load_settings(
            telegram_bot_token="1:T", database_url="sqlite+aiosqlite:///x.db", smtp_url="smtps://mail.example.gov.vn",
            mail_from=FROM, smtp_ca_file=tmp_path / "none.pem",
        )
