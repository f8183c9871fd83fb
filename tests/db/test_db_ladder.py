"""The tick's escalation ladder and nudges on SQLite and PostgreSQL.

Ladder 1:agency,5:office,15:leaders (working days overdue): the office (each admin of the
province, privately) hears of an item once, in one message a day, before the leaders do;
the leaders' chat once per item, in one message a day; an item already past the leaders'
rung goes to the leaders only. Nudge: an item in progress with no report for 10 working
days is listed in its agency's ONE daily message, then not again before 10 more."""

from __future__ import annotations

from datetime import UTC, date, datetime

from db_factories import once, task
from sqlalchemy import select
from test_db_outbox import ADMIN_SETUP, CAL, rows, seed, tg_of

from bot.db import status_changes as status_changes_repo
from bot.db.models import DueItem, Escalation, Task
from bot.domain.escalation import Rung, parse_ladder
from bot.domain.kinds import OutboxKind
from bot.domain.reminders import ReminderPolicy
from bot.domain.status import ChangeSource, Status
from bot.services.reminders import enqueue_reminders

LADDER = ReminderPolicy(ladder=parse_ladder("1:agency,5:office,15:leaders"))
ADMIN = 501  # ADMIN_SETUP: 501 everywhere, 502 Phú Thọ's own
STP_A = -1001


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


async def tick(sm, on: date, policy: ReminderPolicy = LADDER):
    async with sm() as s, s.begin():
        return await enqueue_reminders(s, on_date=on, calendar=CAL, policy=policy, now=at(on), admins=ADMIN_SETUP)


async def item_id(sm, ref: str) -> int:
    async with sm() as s:
        found = await s.scalar(select(DueItem.id).join(Task, DueItem.task_id == Task.id).where(Task.ref == ref))
        assert found is not None, ref
        return found


async def escalations(sm) -> dict[tuple[int, Rung], date]:
    async with sm() as s:
        return {(e.due_item_id, e.rung): e.escalated_on for e in await s.scalars(select(Escalation))}


async def test_office_hears_first_then_the_leaders_each_once(sm) -> None:
    await seed(sm, leaders=True)
    two, three, seven = await item_id(sm, "2"), await item_id(sm, "3"), await item_id(sm, "7")
    # Fri 27/06/2025: task 2 (due Fri 20/06) is 5 working days overdue — the office's rung;
    # task 7 (due 29/05) is past the leaders' (20): theirs only; task 3 (24/06, 3 days): nobody.
    first = await tick(sm, date(2025, 6, 27))
    assert (first.office, first.escalated) == (1, 1)
    office = await rows(sm, kind=OutboxKind.ESCALATION, admin_tg_id=ADMIN)
    assert [(r.part, r.due_item_ids) for r in office] == [(office[0].part, [two])]
    assert "Văn phòng đôn đốc: quá hạn từ 5 ngày làm việc" in office[0].body
    assert len(await rows(sm, kind=OutboxKind.ESCALATION, admin_tg_id=502)) == 1  # the province's own admin too
    [leaders] = [r for r in await rows(sm, kind=OutboxKind.ESCALATION) if r.chat_id is not None]
    assert leaders.due_item_ids == [seven] and "Quá hạn từ 15 ngày làm việc" in leaders.body
    assert await escalations(sm) == {(two, Rung.OFFICE): date(2025, 6, 27), (seven, Rung.LEADERS): date(2025, 6, 27)}

    again = await tick(sm, date(2025, 6, 27))
    assert (again.office, again.escalated, again.queued) == (0, 0, 0)

    # Fri 11/07: task 2 reaches 15 working days — the leaders now; the office hears of what
    # is 5 to 14 working days overdue: task 3 (24/06: SNV's and STC's items), 5 (26/06),
    # 1 (30/06) and 4 (01/07, exactly 8).
    later = await tick(sm, date(2025, 7, 11))
    assert (later.office, later.escalated) == (5, 1)
    escalated = await escalations(sm)
    assert escalated[(two, Rung.LEADERS)] == date(2025, 7, 11) and escalated[(three, Rung.OFFICE)] == date(2025, 7, 11)
    assert (three, Rung.LEADERS) not in escalated
    day_rows = [r for r in await rows(sm, kind=OutboxKind.ESCALATION) if r.on_date == date(2025, 7, 11)]
    # One message a day per recipient: the leaders' chat and the two admins.
    assert sorted((r.chat_id is not None, r.admin_tg_id) for r in day_rows) == [(False, 501), (False, 502), (True, None)]


