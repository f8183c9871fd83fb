"""E-mails (Vietnamese): the subject, the HTML part and the plain-text part of each kind of
message, built from the texts the Telegram renderers already make (one wording for all
channels); only the frame, the footer and what a mailbox cannot do (buttons) differ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from bot.render.channels import email_from_telegram_html
from bot.render.format import short_date


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str


def _link_footer(link: str | None, days: int) -> str:
    if link is None:
        return "Thư gửi tự động từ bot nhắc việc; trả lời tiến độ trong nhóm Telegram của cơ quan hoặc báo Văn phòng."
    return (
        f'Cập nhật tiến độ (không cần mật khẩu, liên kết dùng được {days} ngày): '
        f'<a href="{escape(link, quote=True)}">{escape(link)}</a><br>'
        "Thư gửi tự động từ bot nhắc việc, vui lòng không trả lời thư này."
    )


def reminder_email(telegram_parts: list[str], *, agency_name: str, on_date: date, link: str | None, link_days: int) -> EmailContent:
    """The day's reminder for an agency's mailbox: the Telegram reminder's items (all parts
    in one mail), without its "press a button / reply" line, with the console link."""
    blocks = []
    for part in telegram_parts:
        body, _, _footer = part.rpartition("\n")  # the last line tells Telegram users what to press
        blocks.append(body.rstrip())
    subject = f"Nhắc việc — {agency_name} — {short_date(on_date)}"
    html, text = email_from_telegram_html("\n\n".join(blocks), title=subject, footer=_link_footer(link, link_days))
    return EmailContent(subject, html, text)


def escalation_email(telegram_parts: list[str], *, province_name: str, on_date: date) -> EmailContent:
    subject = f"Nhiệm vụ quá hạn lâu — {province_name} — {short_date(on_date)}"
    html, text = email_from_telegram_html(
        "\n\n".join(telegram_parts), title=subject, footer="Thư gửi tự động từ bot nhắc việc."
    )
    return EmailContent(subject, html, text)


def digest_email(
    messages: list[str], *, title: str, chart_cid: str | None, chart_caption: str | None, attachments: list[str]
) -> EmailContent:
    """The leaders' digest: its texts, the chart inline (cid:), the attached files named."""
    body = "\n\n".join(messages)
    chart = ""
    if chart_cid:
        chart = (
            f'<p><img src="cid:{escape(chart_cid, quote=True)}" alt="{escape(chart_caption or "Biểu đồ")}" '
            'style="max-width:100%"></p>'
        )
        if chart_caption:
            chart += f'<p style="color:#555">{chart_caption}</p>'
    files = ""
    if attachments:
        files = "Tệp đính kèm: " + ", ".join(escape(a) for a in attachments) + "."
    html, text = email_from_telegram_html(body, title=title, footer=(files + "<br>" if files else "") + "Thư gửi tự động từ bot nhắc việc.")
    if chart:
        html = html.replace("<hr>", chart + "<hr>", 1)
    return EmailContent(title, html, text)


DEFAULT_SUBJECT = "Nhắc việc"  # a queued e-mail that carries no subject of its own


REPORT_TITLE = "Báo cáo"  # an e-mail's subject when the digest has no first line
