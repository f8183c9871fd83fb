"""Vietnamese lines saying what an import changed (CLI and the admin's chat)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.imports import DueKey, ImportReport
from bot.render.format import short_date

FIELD_LABELS = {
    "title": "nội dung",
    "section": "mục",
    "product": "sản phẩm",
    "lead_text": "cơ quan chủ trì",
    "support_text": "cơ quan phối hợp",
    "lead": "cơ quan chủ trì",
    "support": "cơ quan phối hợp",
    "notes": "ghi chú",
    "deadline_text": "thời hạn",
    "deadline_rule": "thời hạn",
    "deadline_kind": "thời hạn",
    "assumed": "thời hạn",
    "needs_review": "điểm cần rà soát",
    "issuer": "cơ quan ban hành",
    "issued_on": "ngày ban hành",
    "signer": "người ký",
    "first_year": "thời kỳ",
    "last_year": "thời kỳ",
    "source_name": "tên tệp",
    "source_sha256": "nội dung tệp",
    "follow_from": "ngày bắt đầu theo dõi",
}
SHOWN = 12


def _refs(refs: Iterable[str]) -> str:
    items = list(refs)
    text = ", ".join(items[:SHOWN])
    return text + (f" … (+{len(items) - SHOWN})" if len(items) > SHOWN else "")


def _due(keys: Iterable[DueKey]) -> str:
    items = [f"{k.ref} ({k.agency}, {short_date(k.due_on)})" for k in keys]
    text = "; ".join(items[:SHOWN])
    return text + (f" … (+{len(items) - SHOWN})" if len(items) > SHOWN else "")


def follow_line(report: ImportReport) -> str | None:
    """What happens to the due dates before the follow-from day (None: nothing unknown)."""
    if report.follow_from is None or not report.due_unknown:
        return None
    return (
        f"{report.due_unknown} mốc thời hạn đã qua trước ngày theo dõi {short_date(report.follow_from)} "
        f"({report.agencies_unknown} cơ quan): sẽ hỏi các cơ quan xác nhận, không tính quá hạn."
    )


def report_details(report: ImportReport) -> list[str]:
    """Plain-text lines (no HTML): callers escape when they send them with HTML."""
    lines: list[str] = []
    follow = follow_line(report)
    if follow:
        lines.append(follow)
    if report.created or not report.changed:
        lines.extend(f"⚠ {w}" for w in report.warnings)
        return lines
    if report.plan_fields:
        labels = dict.fromkeys(FIELD_LABELS.get(f, f) for f in report.plan_fields)
        lines.append("Thông tin kế hoạch đổi: " + ", ".join(labels))
    if report.tasks_added or report.tasks_restored:
        lines.append("Nhiệm vụ mới: " + _refs([*report.tasks_added, *report.tasks_restored]))
    for update in report.tasks_updated[:SHOWN]:
        labels = dict.fromkeys(FIELD_LABELS.get(f, f) for f in update.fields)
        lines.append(f"Nhiệm vụ {update.ref} đổi: " + ", ".join(labels))
    if len(report.tasks_updated) > SHOWN:
        lines.append(f"… và {len(report.tasks_updated) - SHOWN} nhiệm vụ khác được sửa")
    if report.tasks_removed:
        lines.append("Nhiệm vụ không còn trong kế hoạch: " + _refs(report.tasks_removed))
    if report.due_added or report.due_restored:
        lines.append("Mốc hạn mới: " + _due([*report.due_added, *report.due_restored]))
    if report.due_cancelled:
        lines.append("Mốc hạn bị hủy: " + _due(report.due_cancelled))
    if report.due_kept_done:
        lines.append("Đã hoàn thành, vẫn giữ: " + _due(report.due_kept_done))
    lines.extend(f"⚠ {w}" for w in report.warnings)
    return lines


def import_summary(report: ImportReport) -> str:
    """One Vietnamese line for the CLI and the admin chat."""
    kh = f"Kế hoạch {report.plan_number}"
    if report.created:
        return f"Đã nhập {kh}: {report.task_count} nhiệm vụ, {len(report.due_added)} mốc thời hạn."
    if not report.changed:
        return f"{kh}: không thay đổi."
    parts = []
    task_parts = _counts(
        ("thêm", len(report.tasks_added) + len(report.tasks_restored)),
        ("sửa", len(report.tasks_updated)),
        ("bỏ", len(report.tasks_removed)),
    )
    if task_parts:
        parts.append(f"{task_parts} nhiệm vụ")
    due_parts = _counts(
        ("thêm", len(report.due_added) + len(report.due_restored)),
        ("hủy", len(report.due_cancelled)),
    )
    if due_parts:
        parts.append(f"{due_parts} mốc thời hạn")
    if not parts:
        parts.append("cập nhật thông tin kế hoạch")
    return f"Đã cập nhật {kh}: " + "; ".join(parts) + "."



def _counts(*pairs: tuple[str, int]) -> str:
    return ", ".join(f"{verb} {n}" for verb, n in pairs if n)


# --- why a plan cannot be stored, warnings and history notes of the import use case -------

RETIRED_NOT_IN_PLAN = "không còn trong"  # "Hủy: không còn trong kế hoạch …"
RETIRED_TASK_REMOVED = "nhiệm vụ bị bỏ khỏi"


def no_plan_number(source_name: str) -> str:
    return (
        f"Không tìm thấy số hiệu kế hoạch trong tệp “{source_name}”: "
        "không thể nhập (kế hoạch được nhận diện theo số hiệu, vd. 1782/KH-UBND)."
    )


def duplicate_refs(number: str, refs: Iterable[str]) -> str:
    return f"Kế hoạch {number}: trùng số thứ tự nhiệm vụ {', '.join(refs)}; không thể nhập."


def province_missing(slug: str) -> str:
    return f"Chưa có tỉnh “{slug}” trong cơ sở dữ liệu."


def other_province(written: str, chosen: str) -> str:
    return f"Kế hoạch ghi tỉnh “{written}”, được nhập vào tỉnh “{chosen}”."


def unknown_agency_codes(codes: Iterable[str]) -> str:
    return "Mã cơ quan không có trong danh mục (bỏ qua, không nhắc việc): " + ", ".join(codes)


def created_note(number: str) -> str:
    return f"Tạo từ kế hoạch {number}."


def restored_note(number: str) -> str:
    return f"Khôi phục theo kế hoạch {number}."


def retired_note(why: str, number: str) -> str:
    return f"Hủy: {why} kế hoạch {number} (bản mới)."


def read_too_long(seconds: float) -> str:
    """Why the time-limited reader gave up on a file (bot/services/parse_worker.py)."""
    return f"đọc quá {seconds:g} giây"


def needs_memory(memory_mb: int) -> str:
    return f"cần hơn {memory_mb} MB bộ nhớ"
