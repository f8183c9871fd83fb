"""Plain group messages meant for the bot, and snooze requests (bot.domain.replies)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.replies import Pause, Snooze, addressed_plainly, parse_pause, parse_snooze

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("5 xong", True), ("NV12 đang làm 60%", True), ("nv 12 xong", True), ("nhiệm vụ 3, 4 xong", True),
        ("  2 và 3 xong", True), ("#7: vướng chờ Bộ", True), ("Việc 2 xong", True), ("3. xong", True),
        ("15/12 họp", False), ("1.5 triệu", False), ("1:30 họp", False), ("ok", False),
        ("Chào cả nhà", False), ("hôm nay 5 xong", False), ("", False), ("NV", False),
    ],
)
def test_addressed_plainly(text: str, meant: bool) -> None:
    assert addressed_plainly(text) is meant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tạm dừng nhắc NV3 đến 15/1", Snooze(task_id=3, until=date(2027, 1, 15))),
        ("Tạm dừng nhắc 2 đến 31/12/2026 vì chờ Bộ hướng dẫn",
         Snooze(number=2, until=date(2026, 12, 31), reason="chờ Bộ hướng dẫn")),
        ("tạm dừng nhắc NV3", Snooze(task_id=3)),
        ("tam dung nhac nv 12 den 31/2", Snooze(task_id=12, bad_date=True)),
        ("tạm dừng nhắc NV3 đến 1/12/2026", Snooze(task_id=3, bad_date=True)),  # already past
        ("ngừng nhắc việc nhiệm vụ 4 đến 20/12 do cán bộ nghỉ phép",
         Snooze(number=4, until=date(2026, 12, 20), reason="cán bộ nghỉ phép")),
        ("3 xong", None), ("tạm dừng họp", None), ("nhắc NV3", None),
    ],
)
def test_parse_snooze(text: str, expected: Snooze | None) -> None:
    assert parse_snooze(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("đến 15/1 nghỉ Tết", Pause(until=date(2027, 1, 15), reason="nghỉ Tết")),
        ("đến 20/12/2026 vì đầu mối nghỉ phép", Pause(until=date(2026, 12, 20), reason="đầu mối nghỉ phép")),
        ("", Pause()),
        ("cán bộ đi học", Pause(reason="cán bộ đi học")),
        ("đến 31/2", Pause(bad_date=True)),
        ("đến 5/12/2026", Pause(bad_date=True)),
    ],
)
def test_parse_pause(text: str, expected: Pause) -> None:
    assert parse_pause(text, today=TODAY) == expected
