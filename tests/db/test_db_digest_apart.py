"""What the digest counts apart, never as overdue, on SQLite and PostgreSQL: items "chưa cập
nhật" (due before the bot followed the plan), items on hold (snoozed, the agency paused) and
items "không thực hiện" — in the figures, the text, the workbook and the .docx, as of a date
(a hold counts from when it was made); and the tasks nobody led on a past date ("chưa giao")."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import docx
from db_factories import DIRECTORY, once, plan_draft, seed_province, task, yearly, yearly_dates
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import followup as followup_repo
from bot.db.models import Agency, DueItem, Plan, Task
from bot.domain.digest import Figures, month_period, week_period
from bot.domain.kinds import HoldKind, LinkRole
from bot.render.plain import html_to_text
from bot.services.corrections import set_agencies
from bot.services.digests import build_digest, render_digest
from bot.services.importing import import_plan

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SM = async_sessionmaker[AsyncSession]
FOLLOW = date(2025, 6, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


async def _seed(sm: SM) -> None:
    """Followed from 01/06/2025 (imported 02/06): task 1's four yearly dates 2022–2025 are before
    it (chưa cập nhật); 2 (SNV, due 10/06), 3 (STC, due 12/06), 4 (SNV, due 13/06) are
    overdue by the 22nd; 5 has no lead."""
    draft = plan_draft((
        task("1", "Xây dựng Đề án", lead=("STP",), deadline=yearly(1, 30), due=yearly_dates(1, 30, 2022, 2025)),
        task("2", "Rà soát thủ tục hành chính", lead=("SNV",), deadline=once(date(2025, 6, 10))),
        task("3", "Số hóa hồ sơ", lead=("STC",), deadline=once(date(2025, 6, 12))),
        task("4", "Kế hoạch kiểm tra", lead=("SNV",), deadline=once(date(2025, 6, 13))),
        task("5", "Nhiệm vụ chưa có cơ quan", lead=(), deadline=once(date(2025, 6, 30))),
    ))
    async with sm() as s, s.begin():
        await seed_province(s)
        await import_plan(s, draft=draft, province_slug="phu-tho", agencies=DIRECTORY, now=at(date(2025, 6, 2)),
                          follow_from=FOLLOW)


async def _item(sm: SM, ref: str) -> DueItem:
    async with sm() as s:
        item = await s.scalar(select(DueItem).join(Task, DueItem.task_id == Task.id).where(Task.ref == ref))
        assert item is not None, ref
        return item


async def _holds(sm: SM) -> None:
    """18/06: task 2 snoozed to 15/07, task 3 "không thực hiện"; 19/06: SNV paused (/tamdung)
    until 30/06, which also holds task 4."""
    two, three = await _item(sm, "2"), await _item(sm, "3")
    async with sm() as s, s.begin():
        await followup_repo.add_hold(s, kind=HoldKind.SNOOZE, now=at(date(2025, 6, 18)), due_item_id=two.id,
                                     until_on=date(2025, 7, 15), reason="chờ hướng dẫn")
        await followup_repo.add_hold(s, kind=HoldKind.WAIVE, now=at(date(2025, 6, 18)), due_item_id=three.id,
                                     reason="Trung ương bãi bỏ")
        snv = await s.scalar(select(Agency).where(Agency.code == "SNV"))
        assert snv is not None
        await followup_repo.add_hold(s, kind=HoldKind.PAUSE, now=at(date(2025, 6, 19)), agency_id=snv.id,
                                     until_on=date(2025, 6, 30))


async def _digest(sm: SM, day: date, *, month: bool = False):  # type: ignore[no-untyped-def]
    async with sm() as s:
        from bot.db.agencies import get_province

        province = await get_province(s, slug="phu-tho")
        assert province is not None
        return await build_digest(s, province=province, period=(month_period if month else week_period)(day))


async def test_unconfirmed_held_and_waived_are_counted_apart(sm: SM) -> None:
    await _seed(sm)
    before = await _digest(sm, date(2025, 6, 17))  # no hold yet: three overdue
    assert (before.total.overdue, before.total.unconfirmed, before.total.held, before.total.waived) == (3, 4, 0, 0)
    await _holds(sm)
    again = await _digest(sm, date(2025, 6, 17))  # the holds came later: the 17th is as it was
    assert again.total == before.total

    digest = await _digest(sm, date(2025, 6, 22), month=True)
    f = digest.total
    # 2 snoozed + 4 paused (SNV) = held; 3 waived; nothing overdue; 4 unknown.
    assert (f.overdue, f.unconfirmed, f.held, f.waived) == (0, 4, 2, 1)
    assert f.total == 7 and f.dated == 6 and f.due_so_far == 0  # the waived date is no deadline any more
    assert Figures.of_rows(digest.rows, digest.as_of) == f  # the workbook's rows say the same
    assert not [e for e in digest.became_overdue if e.line.task_ref in ("2", "3", "4")]

    output = render_digest(digest, province_slug="phu-tho", with_report=True)
    text = "\n".join(html_to_text(m) for m in output.messages)
    assert "❓ Chưa cập nhật (hạn trước ngày bắt đầu theo dõi, chờ cơ quan xác nhận): 4 · ⏸ Tạm dừng nhắc: 2 · 🚫 Không thực hiện: 1" in text
    assert "⛔ Quá hạn chưa xong: 0" in text
    assert "Sở Nội vụ: quá hạn 0 · xong 0/0 · trong hạn 0 · tạm dừng nhắc 2" in text

    assert output.workbook is not None
    book = load_workbook(io.BytesIO(output.workbook))
    header = next(r for r in book["Theo kế hoạch"].iter_rows(min_row=3, max_row=3, values_only=True))
    plan = next(r for r in book["Theo kế hoạch"].iter_rows(min_row=4, max_row=4, values_only=True))
    assert [plan[header.index(c)] for c in ("Chưa cập nhật", "Tạm dừng nhắc", "Không thực hiện", "Quá hạn")] == [4, 2, 1, 0]
    sheet = book[[n for n in book.sheetnames if n.startswith("KH ")][0]]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    state = {r[1]: r[7] for r in rows if r[1]}
    assert state["Rà soát thủ tục hành chính"] == "Tạm dừng nhắc đến 15/07/2025"
    assert state["Số hóa hồ sơ"] == "Không thực hiện"
    assert state["Kế hoạch kiểm tra"] == "Cơ quan tạm dừng nhắc đến 30/06/2025"
    assert state["Xây dựng Đề án"] == "Chưa cập nhật"

    assert output.report is not None
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(output.report)).paragraphs)
    assert "4 mốc chưa cập nhật (hạn trước ngày bắt đầu theo dõi, chờ cơ quan xác nhận)." in body
    assert "2 mốc tạm dừng nhắc (không tính quá hạn). 1 mốc không thực hiện." in body

    # Monday 30/06 the pause is over (until 30/06): task 4 is overdue again; the snooze still holds.
    later = await _digest(sm, date(2025, 6, 30))
    assert (later.total.overdue, later.total.held, later.total.waived) == (1, 1, 1)


async def test_a_past_digest_lists_the_tasks_nobody_led_then(sm: SM) -> None:
    await _seed(sm)
    five = await _item_task(sm, "5")
    week = await _digest(sm, date(2025, 6, 15))
    assert [t.task_ref for t in week.unassigned] == ["5"] and week.plans[0].unassigned == 1
    async with sm() as s, s.begin():
        stp = await s.scalar(select(Agency.id).where(Agency.code == "STP"))
        assert stp is not None
        result = await set_agencies(
            s, task_id=five, role=LinkRole.LEAD, agency_ids=[stp], now=at(date(2025, 6, 20)), actor_tg_id=501,
            actor_name="Quản trị",
        )
        assert result.problem is None and result.changed
    # As of the 15th, task 5 still had no lead: listed; from the 20th it has one.
    past = await _digest(sm, date(2025, 6, 15))
    assert [t.task_ref for t in past.unassigned] == ["5"] and past.plans[0].unassigned == 1
    now = await _digest(sm, date(2025, 6, 22))
    assert now.unassigned == [] and now.plans[0].unassigned == 0


async def _item_task(sm: SM, ref: str) -> int:
    async with sm() as s:
        found = await s.scalar(select(Task.id).join(Plan, Task.plan_id == Plan.id).where(Task.ref == ref))
        assert found is not None
        return found
