"""Importing a plan already under way: items due before the follow-from day are "chưa cập
nhật" (unknown), on SQLite and PostgreSQL; moving the day on a re-import; what the summary says."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from db_factories import DIRECTORY, plan_draft, seed_province, task, yearly, yearly_dates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agency, DueItem, Plan, StatusChange, Task
from bot.db.status_changes import change_status
from bot.domain.status import ChangeSource, Status
from bot.render.imports import report_details
from bot.services.importing import ImportReport, import_plan

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
FOLLOW = date(2026, 12, 1)
SM = async_sessionmaker[AsyncSession]


def _draft():
    return plan_draft(
        (
            task("1", "Xây dựng Đề án", lead=("STP",), deadline=yearly(12, 31), due=yearly_dates(12, 31, 2021, 2027)),
            task("2", "Ban hành Kế hoạch CCHC năm", lead=("SNV", "STC"), deadline=yearly(1, 30),
                 due=yearly_dates(1, 30, 2022, 2027)),
        )
    )


async def _import(sm: SM, follow_from=None) -> ImportReport:
    async with sm() as s, s.begin():
        await seed_province(s)
        return await import_plan(
            s, draft=_draft(), province_slug="phu-tho", agencies=DIRECTORY, now=NOW, follow_from=follow_from
        )


async def _statuses(sm: SM) -> dict[tuple[str, str, date], Status]:
    async with sm() as s:
        rows = await s.execute(
            select(Task.ref, Agency.code, DueItem.original_due_on, DueItem.status)
            .join(Task, DueItem.task_id == Task.id)
            .join(Agency, DueItem.agency_id == Agency.id)
        )
        return {(r, c, d): st for r, c, d, st in rows.all()}


async def test_items_due_before_the_day_are_unknown_and_the_summary_says_so(sm: SM) -> None:
    report = await _import(sm, FOLLOW)
    statuses = await _statuses(sm)
    unknown = sorted(k for k, st in statuses.items() if st is Status.UNKNOWN)
    # Task 1: 31/12/2021 … 31/12/2025 (5) for STP; task 2: 30/01/2022 … 30/01/2026 (5) × SNV, STC.
    assert len(unknown) == 15 and all(d < FOLLOW for _, _, d in unknown)
    assert all(st is Status.PENDING for k, st in statuses.items() if k[2] >= FOLLOW)
    assert (report.follow_from, report.due_unknown, report.agencies_unknown) == (FOLLOW, 15, 3)
    assert report_details(report)[0] == (
        "15 mốc thời hạn đã qua trước ngày theo dõi 01/12/2026 (3 cơ quan): "
        "sẽ hỏi các cơ quan xác nhận, không tính quá hạn."
    )
    async with sm() as s:
        plan = await s.scalar(select(Plan))
        assert plan is not None and plan.follow_from == FOLLOW
        notes = (await s.scalars(select(StatusChange.note).where(StatusChange.new_status == Status.UNKNOWN))).all()
        assert len(notes) == 15 and all("01/12/2026" in n for n in notes)


async def test_from_the_start_nothing_is_unknown(sm: SM) -> None:
    report = await _import(sm)
    assert report.follow_from is None and report.due_unknown == 0
    assert Status.UNKNOWN not in (await _statuses(sm)).values()
    assert not any("mốc thời hạn đã qua" in line for line in report_details(report))


async def test_moving_the_day_keeps_what_agencies_reported(sm: SM) -> None:
    await _import(sm, FOLLOW)
    # Someone answers one unknown item; it must not be made unknown again by a later import.
    async with sm() as s, s.begin():
        item = await s.scalar(
            select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
            .where(Agency.code == "STP", DueItem.original_due_on == date(2021, 12, 31))
        )
        assert item is not None and item.status is Status.UNKNOWN
        await change_status(s, item=item, status=Status.PENDING, source=ChangeSource.BUTTON, now=NOW,
                            today=NOW.date(), actor_name="Đầu mối", note="Xác nhận chưa hoàn thành")
    again = await _import(sm, FOLLOW)
    assert not again.changed and again.due_unknown == 14
    start = await _import(sm, "start")
    assert start.plan_fields == ("follow_from",) and start.due_unknown == 0 and start.follow_from is None
    assert Status.UNKNOWN not in (await _statuses(sm)).values()
    later = await _import(sm, date(2023, 1, 1))
    statuses = await _statuses(sm)
    # 31/12/2021, 31/12/2022 (STP; the first was answered: stays pending) + 30/01/2022 × 2.
    assert later.due_unknown == 3
    assert statuses[("1", "STP", date(2021, 12, 31))] is Status.PENDING
    assert statuses[("1", "STP", date(2022, 12, 31))] is Status.UNKNOWN
    kept = await _import(sm)  # None: as stored
    assert kept.follow_from == date(2023, 1, 1) and kept.due_unknown == 3
