"""One-off notices about an agency's work (Vietnamese), for every channel: a status change
recorded, an extension request decided, a change made on Zalo. One wording, made by the
Telegram renderers (HTML); here only what each channel needs around it — an e-mail's
subject and frame, Zalo's plain text split under 2,000 characters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from html import escape

from bot.domain.codes import task_code
from bot.domain.status import ChangeKind
from bot.render.channels import email_from_telegram_html
from bot.render.email import EmailContent
from bot.render.status import ExtensionView, RecordedView, recorded_line
from bot.render.zalo import plain, split_plain

NOTICE_FOOTER = "Thư gửi tự động từ bot nhắc việc, vui lòng không trả lời thư này."
CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "web": "bảng điều khiển", "email": "thư điện tử"}


def _by_code(view: RecordedView) -> RecordedView:
    """The change named by its task code: the reminder's numbers are the reporter's own."""
    return replace(view, item=replace(view.item, number=None))


def change_notice(views: Sequence[RecordedView], today: date, *, channel: str) -> str:
    """HTML: what was recorded for the agency, and by which channel (to its other channels)."""
    agency = views[0].item.agency_name if views else ""
    via = CHANNEL_LABELS.get(channel, channel)
    head = f"📌 <b>Cập nhật tiến độ — {escape(agency)}</b> (qua {escape(via)})"
    return head + "\n" + "\n\n".join(recorded_line(_by_code(v), today) for v in views)


def change_subject(views: Sequence[RecordedView]) -> str:
    first = views[0]
    codes = ", ".join(dict.fromkeys(task_code(v.item.task_id) for v in views))
    what = "Đề nghị gia hạn" if first.kind is ChangeKind.EXTENSION else "Cập nhật tiến độ"
    return f"{what} {codes} — {first.item.agency_name}"


def decision_subject(view: ExtensionView) -> str:
    verdict = "Đã được gia hạn" if view.approved else "Đề nghị gia hạn bị từ chối"
    return f"{verdict}: {task_code(view.item.task_id)} — {view.item.agency_name}"


def zalo_group_notice(views: Sequence[RecordedView], today: date) -> str:
    """HTML to the agency's Telegram group: what a focal point recorded from Zalo (by code,
    since the numbers are those of the person's own reminder)."""
    return "📱 <b>Cập nhật qua Zalo</b>\n" + "\n\n".join(recorded_line(_by_code(v), today) for v in views)


def notice_email(html_text: str, *, subject: str) -> EmailContent:
    """A notice as an e-mail: the same text in the e-mail frame, HTML and plain."""
    html, text = email_from_telegram_html(html_text, title=subject, footer=NOTICE_FOOTER)
    return EmailContent(subject, html, text)


def notice_zalo(html_text: str) -> list[str]:
    """A notice as Zalo messages: plain text, split cleanly under 2,000 characters."""
    return split_plain(plain(html_text))


def notice_cut_line(shown: int, total: int, console_url: str | None) -> str:
    """The last message of a notice too long to send whole (plain text: Zalo and Telegram)."""
    head = f"✂️ Thông báo quá dài: đã gửi {shown}/{total} phần, phần còn lại không gửi qua tin nhắn."
    if console_url:
        return f"{head}\nXem đầy đủ trên bảng điều khiển: {console_url}"
    return f"{head}\nXem đầy đủ trên bảng điều khiển web hoặc trong nhóm Telegram của cơ quan."
