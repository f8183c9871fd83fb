"""The text of `nhacviec status` (bot/services/health.py gathers the figures): plain
Vietnamese lines, one per concern."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain.codes import task_code


class HealthFigures(Protocol):
    """What bot.services.health.HealthReport carries (render does not import services)."""

    reachable: bool
    error: str | None
    revision: str | None
    head: str | None
    last_tick_on: date | None
    last_tick_at: datetime | None
    outbox: dict[str, int]
    inactive_chats: int
    unreachable_agencies: list[str]
    plans: int
    due_items: int
    open_due_items: int
    tasks: int
    flagged_tasks: int
    unbound_agencies: list[str]
    unassigned: list[Any]

    @property
    def at_head(self) -> bool: ...


def sqlite_folder_unusable(path: Path) -> str:
    return f"không tạo được {path}: thư mục không có hoặc không ghi được"


UNASSIGNED_SHOWN = 20


def lines(report: HealthFigures, *, tz: ZoneInfo | None = None) -> list[str]:
    """The report as plain Vietnamese lines; times in the province's zone `tz`
    (the TIMEZONE setting, Asia/Ho_Chi_Minh by default)."""
    tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
    if not report.reachable:
        return [f"✗ Cơ sở dữ liệu: không kết nối được ({report.error})"]
    out = []
    if report.at_head:
        out.append(f"✓ Cơ sở dữ liệu: kết nối được, phiên bản {report.revision} (mới nhất)")
    else:
        out.append(
            f"✗ Cơ sở dữ liệu: phiên bản {report.revision or '(chưa khởi tạo)'}, mới nhất là {report.head} "
            "(chạy: nhacviec db upgrade)"
        )
        return out
    if report.last_tick_at is None:
        out.append("• Lượt nhắc việc gần nhất: chưa có")
    else:
        at = report.last_tick_at.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")
        out.append(
            f"• Lượt nhắc việc gần nhất: ngày {report.last_tick_on:%d/%m/%Y} (chạy lúc {at}, giờ {tz.key})"
        )
    o = report.outbox
    out.append(
        f"• Tin chờ gửi: {o.get('pending', 0)} · không rõ đã đến: {o.get('uncertain', 0)} · lỗi: {o.get('failed', 0)}"
    )
    names = ", ".join(report.unreachable_agencies)
    out.append(
        f"• Nhóm không liên lạc được: {report.inactive_chats} nhóm; "
        f"{len(report.unreachable_agencies)} cơ quan mất liên lạc" + (f": {names}" if names else "")
    )
    if report.unbound_agencies:
        out.append(
            f"• Cơ quan chưa có nhóm nhận nhắc việc: {len(report.unbound_agencies)}: "
            + ", ".join(report.unbound_agencies)
        )
    unassigned = sum(t.unassigned_count for t in report.unassigned)
    out.append(
        f"• Kế hoạch: {report.plans} · {report.tasks} nhiệm vụ (cần rà soát: {report.flagged_tasks}; "
        f"chưa giao cơ quan chủ trì: {unassigned}) · {report.due_items} mốc thời hạn "
        f"(chưa hoàn thành: {report.open_due_items})"
    )
    for totals in report.unassigned:
        out.append(f"• Nhiệm vụ chưa giao cơ quan chủ trì — {totals.province_name} ({totals.unassigned_count}):")
        for task in totals.unassigned[:UNASSIGNED_SHOWN]:
            title = " ".join(task.title.split())
            title = title if len(title) <= 80 else title[:79].rstrip() + "…"
            out.append(f"  - {task_code(task.task_id)} (KH {task.plan_number}, mục {task.task_ref}): {title}")
        if totals.unassigned_count > UNASSIGNED_SHOWN:
            out.append(f"  … và {totals.unassigned_count - UNASSIGNED_SHOWN} nhiệm vụ khác.")
    return out
