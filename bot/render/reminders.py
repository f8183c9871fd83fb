"""Vietnamese texts of reminders, escalation alerts and delivery problems (HTML, escaped).

A day's reminder for one agency chat is one message; a long list becomes several parts,
each under Telegram's limit, numbered continuously ("1." … "23."), each with its own
buttons, never cut silently. Every button is `u:<due item id>` (the status handler's
first tap); the numbers also serve replies such as "2 xong".
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

from bot.domain.callbacks import OpenCard, encode
from bot.domain.reminders import AgencyReminders, Reminder, ReminderKind
from bot.domain.status import Status
from bot.render.format import days_phrase, long_date, short_date
from bot.render.progress import short_title
from bot.render.split import SAFE_LIMIT

MAX_ITEMS_PER_PART = 30  # keeps the keyboard readable (Telegram allows 100 buttons)
BUTTONS_PER_ROW = 5
TITLE_LIMIT = 100

_SECTION = {ReminderKind.OVERDUE: "⛔ <b>Quá hạn</b>", ReminderKind.DUE_SOON: "⏰ <b>Sắp đến hạn</b>"}


@dataclass(frozen=True)
class MessagePart:
    """One message to send: HTML text, inline buttons (label, callback_data) by row, and the
    due items it numbers (numbers start at `first_number`)."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    due_item_ids: tuple[int, ...] = ()
    first_number: int = 1

    def buttons_json(self) -> list[list[list[str]]] | None:
        return [[[label, data] for label, data in row] for row in self.buttons] or None


def reminder_line(number: int, reminder: Reminder, today: date, *, show_agency: bool = False) -> str:
    """'1. Xây dựng Kế hoạch … (KH 1782/KH-UBND · NV12)\n   Hạn 30/01/2025 · quá hạn 144 ngày'."""
    item = reminder.item
    who = f"{escape(item.agency_name)}: " if show_agency else ""
    first = (
        f"{number}. {who}{escape(short_title(item.title, TITLE_LIMIT))} "
        f"<i>(KH {escape(item.plan_number)} · NV{item.task_id})</i>"
    )
    when = f"Hạn {short_date(item.due_on)}"
    if item.extended:
        when += f" (gia hạn từ {short_date(item.original_due_on)})"
    details = [when, days_phrase(item.due_on, today)]
    if item.status is Status.IN_PROGRESS:
        details.append(f"đang thực hiện {item.progress}%" if item.progress else "đang thực hiện")
    elif item.status in (Status.BLOCKED, Status.EXTENSION_REQUESTED):
        details.append(item.status.label.lower())
    if reminder.inherited_from and not show_agency:
        details.append(f"chuyển từ {escape(reminder.inherited_from)}")
    return first + "\n   " + " · ".join(details)


def _footer(numbers: Sequence[int]) -> str:
    a = numbers[0]
    b = numbers[1] if len(numbers) > 1 else numbers[0]
    return (
        "Bấm số nhiệm vụ bên dưới để cập nhật, hoặc trả lời tin nhắn này, "
        f"ví dụ: “{a} xong”, “{b} đang làm 60%”."
    )


@dataclass
class _Part:
    blocks: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


def _pack(
    entries: Sequence[tuple[ReminderKind, str, int, int]], *, reserved: int, limit: int
) -> list[_Part]:
    """Greedy packing of (section, line, number, id) entries into parts of at most `limit`
    characters (the header and footer take `reserved`), repeating the section heading at the
    top of a part that continues a section."""
    parts: list[_Part] = []
    current = _Part()
    size = reserved
    section: ReminderKind | None = None
    for kind, line, number, item_id in entries:
        heading = ""
        if kind is not section or not current.blocks:
            heading = _SECTION[kind] + (" (tiếp)" if kind is section else "")
        cost = len(line) + 1 + (len(heading) + 1 if heading else 0)
        if current.blocks and (size + cost > limit or len(current.ids) >= MAX_ITEMS_PER_PART):
            parts.append(current)
            current, size = _Part(), reserved
            heading = _SECTION[kind] + (" (tiếp)" if kind is section else "")
            cost = len(line) + 1 + len(heading) + 1
        if heading:
            current.blocks.append(heading)
        current.blocks.append(line)
        current.numbers.append(number)
        current.ids.append(item_id)
        size += cost
        section = kind
    if current.blocks:
        parts.append(current)
    return parts


