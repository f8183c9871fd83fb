"""`nhacviec status`: the installation's health at a glance (its text: bot/render/health.py).

Reads only: the database answers and is at the newest migration, when the last reminder
tick ran, what the outbox still holds (pending / uncertain / failed), which agencies the
bot can no longer reach, and how many plans and due items are stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.db import health as db
from bot.db.engine import head_revision, make_sessionmaker
from bot.render.health import lines as lines  # the report's text; re-exported for callers of this module
from bot.render.health import sqlite_folder_unusable


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
        return HealthReport(reachable=False, error=sqlite_folder_unusable(path))
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
