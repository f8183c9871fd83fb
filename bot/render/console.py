"""Vietnamese texts of the console's evidence upload, event-task dating and settings forms
(e-mail addresses, Zalo link codes, the holiday calendar)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.render.format import short_date

# --- evidence ---------------------------------------------------------------------------
EVIDENCE_NONE = "Hãy chọn một tệp minh chứng."
EVIDENCE_UPLOAD_FAILED = "Không lưu được tệp lên Telegram lúc này; hãy thử lại sau ít phút hoặc gửi tệp trong nhóm."
EVIDENCE_DOWNLOAD_FAILED = "Không tải được tệp minh chứng từ Telegram lúc này; hãy thử lại sau ít phút."
EVIDENCE_FILE_NAME = "minh-chung"  # a stored file without a name


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


# --- bulk changes on /web/tasks (bot/web/bulk.py) -----------------------------------------

BULK_NOTHING_CHOSEN = "Chưa chọn hạn nhiệm vụ nào."
BULK_NEEDS_DATE = "Cần ngày hoàn thành thực tế (dd/mm/yyyy)."
BULK_NEEDS_LEAD = "Chọn cơ quan chủ trì mới."
BULK_BAD_DEADLINE = "Không đọc được ngày hạn từ cụm từ này."
BULK_NOT_RECORDED = "không ghi nhận được"


def bulk_done_note(day: date, reason: str | None) -> str:
    return f"xong từ {day:%d/%m/%Y}" + (f" — {reason}" if reason else "")


def bulk_result(done: int, items: bool, problems: Sequence[str]) -> str:
    """What a bulk change did: `items` counts due items (marking done), else tasks."""
    unit = "hạn nhiệm vụ" if items else "nhiệm vụ"
    return f"Đã cập nhật {done} {unit}." + (f" Không cập nhật được {len(problems)}: " + "; ".join(problems[:5]) if problems else "")


# --- a focal point's report and the leaders' decisions on the console (bot/web/report.py) --

# Added to an extension request that was made on the console: where it is decided.
EXTENSION_DECIDED_WHERE = "\nQuyết định trên bảng điều khiển web hoặc bằng lệnh /giahan."
NEEDS_BLOCKER = "Cần ghi rõ vướng mắc."
NEEDS_EXTENSION_DATE = "Cần một ngày gia hạn hợp lệ (dd/mm/yyyy)."
EXTENSION_APPROVED = "Đã đồng ý gia hạn."
EXTENSION_REJECTED = "Đã từ chối đề nghị gia hạn."


# --- plan uploads on the console (bot/web/plans.py) -----------------------------------------

FORCE_HINT = "Nếu đúng là kế hoạch cần nhập vào tỉnh này, tải lại tệp và chọn “Buộc nhập vào tỉnh đã cấu hình”."
UPLOAD_CRASHED = "Không đọc được tệp vì một lỗi của hệ thống; hãy thử lại hoặc gửi tệp cho bot."
UPLOAD_NO_FILE = "Hãy chọn một tệp kế hoạch."
AGENCY_NAME_NEEDED = "Hãy nhập tên cơ quan."


def upload_foreign_province(province_name: str) -> str:
    return f"Đây là kế hoạch của {province_name}; bạn không phải quản trị viên của tỉnh này nên kế hoạch không được lưu."


def upload_wrong_type(name: str) -> str:
    return f"Không đọc được tệp “{name}”: chỉ nhận kế hoạch dạng .docx, .pdf hoặc .txt."


def upload_too_big(name: str, max_mb: int) -> str:
    return f"Tệp “{name}” quá lớn: chỉ nhận tệp tối đa {max_mb} MB."


def body_too_big(max_mb: int) -> str:
    return f"Tệp quá lớn: chỉ nhận tệp tối đa {max_mb} MB."
NO_DUE_DATE = "chưa có hạn"  # a corrected deadline that gives no date
