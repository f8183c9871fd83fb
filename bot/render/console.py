"""Vietnamese texts of the console's evidence upload, event-task dating and settings forms
(e-mail addresses, Zalo link codes, the holiday calendar)."""

from __future__ import annotations

from datetime import date

from bot.render.format import short_date

# --- evidence ---------------------------------------------------------------------------
EVIDENCE_NONE = "Hãy chọn một tệp minh chứng."
EVIDENCE_UPLOAD_FAILED = "Không lưu được tệp lên Telegram lúc này; hãy thử lại sau ít phút hoặc gửi tệp trong nhóm."


def evidence_too_big(max_mb: int) -> str:
    return f"Tệp quá lớn: chỉ nhận tệp minh chứng tối đa {max_mb} MB."


def evidence_caption(task_id: int, due_label: str, agency: str, who: str) -> str:
    """The caption of the copy the bot keeps in the uploader's private chat."""
    return f"📎 Minh chứng NV{task_id} — {agency}, hạn {due_label} (gửi qua bảng điều khiển, {who})"


def evidence_saved(name: str) -> str:
    return f"Đã lưu tệp minh chứng “{name}”."


# --- event tasks ------------------------------------------------------------------------
UNDATED_NONE_SELECTED = "Chưa chọn nhiệm vụ nào."
UNDATED_BAD_DATE = "Không đọc được ngày hạn: hãy nhập ngày dd/mm/yyyy hoặc một cụm từ như “Quý II hằng năm”."


def undated_result(done: int, problems: list[str]) -> str:
    text = f"Đã đặt hạn cho {done} nhiệm vụ."
    if problems:
        text += f" Không đặt được {len(problems)}: " + "; ".join(problems[:5])
    return text


# --- settings ---------------------------------------------------------------------------
EMAIL_SAVED = "Đã lưu địa chỉ e-mail."
EMAIL_REMOVED = "Đã xóa địa chỉ e-mail."
EMAIL_NOT_FOUND = "Không có địa chỉ e-mail này trong tỉnh."
AGENCY_MISSING = "Hãy chọn cơ quan."


def calendar_saved(day: date, off: bool) -> str:
    return f"Đã lưu {'ngày nghỉ' if off else 'ngày làm bù'} {short_date(day)}."


def calendar_removed(day: date) -> str:
    return f"Đã xóa điều chỉnh ngày {short_date(day)}."
