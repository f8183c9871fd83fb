"""/ngaynghi and /ngaylambu in the real bot (fake Bot API server): an admin adds a day off
and a make-up working day without editing files; others are refused."""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import WorkCalendar
from bot.services import calendar as service
from tests.e2e.conftest import ADMIN, FOCAL, STP_GROUP, BotWorld


async def test_admin_adds_lists_and_removes_days(bot_world: BotWorld) -> None:
    w = bot_world
    [saved] = await w.send(ADMIN, ADMIN, "/ngaynghi 31/12/2027 Nghỉ bù Tết Dương lịch")
    assert saved.text.startswith("🗓 Đã ghi: Thứ Sáu, 31/12/2027 là ngày nghỉ — Nghỉ bù Tết Dương lịch.")
    [made_up] = await w.send(ADMIN, ADMIN, "/ngaylambu 8/1/2028 Làm bù cho 31/12/2027")
    assert made_up.text.startswith("🗓 Đã ghi: Thứ Bảy, 08/01/2028 là ngày làm bù — Làm bù cho 31/12/2027.")
    [pointless] = await w.send(ADMIN, ADMIN, "/ngaynghi 24/11/2026")
    assert pointless.text == "Thứ Ba, 24/11/2026 vốn đã là ngày nghỉ (Ngày Văn hóa Việt Nam): không cần thêm."
    [bad] = await w.send(ADMIN, ADMIN, "/ngaylambu hôm nay")
    assert bad.text.startswith("Không đọc được ngày.")
    [listing] = await w.send(ADMIN, ADMIN, "/ngaynghi")
    assert "• Thứ Sáu, 31/12/2027: ngày nghỉ — Nghỉ bù Tết Dương lịch (người ghi: Quản trị)" in listing.text
    assert "• Thứ Bảy, 08/01/2028: ngày làm bù — Làm bù cho 31/12/2027" in listing.text
    [refused] = await w.send(STP_GROUP, FOCAL, "/ngaynghi 01/07/2025")
    assert refused.text.startswith("Chỉ quản trị viên")

    base = WorkCalendar()
    async with w.sm() as s:
        calendar = await service.effective_calendar(s, base)
    assert not calendar.is_working_day(date(2027, 12, 31)) and calendar.is_working_day(date(2028, 1, 8))
    assert calendar.is_working_day(date(2025, 7, 1))  # the focal point's attempt changed nothing

    [removed] = await w.send(ADMIN, ADMIN, "/ngaylambu xoa 08/01/2028")
    assert removed.text.startswith("🗓 Đã bỏ Thứ Bảy, 08/01/2028")
    async with w.sm() as s:
        assert [d.day for d in await service.list_days(s)] == [date(2027, 12, 31)]
