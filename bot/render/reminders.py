"""Vietnamese texts of reminders, escalation alerts and delivery problems (HTML, escaped).

A day's reminder for one agency chat is ONE message: the most urgent items in full
(`bot.domain.reminders.summarize_day`: due today, overdue most recent first, upcoming),
the rest counted in one line and left behind a button to the console's task list (or
/tiendo). Every item button is `u:<due item id>` (the status handler's first tap); the
numbers also serve replies such as "2 xong". The leaders get one alert a day: counts per
agency, the worst items, and the full list as an Excel file attached to the same message.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from bot.domain.callbacks import OpenCard, encode
from bot.domain.codes import task_code
from bot.domain.escalation import Rung
from bot.domain.reminders import (
    DEFAULT_MAX_SHOWN,
    AgencyReminders,
    EscalationSummary,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    Urgency,
    summarize_day,
    urgency,
)
from bot.domain.status import Status
from bot.render.focal import mention_line
from bot.render.format import days_phrase, long_date, short_date
from bot.render.progress import short_title

BUTTONS_PER_ROW = 5
TITLE_LIMIT = 100
CAPTION_LIMIT = 1024  # Telegram's limit for a document's caption (after entity parsing)

_SECTION = {
    Urgency.TODAY: "📌 <b>Đến hạn hôm nay</b>",
    Urgency.OVERDUE: "⛔ <b>Quá hạn</b>",
    Urgency.UPCOMING: "⏰ <b>Sắp đến hạn</b>",
    Urgency.QUIET: "💬 <b>Đang thực hiện — lâu chưa có báo cáo mới</b>",
}
_HIDDEN = {
    Urgency.TODAY: "đến hạn hôm nay", Urgency.OVERDUE: "quá hạn", Urgency.UPCOMING: "sắp đến hạn",
    Urgency.QUIET: "cần cập nhật tiến độ",
}


@dataclass(frozen=True)
class MessagePart:
    """One message to send: HTML text, inline buttons (label, callback_data or an http(s)
    URL) by row, the due items it numbers (numbers start at `first_number`), and an
    optional file sent with it (the text is then its caption)."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    due_item_ids: tuple[int, ...] = ()
    first_number: int = 1
    attachment: bytes | None = None
    attachment_name: str | None = None

    def buttons_json(self) -> list[list[list[str]]] | None:
        return [[[label, data] for label, data in row] for row in self.buttons] or None


def reminder_line(number: int, reminder: Reminder, today: date, *, show_agency: bool = False) -> str:
    """'1. Xây dựng Kế hoạch … (KH 1782/KH-UBND · NV12)\n   Hạn 30/01/2025 · quá hạn 144 ngày'."""
    item = reminder.item
    who = f"{escape(item.agency_name)}: " if show_agency else ""
    first = (
        f"{number}. {who}{escape(short_title(item.title, TITLE_LIMIT))} "
        f"<i>(KH {escape(item.plan_number)} · {task_code(item.task_id)})</i>"
    )
    when = f"Hạn {short_date(item.due_on)}"
    if item.extended:
        when += f" (gia hạn từ {short_date(item.original_due_on)})"
    details = [when, days_phrase(item.due_on, today)]
    if item.status is Status.IN_PROGRESS:
        details.append(f"đang thực hiện {item.progress}%" if item.progress else "đang thực hiện")
    elif item.status in (Status.BLOCKED, Status.EXTENSION_REQUESTED):
        details.append(item.status.label.lower())
    if reminder.kind is ReminderKind.NUDGE:
        details.append(f"{reminder.days} ngày làm việc chưa có báo cáo mới")
    if reminder.inherited_from and not show_agency:
        details.append(f"chuyển từ {escape(reminder.inherited_from)}")
    if reminder.other_due:
        details.append("các hạn khác chưa xong: " + ", ".join(short_date(d) for d in reminder.other_due))
    return first + "\n   " + " · ".join(details)


def _footer(numbers: Sequence[int]) -> str:
    a = numbers[0]
    b = numbers[1] if len(numbers) > 1 else numbers[0]
    return (
        "Bấm số nhiệm vụ bên dưới để cập nhật, hoặc trả lời tin nhắn này, "
        f"ví dụ: “{a} xong”, “{b} đang làm 60%”."
    )


