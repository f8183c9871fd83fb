"""The e-mail channel's pure parts: SMTP_URL forms, the server's answers classified, the MIME
structure, address validation, the signed console links, the reminder e-mail's text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesParser

import aiosmtplib
import pytest

from bot.channels.base import Attachment, Outcome, Outgoing
from bot.channels.email import SmtpServer, SmtpUrlError, build_message, classify
from bot.domain.addresses import InvalidAddress, normalize_email
from bot.domain.channels import Channel
from bot.render.email import reminder_email
from bot.services.links import link_key, make_token, read_token


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.local", SmtpServer("relay.local", 25, False, False)),
        ("smtp://relay.local:2525", SmtpServer("relay.local", 2525, False, False)),
        (
            "smtp+starttls://nhac%40viec:p%40ss%3Aw@mail.example.gov.vn:587",
            SmtpServer("mail.example.gov.vn", 587, False, True, "nhac@viec", "p@ss:w"),
        ),
        ("smtp+starttls://u:p@mail.example.gov.vn", SmtpServer("mail.example.gov.vn", 587, False, True, "u", "p")),
        ("smtps://u:p@mail.example.gov.vn", SmtpServer("mail.example.gov.vn", 465, True, False, "u", "p")),
    ],
)
def test_smtp_url_forms(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.parse(url) == expected


@pytest.mark.parametrize("url", ["http://mail.x.vn", "smtp://", "mail.x.vn:25", "imap://mail.x.vn"])
def test_bad_smtp_urls(url: str) -> None:
    with pytest.raises(SmtpUrlError):
        SmtpServer.parse(url)


def _refused(code: int, text: str) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(code, text, "a@x.vn")])


@pytest.mark.parametrize(
    ("exc", "outcome", "down"),
    [
        (_refused(550, "5.1.1 mailbox unknown"), Outcome.UNREACHABLE, False),
        (_refused(553, "5.1.3 bad address"), Outcome.UNREACHABLE, False),
        (_refused(450, "4.2.1 mailbox busy"), Outcome.RETRY, False),
        (_refused(451, "4.7.1 greylisted"), Outcome.RETRY, False),
        (aiosmtplib.SMTPDataError(552, "5.3.4 message too big"), Outcome.REJECTED, False),
        (aiosmtplib.SMTPDataError(451, "4.3.0 try later"), Outcome.RETRY, False),
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 bad credentials"), Outcome.RETRY, True),
        (aiosmtplib.SMTPSenderRefused(553, "sender not allowed", "x@y"), Outcome.RETRY, True),
        (aiosmtplib.SMTPResponseException(421, "4.3.2 shutting down"), Outcome.RETRY, True),
        (aiosmtplib.SMTPConnectError("Error connecting to 127.0.0.1 on port 25"), Outcome.RETRY, True),
        (aiosmtplib.SMTPServerDisconnected("Unexpected EOF"), Outcome.RETRY, True),
        (aiosmtplib.SMTPTimeoutError("Timed out"), Outcome.RETRY, True),
        (ConnectionRefusedError(111, "Connection refused"), Outcome.RETRY, True),
    ],
)
def test_server_answers_are_classified(exc: BaseException, outcome: Outcome, down: bool) -> None:
    result = classify(exc)
    assert (result.outcome, result.channel_down) == (outcome, down)
    assert result.error


def test_mime_structure_text_html_inline_chart_attachments() -> None:
    message = Outgoing(
        outbox_id=42, channel=Channel.EMAIL, address="vanthu@stp.phutho.gov.vn", recipient_name="Sở Tư pháp",
        subject="Báo cáo tuần — Phú Thọ", body='<p>Xin chào <img src="cid:chart-1"></p>', alt_body="Xin chào",
        files=(
            Attachment("bieu-do.png", "image/png", b"\x89PNG\r\n", "chart-1"),
            Attachment("bao-cao.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
        ),
    )
    raw = build_message(message, sender="Bot nhắc việc <nhacviec@phutho.gov.vn>", domain="phutho.gov.vn").as_bytes()
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert mail["Subject"] == "Báo cáo tuần — Phú Thọ"
    assert mail["To"].addresses[0].display_name == "Sở Tư pháp"
    assert mail["Message-ID"] == "<nhacviec.42@phutho.gov.vn>"
    assert mail.get_content_type() == "multipart/mixed"
    assert mail.get_body(("plain",)).get_content().strip() == "Xin chào"
    html = mail.get_body(("html",))
    assert "cid:chart-1" in html.get_content()
    related = [p for p in mail.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    [image] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<chart-1>" and image.get_content() == b"\x89PNG\r\n"
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == "bao-cao.xlsx" and attached.get_content() == b"PK\x03\x04"


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("VanThu@STP.PhuTho.Gov.VN", "VanThu@stp.phutho.gov.vn"),
        ("  a.b+c@x.vn ", "a.b+c@x.vn"),
        ("x@tư-pháp.vn", "x@tư-pháp.vn"),
    ],
)
def test_addresses_normalised(text: str, normal: str) -> None:
    assert normalize_email(text) == normal


@pytest.mark.parametrize("text", ["", "abc", "a@b", "a@@b.vn", "a b@x.vn", "a@x..vn", "<a@x.vn>", "a@x.vn, b@x.vn"])
def test_bad_addresses_refused(text: str) -> None:
    with pytest.raises(InvalidAddress):
        normalize_email(text)


def test_console_link_tokens() -> None:
    key, now = link_key("123:ABC"), datetime(2025, 6, 23, 1, 0, tzinfo=UTC)
    token = make_token(agency_id=7, key=key, expires=now + timedelta(days=14))
    assert read_token(token, key=key, now=now) == 7
    assert read_token(token, key=key, now=now + timedelta(days=14)) is None  # expired
    assert read_token(token, key=link_key("123:OTHER"), now=now) is None  # another bot's key
    agency, expiry, mac = token.split(".")
    assert read_token(f"8.{expiry}.{mac}", key=key, now=now) is None  # altered agency
    assert read_token(f"{agency}.{int(expiry) + 86400}.{mac}", key=key, now=now) is None  # extended
    for junk in ("", "7", "7.1", "x.y.z", "7..", f"{agency}.{expiry}."):
        assert read_token(junk, key=key, now=now) is None


def test_reminder_email_drops_the_telegram_instructions_and_carries_the_link() -> None:
    parts = [
        "🔔 <b>Nhắc việc — Sở Tư pháp</b> (phần 1/2)\nThứ Hai, 23/06/2025\n\n1. A &amp; B\n\nBấm số nhiệm vụ bên dưới để cập nhật",
        "🔔 <b>Nhắc việc — Sở Tư pháp</b> (phần 2/2)\nThứ Hai, 23/06/2025\n\n2. C\n\nBấm số nhiệm vụ bên dưới để cập nhật",
    ]
    mail = reminder_email(parts, agency_name="Sở Tư pháp", on_date=date(2025, 6, 23), link="https://c.vn/web/a/t", link_days=14)
    assert mail.subject == "Nhắc việc — Sở Tư pháp — 23/06/2025"
    assert "Bấm số" not in mail.html and "Bấm số" not in mail.text
    assert "1. A & B" in mail.text and "2. C" in mail.text and "1. A &amp; B" in mail.html
    assert 'href="https://c.vn/web/a/t"' in mail.html and "https://c.vn/web/a/t" in mail.text
