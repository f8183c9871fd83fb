"""`nhacviec status`: the installation's health at a glance (Vietnamese labels).

Reads only: the database answers and is at the newest migration, when the last reminder
tick ran, what the outbox still holds (pending / uncertain / failed), which agencies the
bot can no longer reach, and how many plans and due items are stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.db import health as db
from bot.db.engine import head_revision, make_sessionmaker
from bot.domain.codes import task_code


@dataclass
class HealthReport:
    reachable: bool
    error: str | None = None
    revision: str | None = None
    head: str | None = None
    last_tick_on: date | None = None
    last_tick_at: datetime | None = None
    outbox: dict[str, int] = field(default_factory=dict)  # pending / uncertain / failed
    inactive_chats: int = 0
    unreachable_agencies: list[str] = field(default_factory=list)
    plans: int = 0
    due_items: int = 0  # not cancelled: deadlines ("mốc thời hạn")
    open_due_items: int = 0  # not cancelled, not done
    tasks: int = 0  # not removed
    flagged_tasks: int = 0  # needs review
    unbound_agencies: list[str] = field(default_factory=list)  # open work, never had a chat
    unassigned: list[Any] = field(default_factory=list)  # bot.db.reports.ProvinceTaskTotals

    @property
    def at_head(self) -> bool:
        return self.reachable and self.revision is not None and self.revision == self.head

    @property
    def ok(self) -> bool:
        return self.at_head


async def check(url: str) -> HealthReport:
    """Never raises for an unreachable database: `reachable` says so."""
    head = head_revision()
    missing = _missing_sqlite_file(url)
    if missing is not None:
        missing.head = head
        return missing
    async with db.probe_engine(url) as engine:
        try:
            revision = await db.current_revision(engine)
        except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable"
            return HealthReport(reachable=False, error=type(exc).__name__, head=head)
        report = HealthReport(reachable=True, revision=revision, head=head)
        if report.at_head:  # the model only matches the schema at head
            async with make_sessionmaker(engine)() as session:
                await _fill(session, report)
        return report


def _missing_sqlite_file(url: str) -> HealthReport | None:
    """A SQLite file that does not exist yet is "not initialised" (connecting would create an
    empty one), and one in a missing folder is unreachable — decided without connecting:
    aiosqlite leaves its worker thread behind when opening fails (omnilib/aiosqlite#259)."""
    import os

    path = db.sqlite_file(url)
    if path is None or path.exists():
        return None
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return HealthReport(reachable=False, error=f"không tạo được {path}: thư mục không có hoặc không ghi được")
    return HealthReport(reachable=True)


async def _fill(session: Any, report: HealthReport) -> None:
    from bot.db.agencies import unreachable_agencies
    from bot.db.outbox import OPEN_STATES
    from bot.db.reports import province_task_totals, unbound_agency_names
    from bot.domain.kinds import OutboxStatus

    last = await db.last_reminder_run(session)
    if last is not None:
        report.last_tick_on, report.last_tick_at = last.on_date, last.last_run_at
    counts = await db.outbox_by_status(session)
    report.outbox = {
        "pending": sum(counts.get(s, 0) for s in OPEN_STATES),
        "uncertain": counts.get(OutboxStatus.UNCERTAIN, 0),
        "failed": counts.get(OutboxStatus.FAILED, 0),
    }
    report.inactive_chats = await db.inactive_chats(session)
    for province_id in await db.province_ids(session):
        report.unreachable_agencies += [a.name for a in await unreachable_agencies(session, province_id=province_id)]
    report.unbound_agencies = await unbound_agency_names(session)
    report.plans = await db.plan_count(session)
    totals = await province_task_totals(session)
    report.tasks = sum(t.tasks for t in totals)
    report.flagged_tasks = sum(t.flagged for t in totals)
    report.unassigned = [t for t in totals if t.unassigned_count]
    report.due_items, report.open_due_items = await db.due_item_counts(session)


UNASSIGNED_SHOWN = 20


def lines(report: HealthReport, *, tz: ZoneInfo | None = None) -> list[str]:
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