def _keyboard(numbers: Sequence[int], ids: Sequence[int]) -> list[tuple[tuple[str, str], ...]]:
    buttons = [(f"✏️ {n}", encode(OpenCard(i))) for n, i in zip(numbers, ids, strict=True)]
    return [tuple(buttons[i : i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def hidden_line(counts: dict[Urgency, int], *, more_url: str | None) -> str:
    """'… và 37 nhiệm vụ khác (12 quá hạn, 25 sắp đến hạn): …' — where to see them."""
    total = sum(counts.values())
    detail = ", ".join(f"{n} {_HIDDEN[u]}" for u, n in counts.items())
    where = "bấm “📋 Xem tất cả” hoặc gõ /tiendo" if more_url else "gõ /tiendo trong nhóm"
    return f"… và <b>{total}</b> nhiệm vụ khác ({detail}): {where} để xem đủ danh sách."


def _followed_message(
    group: AgencyReminders,
    today: date,
    *,
    max_shown: int = DEFAULT_MAX_SHOWN,
    more_url: str | None = None,
    people: Sequence[tuple[int, str]] = (),
) -> MessagePart | None:
    """The day's one reminder for one agency: the most urgent items, the rest counted.

    `more_url` (the console's task list of the agency) becomes a button when items are left
    out; `people` (user id, name) are the agency's focal points, @mentioned under the title.
    """
    summary = summarize_day(group.reminders, max_shown=max_shown)
    if not summary.shown:
        return None
    blocks = [f"🔔 <b>Nhắc việc — {escape(group.agency_name)}</b>", long_date(today)]
    if people:
        blocks.append(mention_line(people))
    blocks.append("")
    section: Urgency | None = None
    numbers: list[int] = []
    ids: list[int] = []
    for number, reminder in enumerate(summary.shown, 1):
        if urgency(reminder) is not section:
            section = urgency(reminder)
            blocks.append(_SECTION[section])
        blocks.append(reminder_line(number, reminder, today))
        numbers.append(number)
        ids.append(reminder.item.due_item_id)
    buttons = _keyboard(numbers, ids)
    if summary.hidden:
        blocks += ["", hidden_line(summary.hidden_by_urgency(), more_url=more_url)]
        if more_url:
            buttons.append(((f"📋 Xem tất cả ({summary.total})", more_url),))
    blocks += ["", _footer(numbers)]
    return MessagePart("\n".join(blocks), tuple(buttons), tuple(ids), 1)


def reminder_messages(
    group: AgencyReminders, today: date, *, max_shown: int = DEFAULT_MAX_SHOWN, more_url: str | None = None
) -> list[MessagePart]:
    """[the day's one message] or [] (the preview and the Zalo text take a list)."""
    part = reminder_message(group, today, max_shown=max_shown, more_url=more_url)
    return [part] if part is not None else []


def reminder_message(
    group: AgencyReminders,
    today: date,
    *,
    max_shown: int = DEFAULT_MAX_SHOWN,
    more_url: str | None = None,
    people: Sequence[tuple[int, str]] = (),
) -> MessagePart | None:
    """The day's one message for one agency: the reminders (`_followed_message`), then the
    items of unknown status it has not been asked about yet (bot.render.confirm) — never a
    second message."""
    part = _followed_message(group, today, max_shown=max_shown, more_url=more_url, people=people)
    if not group.unknown:
        return part
    from bot.render import confirm

    return confirm.with_confirmation(part, group, today)


# --- the leaders' daily alert ----------------------------------------------------------------


def overdue_threshold(after_days: int, *, working: bool = False) -> str:
    """'trên 14 ngày' (calendar days, REMINDER_ESCALATE_AFTER) or 'từ 15 ngày làm việc' (a ladder's rung)."""
    return f"từ {after_days} ngày làm việc" if working else f"trên {after_days} ngày"


def leaders_threshold(policy: ReminderPolicy) -> str:
    """When the leaders hear of an overdue item, as the policy's ladder says it."""
    step = policy.escalation.step(Rung.LEADERS)
    if step is None:
        return "(không báo lãnh đạo)"
    return overdue_threshold(step.after - (0 if step.working else 1), working=step.working)


def escalation_workbook(summary: EscalationSummary, today: date, *, after_days: int, working: bool = False) -> bytes:
    """The alert's full list: one row per item, most overdue first (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Quá hạn"
    sheet.append([f"Nhiệm vụ quá hạn {overdue_threshold(after_days, working=working)} — {short_date(today)}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["STT", "Mã", "Kế hoạch", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn", "Số ngày quá hạn", "Tình trạng"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for n, r in enumerate(summary.reminders, 1):
        item = r.item
        row = [n, task_code(item.task_id), item.plan_number, item.title, item.agency_name, item.due_on, r.days,
               item.status.label]
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=6).number_format = "DD/MM/YYYY"
    for column, width in zip("ABCDEFGH", (6, 9, 16, 70, 32, 12, 10, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:H{sheet.max_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def escalation_message(
    summary: EscalationSummary,
    today: date,
    *,
    after_days: int,
    working: bool = False,
    office: bool = False,
    agencies_shown: int = 6,
    title_limit: int = 60,
) -> MessagePart | None:
    """The leaders' (or, `office`, the reform office's) one alert of the day: a caption under
    Telegram's 1,024 characters (counts per agency, the worst items) on the Excel file with
    every item. `after_days`/`working`: the rung's threshold (see `overdue_threshold`)."""
    if not summary.total:
        return None
    for agencies, limit in ((agencies_shown, title_limit), (3, 40), (3, 25), (0, 0)):
        text = _escalation_caption(
            summary, today, after_days=after_days, working=working, office=office, agencies=agencies, title_limit=limit
        )
        if len(plain_text(text)) <= CAPTION_LIMIT:
            break
    name = f"qua-han-{today:%Y-%m-%d}.xlsx"
    return MessagePart(
        text, (), tuple(r.item.due_item_id for r in summary.reminders), 1,
        escalation_workbook(summary, today, after_days=after_days, working=working), name,
    )


def _escalation_caption(
    summary: EscalationSummary, today: date, *, after_days: int, working: bool, office: bool, agencies: int,
    title_limit: int,
) -> str:
    threshold = overdue_threshold(after_days, working=working)
    if office:
        lines = [
            f"📣 <b>Văn phòng đôn đốc: quá hạn {threshold}</b> — {long_date(today)}",
            f"{summary.total} nhiệm vụ mới cần đôn đốc, {len(summary.by_agency)} cơ quan (chưa chuyển lãnh đạo).",
        ]
    else:
        lines = [
            f"🚨 <b>Quá hạn {threshold}</b> — {long_date(today)}",
            f"{summary.total} nhiệm vụ mới chuyển lãnh đạo, {len(summary.by_agency)} cơ quan.",
        ]
    if agencies:
        shown = summary.by_agency[:agencies]
        rest = len(summary.by_agency) - len(shown)
        counts = " · ".join(f"{escape(name)} {n}" for name, n in shown)
        lines.append("<b>Theo cơ quan:</b> " + counts + (f" · {rest} cơ quan khác" if rest else ""))
    if title_limit:
        lines.append("<b>Quá hạn lâu nhất:</b>")
        for n, r in enumerate(summary.worst, 1):
            lines.append(
                f"{n}. {escape(r.item.agency_name)}: {escape(short_title(r.item.title, title_limit))} "
                f"({task_code(r.item.task_id)}) — quá hạn {r.days} ngày"
            )
    lines.append("📎 Danh sách đầy đủ trong tệp Excel đính kèm; các cơ quan chủ trì đã được nhắc.")
    return "\n".join(lines)


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


def tick_summary(report: Any) -> str:
    """One line on what a reminder tick did (bot.services.reminders.TickReport)."""
    if not report.working_day:
        return f"{short_date(report.on_date)}: ngày nghỉ ({report.holiday or 'cuối tuần'}), không nhắc việc."
    text = (
        f"{short_date(report.on_date)}: {report.items} nhắc việc cho {report.agencies} cơ quan, "
        f"{report.chats} nhóm; thêm {report.queued} tin vào hàng đợi"
    )
    if report.already:
        text += f" ({report.already} nhóm đã có nhắc việc của ngày này)"
    if report.emails:
        text += f"; {report.emails} thư điện tử"
    if report.nudges:
        text += f" (trong đó {report.nudges} nhắc cập nhật việc đang thực hiện)"
    if report.office:
        text += f"; {report.office} nhiệm vụ báo văn phòng"
    if report.escalated:
        text += f"; {report.escalated} nhiệm vụ báo lãnh đạo"
    if report.unreachable:
        text += "; chưa có nhóm: " + ", ".join(report.unreachable)
    return text + "."
