"""Vietnamese texts of task corrections (bot and web console alike)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.render.format import short_date

NO_DATES = "Chưa có ngày hạn nào: hãy nhập một ngày (dd/mm/yyyy) hoặc một cụm từ như “Quý II/2026”."
NO_LEAD = "Nhiệm vụ chưa có cơ quan chủ trì: hãy chọn cơ quan chủ trì trước khi đặt hạn."
UNKNOWN_AGENCY = "Có cơ quan không thuộc danh mục của tỉnh."
LEAD_REQUIRED = "Cần ít nhất một cơ quan chủ trì."
TITLE_REQUIRED = "Tên nhiệm vụ không được để trống."
UPLOAD_DECIDED = "Kế hoạch này đã được nhập hoặc đã hủy: không sửa thêm được."
BEFORE_IMPORT = "Sửa trước khi nhập kế hoạch"
DEADLINE_UNREAD = "Không đọc được ngày hạn từ cụm từ này."


def row_not_found(ref: str) -> str:
    return f"Kế hoạch không có dòng số {ref}."


def task_not_found(task_id: int) -> str:
    return f"Không tìm thấy nhiệm vụ NV{task_id}."


def dates_text(dates: Sequence[date]) -> str:
    return ", ".join(short_date(d) for d in dates) if dates else "chưa có hạn"


def deadline_note(replaced: Sequence[date], wanted: Sequence[date]) -> str:
    if replaced:
        return f"Thay hạn {dates_text(replaced)} → {dates_text(wanted)}."
    return f"Đặt hạn {dates_text(wanted)}."


def lead_note(old: Sequence[str], new: Sequence[str]) -> str:
    return f"Sửa cơ quan chủ trì: {', '.join(old) or 'chưa có'} → {', '.join(new)}."


FIELD_LABELS = {
    "lead": "Cơ quan chủ trì",
    "support": "Cơ quan phối hợp",
    "deadline": "Thời hạn",
    "title": "Tên nhiệm vụ",
    "product": "Sản phẩm",
    "dropped": "Không phải nhiệm vụ",
}
