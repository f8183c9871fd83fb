"""Texts about channels and recipients (Vietnamese): the admins' notices when an e-mail
address or a Zalo account can no longer be reached, the answers of /email, and the
e-mail frame around a message rendered for Telegram."""

from __future__ import annotations

from html import escape

from bot.domain.channels import Channel
from bot.render.plain import html_to_text

CHANNEL_NAMES = {Channel.TELEGRAM: "Telegram", Channel.EMAIL: "thư điện tử", Channel.ZALO: "Zalo"}


def channel_name(channel: Channel) -> str:
    return CHANNEL_NAMES[channel]


def _who(name: str | None, agency_name: str | None) -> str:
    if agency_name and name and name != agency_name:
        return f"{escape(name)} ({escape(agency_name)})"
    if agency_name or name:
        return escape(agency_name or name or "")
    return "lãnh đạo tỉnh"


def recipient_unreachable_notice(
    *, channel: Channel, address: str, name: str | None, agency_name: str | None, error: str
) -> str:
    """Telegram HTML to each admin: an address refused for good and is no longer used."""
    return (
        f"⚠️ <b>Không gửi được qua {channel_name(channel)}</b>\n"
        f"Địa chỉ <code>{escape(address)}</code> của {_who(name, agency_name)} bị từ chối: {escape(error[:300])}\n\n"
        "Địa chỉ đã được đánh dấu không liên lạc được và không còn được dùng. "
        "Hãy kiểm tra và nhập lại địa chỉ đúng (lệnh /email)."
    )


def recipient_undeliverable_notice(
    *, channel: Channel, address: str, name: str | None, agency_name: str | None, error: str
) -> str:
    """Telegram HTML to each admin: one message could never go (the address stays in use)."""
    return (
        f"⚠️ <b>Một tin không gửi được qua {channel_name(channel)}</b>\n"
        f"Tới <code>{escape(address)}</code> của {_who(name, agency_name)}.\n"
        f"Lỗi: {escape(error[:300])}"
    )


def email_from_telegram_html(body: str, *, title: str, footer: str | None = None) -> tuple[str, str]:
    """A message rendered for Telegram → (HTML part, plain-text part) of an e-mail.

    Telegram's HTML subset (b, i, u, s, code, pre, a) is valid HTML; its line breaks are
    newlines, which an e-mail's HTML shows with `white-space: pre-wrap`.
    """
    footer_html = f'<hr><p style="color:#555">{footer}</p>' if footer else ""
    document = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px">'
        f'<div style="white-space:pre-wrap">{body}</div>{footer_html}</body></html>'
    )
    text = html_to_text(body) + (f"\n\n-- \n{html_to_text(footer)}" if footer else "")
    return document, text