def _keyboard(numbers: Sequence[int], ids: Sequence[int]) -> tuple[tuple[tuple[str, str], ...], ...]:
    buttons = [(f"✏️ {n}", encode(OpenCard(i))) for n, i in zip(numbers, ids, strict=True)]
    return tuple(tuple(buttons[i : i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW))


def reminder_messages(group: AgencyReminders, today: date, *, limit: int = SAFE_LIMIT) -> list[MessagePart]:
    """The day's consolidated reminder for one agency: overdue first, then due soon."""
    ordered = group.ordered
    if not ordered:
        return []
    title = f"🔔 <b>Nhắc việc — {escape(group.agency_name)}</b>"
    dated = long_date(today)
    entries = [(r.kind, reminder_line(n, r, today), n, r.item.due_item_id) for n, r in enumerate(ordered, 1)]
    # Room for the longest header ("(phần 99/99)") and footer, counted generously.
    reserved = len(title) + len(dated) + len(_footer([9999, 9999])) + 40
    parts = _pack(entries, reserved=reserved, limit=limit)
    messages = []
    for index, part in enumerate(parts, 1):
        suffix = f" (phần {index}/{len(parts)})" if len(parts) > 1 else ""
        text = "\n".join([f"{title}{suffix}", dated, "", *part.blocks, "", _footer(part.numbers)])
        messages.append(
            MessagePart(text, _keyboard(part.numbers, part.ids), tuple(part.ids), part.numbers[0])
        )
    return messages


def escalation_messages(
    reminders: Sequence[Reminder], today: date, *, after_days: int, limit: int = SAFE_LIMIT
) -> list[MessagePart]:
    """Alert for the leaders: items overdue more than `after_days` days (sent once per item)."""
    if not reminders:
        return []
    title = f"🚨 <b>Nhiệm vụ quá hạn trên {after_days} ngày</b>"
    dated = long_date(today)
    note = "Các cơ quan chủ trì đã được nhắc; danh sách này cũng có trong báo cáo tổng hợp."
    entries = [
        (ReminderKind.OVERDUE, reminder_line(n, r, today, show_agency=True), n, r.item.due_item_id)
        for n, r in enumerate(reminders, 1)
    ]
    parts = _pack(entries, reserved=len(title) + len(dated) + len(note) + 40, limit=limit)
    messages = []
    for index, part in enumerate(parts, 1):
        suffix = f" (phần {index}/{len(parts)})" if len(parts) > 1 else ""
        # Leaders read, they do not update: no section heading, no buttons.
        lines = [b for b in part.blocks if not b.startswith(("⛔", "⏰"))]
        text = "\n".join([f"{title}{suffix}", dated, "", *lines, "", note])
        messages.append(MessagePart(text, (), tuple(part.ids), part.numbers[0]))
    return messages


def unreachable_notice(*, agency_name: str | None, chat_title: str | None, tg_chat_id: int, reason: str) -> str:
    """Private message to each admin when a chat stops accepting the bot's messages."""
    who = escape(agency_name) if agency_name else "lãnh đạo tỉnh"
    where = f"“{escape(chat_title)}”" if chat_title else "nhóm"
    return (
        "⚠️ <b>Không gửi được nhắc việc</b>\n"
        f"{where} (<code>{tg_chat_id}</code>) của {who}: {escape(reason)}.\n\n"
        "Nhóm đã được đánh dấu ngừng hoạt động và có tên trong mục “Không liên lạc được” của "
        "báo cáo. Hãy thêm lại bot vào nhóm hoặc đăng ký một nhóm khác cho cơ quan."
    )


def undeliverable_notice(*, agency_name: str | None, chat_title: str | None, tg_chat_id: int, error: str) -> str:
    """Private message to each admin when one message to a chat can never be delivered
    (Telegram refused it, or every retry failed); the chat itself stays active."""
    who = escape(agency_name) if agency_name else "lãnh đạo tỉnh"
    where = f"“{escape(chat_title)}”" if chat_title else "nhóm"
    return (
        "⚠️ <b>Một tin nhắc việc không gửi được</b>\n"
        f"Tới {where} (<code>{tg_chat_id}</code>) của {who}.\n"
        f"Lỗi: {escape(error[:300])}\n\n"
        "Xem bằng lệnh <code>nhacviec tick --date …</code>; gửi lại bằng "
        "<code>--retry-failed</code> sau khi đã khắc phục."
    )


def unreachable_reason(error: str) -> str:
    """Telegram's error text → a short Vietnamese reason."""
    text = error.lower()
    if "kicked" in text:
        return "bot đã bị xoá khỏi nhóm"
    if "blocked" in text:
        return "người dùng đã chặn bot"
    if "not a member" in text:
        return "bot không còn là thành viên của nhóm"
    if "deactivated" in text:
        return "nhóm hoặc tài khoản đã bị vô hiệu hoá"
    if "not found" in text:
        return "không tìm thấy nhóm"
    if "rights" in text or "not enough" in text:
        return "bot không có quyền gửi tin nhắn trong nhóm"
    return error


_TAG = re.compile(r"<[^>]+>")


def plain_text(text: str) -> str:
    """What a person sees of an HTML message (for the CLI preview)."""
    return html.unescape(_TAG.sub("", text))
