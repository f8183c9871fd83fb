"""Vietnamese texts of snoozing, pausing and dropping reminders (HTML, escaped)."""

from __future__ import annotations

from datetime import date
from html import escape

from bot.render.format import short_date


def snooze_note(until: date | None, reason: str | None) -> str:
    """History note of a snoozed item."""
    when = f"đến {short_date(until)}" if until else "đến khi nhắc lại"
    return f"Tạm dừng nhắc {when}" + (f": {reason}" if reason else "")


def snoozed(codes: list[str], until: date | None, reason: str | None) -> str:
    when = f"Nhắc lại từ ngày {short_date(until)}." if until else "Không nhắc nhiệm vụ này nữa cho đến khi có báo cáo mới."
    why = f"\nLý do: {escape(reason)}" if reason else ""
    return f"⏸ Đã tạm dừng nhắc {', '.join(codes)}. {when}{why}"


SNOOZE_BAD_DATE = (
    "Ngày tạm dừng chưa hợp lệ (phải là một ngày sau hôm nay). Ví dụ: "
    "<code>tạm dừng nhắc NV3 đến 15/1 vì chờ hướng dẫn</code>."
)
SNOOZE_WHICH = (
    "Chưa rõ nhiệm vụ nào: ghi mã (<code>tạm dừng nhắc NV3 đến 15/1</code>) hoặc trả lời tin nhắc việc "
    "với số thứ tự (<code>tạm dừng nhắc 2 đến 15/1</code>)."
)
NOT_YOURS = "Chỉ cơ quan chủ trì hoặc quản trị viên mới tạm dừng nhắc nhiệm vụ này."


def paused(agency: str, until: date | None, reason: str | None) -> str:
    when = f"Bot nhắc lại từ ngày {short_date(until)}" if until else "Gõ /tieptuc để nhắc lại"
    why = f"\nLý do: {escape(reason)}" if reason else ""
    return f"⏸ Đã tạm dừng nhắc việc của <b>{escape(agency)}</b>. {when}.{why}"


PAUSE_BAD_DATE = "Ngày chưa hợp lệ (phải sau hôm nay). Ví dụ: <code>/tamdung đến 15/1 nghỉ Tết</code>."
PAUSE_WHERE = "Lệnh này dùng trong nhóm đã đăng ký của cơ quan."


def resumed(agency: str, ended: int) -> str:
    if not ended:
        return f"Nhắc việc của <b>{escape(agency)}</b> đang chạy bình thường (không có tạm dừng)."
    return f"▶️ Đã tiếp tục nhắc việc của <b>{escape(agency)}</b> từ lượt nhắc tới."


WAIVE_USAGE = "Cách dùng: <code>/khongthuchien NV12 lý do</code> (quản trị viên; cần ghi lý do)."


def waive_note(reason: str) -> str:
    return f"Không thực hiện: {reason}"


def waived(code: str, count: int, reason: str) -> str:
    return (
        f"🚫 {code}: ghi nhận <b>không thực hiện</b> ({count} mốc hạn), không nhắc nữa.\n"
        f"Lý do: {escape(reason)}"
    )


def waive_nothing(code: str) -> str:
    return f"{code} không còn mốc hạn nào đang mở."


def task_missing(code: str) -> str:
    return f"Không tìm thấy nhiệm vụ {escape(code)}."