async def test_without_a_ladder_the_leaders_rule_is_unchanged(sm) -> None:
    await seed(sm, leaders=True)
    report = await tick(sm, date(2025, 6, 27), ReminderPolicy())
    assert report.office == 0 and report.escalated == 1  # task 7: more than 14 days; task 2 (7 days): not yet
    assert not await rows(sm, kind=OutboxKind.ESCALATION, admin_tg_id=ADMIN)
    [leaders] = await rows(sm, kind=OutboxKind.ESCALATION)
    assert "Quá hạn trên 14 ngày" in leaders.body


async def _report_progress(sm, ref: str, on: date) -> None:
    async with sm() as s, s.begin():
        item = await s.get(DueItem, await item_id(sm, ref))
        assert item is not None
        await status_changes_repo.change_status(
            s, item=item, status=Status.IN_PROGRESS, progress=40, source=ChangeSource.CHAT, now=at(on), today=on,
            actor_name="Đầu mối STP",
        )


async def test_quiet_item_in_progress_is_nudged_in_the_one_daily_message(sm) -> None:
    await seed(sm, extra=(task("8", "Xây dựng cơ sở dữ liệu văn bản", lead=("STP",), deadline=once(date(2025, 9, 30))),))
    await _report_progress(sm, "8", date(2025, 6, 9))  # Monday 09/06: "đang làm 40%"
    eight = await item_id(sm, "8")

    await tick(sm, date(2025, 6, 20))  # 9 working days: not yet
    assert not [r for r in await rows(sm, kind=OutboxKind.REMINDER) if eight in (r.due_item_ids or [])]

    report = await tick(sm, date(2025, 6, 23))  # 10 working days without a report
    assert report.nudges == 1
    stp = [r for r in await rows(sm, kind=OutboxKind.REMINDER, on_date=date(2025, 6, 23)) if await tg_of(sm, r.chat_id) == STP_A]
    assert len(stp) == 1  # ONE message for the chat: the day's reminders and the nudge
    body = stp[0].body
    assert "⛔ <b>Quá hạn</b>" in body and "💬 <b>Đang thực hiện — lâu chưa có báo cáo mới</b>" in body
    assert body.index("Quá hạn") < body.index("Đang thực hiện — lâu chưa có báo cáo mới")  # most urgent first
    assert "đang thực hiện 40% · 10 ngày làm việc chưa có báo cáo mới" in body
    assert stp[0].due_item_ids is not None and stp[0].due_item_ids[-1] == eight  # numbered, answerable

    await tick(sm, date(2025, 6, 24))  # nudged yesterday: not again
    assert not [r for r in await rows(sm, kind=OutboxKind.REMINDER, on_date=date(2025, 6, 24)) if eight in (r.due_item_ids or [])]

    await _report_progress(sm, "8", date(2025, 6, 25))  # a new report restarts the count
    assert (await tick(sm, date(2025, 7, 7))).nudges == 0  # 20 working days after 09/06, 8 after 25/06
    nudged = await tick(sm, date(2025, 7, 9))  # 10 working days after 25/06
    assert nudged.nudges == 1


async def test_nudges_off(sm) -> None:
    await seed(sm, extra=(task("8", "Xây dựng cơ sở dữ liệu văn bản", lead=("STP",), deadline=once(date(2025, 9, 30))),))
    await _report_progress(sm, "8", date(2025, 6, 9))
    report = await tick(sm, date(2025, 6, 23), ReminderPolicy(nudge_after=0))
    assert report.nudges == 0
    eight = await item_id(sm, "8")
    assert not [r for r in await rows(sm, kind=OutboxKind.REMINDER) if eight in (r.due_item_ids or [])]
