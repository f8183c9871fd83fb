"""The status history as a file: CSV (UTF-8 with BOM, so Excel shows the diacritics) or an
Excel workbook. Columns in Vietnamese, dates dd/MM/yyyy, times in the province's zone."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.render.format import short_date

HEADER = (
    "Thời điểm", "Kế hoạch", "Mã NV", "Mục", "Nhiệm vụ", "Cơ quan", "Hạn", "Tình trạng cũ", "Tình trạng mới",
    "Tiến độ (%)", "Người cập nhật", "Nguồn", "Kênh", "Ghi chú",
)
STATUS_LABELS = {
    "pending": "Chưa báo cáo", "in_progress": "Đang thực hiện", "blocked": "Vướng mắc",
    "extension_requested": "Đề nghị gia hạn", "extended": "Đã gia hạn", "done": "Hoàn thành",
}
SOURCE_LABELS = {
    "import": "Nhập kế hoạch", "chat": "Trả lời tin nhắn", "button": "Nút bấm", "command": "Lệnh",
    "admin": "Quản trị", "system": "Hệ thống",
}


def status_label(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value)) if value is not None else ""


def _safe(value: Any) -> Any:
    """Text people typed never becomes a spreadsheet formula ("=HYPERLINK(…)" in a note)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _values(row: Any, tz: ZoneInfo) -> list[Any]:
    return [_safe(v) for v in _raw_values(row, tz)]


def _raw_values(row: Any, tz: ZoneInfo) -> list[Any]:
    return [
        row.at.astimezone(tz).strftime("%d/%m/%Y %H:%M"), row.plan_number, f"NV{row.task_id}", row.task_ref,
        row.title, row.agency_name, short_date(row.due_on), status_label(row.old_status),
        status_label(row.new_status), row.progress if row.progress is not None else "", row.actor_name or "",
        SOURCE_LABELS.get(row.source, row.source), row.channel or "", row.note or "",
    ]


def history_csv(rows: Iterable[Any], *, tz: ZoneInfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(_values(row, tz))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def history_xlsx(rows: Sequence[Any], *, tz: ZoneInfo, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Lịch sử"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(HEADER))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_values(row, tz))
    for column, width in zip("ABCDEFGHIJKLMN", (17, 14, 9, 8, 60, 30, 11, 16, 16, 10, 22, 16, 9, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def history_title(province_name: str) -> str:
    return f"Lịch sử cập nhật nhiệm vụ — {province_name}"
