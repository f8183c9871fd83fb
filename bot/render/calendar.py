"""Vietnamese texts for the admins' calendar commands (/ngaynghi, /ngaylambu, nhacviec calendar)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Protocol

from bot.render.format import long_date, short_date

USAGE = (
    "Cách dùng (quản trị viên):\n"
    "• <code>/ngaynghi 02/09/2027 Nghỉ bù Quốc khánh</code> — thêm một ngày nghỉ;\n"
    "• <code>/ngaylambu 10/01/2026 Làm bù cho 02/01</code> — thêm một ngày làm bù (Thứ Bảy, Chủ Nhật);\n"
    "• <code>/ngaynghi xoa 02/09/2027</code> — bỏ ngày đã thêm;\n"
    "• <code>/ngaynghi</code> — xem các ngày đã thêm.\n"
    "Nhắc việc và báo cáo tính ngày làm việc theo lịch này."
)
ADMINS_ONLY = "Chỉ quản trị viên (Văn phòng UBND tỉnh / Sở Nội vụ) được sửa lịch ngày nghỉ, ngày làm bù."


class DayRow(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def kind(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def actor_name(self) -> str | None: ...


def kind_label(kind: str) -> str:
    return "ngày nghỉ" if kind == "day_off" else "ngày làm bù"


def already_off(day: date, holiday: str | None) -> str:
    why = f" ({holiday})" if holiday else ""
    return f"{long_date(day)} vốn đã là ngày nghỉ{why}: không cần thêm."


def already_working(day: date) -> str:
    return f"{long_date(day)} vốn đã là ngày làm việc: không cần thêm ngày làm bù."


def saved(day: date, kind: str, note: str | None, replaced: str | None) -> str:
    text = f"🗓 Đã ghi: {long_date(day)} là <b>{kind_label(kind)}</b>"
    if note:
        text += f" — {escape(note)}"
    text += "."
    if replaced and replaced != kind:
        text += f" (Thay cho {kind_label(replaced)} đã ghi trước đó.)"
    return text + "\nNhắc việc và báo cáo tính ngày làm việc theo lịch này."


def removed(day: date, found: bool) -> str:
    if not found:
        return f"Chưa có ngày {short_date(day)} trong các ngày đã thêm."
    return f"🗓 Đã bỏ {long_date(day)} khỏi các ngày đã thêm: ngày này tính theo lịch nghỉ lễ chung."


def listing(rows: Sequence[DayRow], *, html: bool = True) -> str:
    head = "🗓 Ngày nghỉ, ngày làm bù do quản trị viên thêm"
    if not rows:
        return f"{head}: chưa có."
    lines = [f"<b>{head}</b>" if html else head]
    for row in rows:
        note = row.note or ""
        if html:
            note = escape(note)
        who = f" (người ghi: {escape(row.actor_name) if html else row.actor_name})" if row.actor_name else ""
        lines.append(f"• {long_date(row.day)}: {kind_label(str(row.kind))}" + (f" — {note}" if note else "") + who)
    return "\n".join(lines)


BAD_DATE = "Không đọc được ngày. Viết ngày dạng 02/09/2027."
