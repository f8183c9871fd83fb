"""An admin's days off and make-up working days (table calendar_days, migration 0013_calendar_days): stored,
refused when they change nothing, and used by the reminder tick and the preview — on SQLite
and PostgreSQL, through the service and the real `nhacviec calendar` command."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_cli import PHU_THO, run
from test_db_outbox import CAL, NOW, TODAY, rows, seed, tick

from bot.db.models import CalendarDay
from bot.domain.calendar import DayKind
from bot.services import calendar as service

SATURDAY = date(2025, 6, 28)


async def _set(sm: async_sessionmaker[AsyncSession], day: date, kind: DayKind, note: str | None = None):  # type: ignore[no-untyped-def]
    async with sm() as s, s.begin():
        return await service.set_day(
            s, base=CAL, day=day, kind=kind, note=note, actor_tg_id=501, actor_name="Quản trị", now=NOW
        )


async def test_days_are_stored_replaced_refused_and_removed(sm: async_sessionmaker[AsyncSession]) -> None:
    off = await _set(sm, date(2027, 12, 31), DayKind.DAY_OFF, "  Nghỉ bù   Tết Dương lịch ")
    assert off.problem is None and off.note == "Nghỉ bù Tết Dương lịch" and off.replaced is None
    # Changes nothing: refused, nothing written.
    weekend = await _set(sm, date(2027, 1, 2), DayKind.DAY_OFF)
    assert weekend.problem == "Thứ Bảy, 02/01/2027 vốn đã là ngày nghỉ: không cần thêm."
    holiday = await _set(sm, date(2026, 11, 24), DayKind.DAY_OFF)
    assert holiday.problem == "Thứ Ba, 24/11/2026 vốn đã là ngày nghỉ (Ngày Văn hóa Việt Nam): không cần thêm."
    weekday = await _set(sm, date(2027, 1, 5), DayKind.WORKING_DAY)
    assert weekday.problem == "Thứ Ba, 05/01/2027 vốn đã là ngày làm việc: không cần thêm ngày làm bù."
    # The same day the other way round replaces the admin's own entry.
    swapped = await _set(sm, date(2027, 12, 31), DayKind.WORKING_DAY)
    assert swapped.problem is None and swapped.replaced is DayKind.DAY_OFF
    await _set(sm, date(2028, 1, 8), DayKind.WORKING_DAY, "Làm bù")
    async with sm() as s:
        stored = await service.list_days(s)
        assert [(r.day, r.kind, r.actor_name) for r in stored] == [
            (date(2027, 12, 31), DayKind.WORKING_DAY, "Quản trị"),
            (date(2028, 1, 8), DayKind.WORKING_DAY, "Quản trị"),
        ]
        calendar = await service.effective_calendar(s, CAL)
        assert calendar.is_working_day(date(2028, 1, 8)) and not CAL.is_working_day(date(2028, 1, 8))
    async with sm() as s, s.begin():
        assert await service.remove_day(s, day=date(2028, 1, 8))
        assert not await service.remove_day(s, day=date(2028, 1, 8))
    async with sm() as s:
        assert [r.day for r in await service.list_days(s)] == [date(2027, 12, 31)]
        assert isinstance((await service.list_days(s))[0], CalendarDay)


async def test_the_tick_follows_an_admins_day_off_and_make_up_day(sm: async_sessionmaker[AsyncSession]) -> None:
    await seed(sm)
    assert (await _set(sm, TODAY, DayKind.DAY_OFF, "Nghỉ đột xuất")).problem is None
    report = await tick(sm)  # the engine's calendar knows nothing of it: the tick reads the database
    assert not report.working_day and report.holiday == "Nghỉ đột xuất"
    assert await rows(sm) == []
    assert (await _set(sm, SATURDAY, DayKind.WORKING_DAY, "Làm bù")).problem is None
    saturday = await tick(sm, on=SATURDAY, now=NOW + timedelta(days=5))
    assert saturday.working_day and saturday.queued > 0 and await rows(sm)


async def test_cli_calendar_commands_and_the_preview_follow_them(db_url: str, tmp_path: Path) -> None:
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    added = run("calendar", "off", "23/06/2025", "Nghỉ", "đột", "xuất", db_url=db_url, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("🗓 Đã ghi: Thứ Hai, 23/06/2025 là ngày nghỉ — Nghỉ đột xuất.")
    refused = run("calendar", "workday", "24/06/2025", db_url=db_url, cwd=tmp_path)
    assert refused.returncode == 1 and "vốn đã là ngày làm việc" in refused.stderr
    assert run("calendar", "workday", "28/06/2025", db_url=db_url, cwd=tmp_path).returncode == 0
    listed = run("calendar", "list", db_url=db_url, cwd=tmp_path)
    assert "• Thứ Hai, 23/06/2025: ngày nghỉ — Nghỉ đột xuất (người ghi: dòng lệnh)" in listed.stdout
    assert "• Thứ Bảy, 28/06/2025: ngày làm bù (người ghi: dòng lệnh)" in listed.stdout
    preview = run("preview", "--from", "23/06/2025", "--days", "6", db_url=db_url, cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    assert "Thứ Hai, 23/06/2025 — nghỉ (Nghỉ đột xuất), không nhắc." in preview.stdout
    assert "═══ Thứ Bảy, 28/06/2025 lúc" in preview.stdout
    removed = run("calendar", "remove", "23/06/2025", db_url=db_url, cwd=tmp_path)
    assert removed.returncode == 0 and "Đã bỏ Thứ Hai, 23/06/2025" in removed.stdout
    again = run("preview", "--from", "23/06/2025", "--days", "1", db_url=db_url, cwd=tmp_path)
    assert "═══ Thứ Hai, 23/06/2025 lúc" in again.stdout
