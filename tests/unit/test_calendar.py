"""Working days with Vietnamese public holidays, swapped days and local overrides.

Expected days off are the official schedules for officials (công chức, viên chức), e.g.
Tết Ất Tỵ 2025: Sat 25/01 – Sun 02/02; 30/4–1/5/2025 with Fri 02/05 swapped for Sat 26/04.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import EXTRA_DAY_OFF_NAME, WorkCalendar, load_overrides

DATA = Path(__file__).resolve().parents[2] / "data" / "holidays.yaml"
CAL = WorkCalendar(years=range(2020, 2028))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def off(first: date, last: date) -> list[date]:
    return [d for d in days(first, last) if not CAL.is_working_day(d)]


# --- holidays the package provides ---------------------------------------------------------

def test_tet_2025_nine_days_off() -> None:
    assert off(date(2025, 1, 20), date(2025, 2, 9)) == days(date(2025, 1, 25), date(2025, 2, 2)) + [
        date(2025, 2, 8),
        date(2025, 2, 9),
    ]
    assert CAL.is_working_day(date(2025, 1, 24)) and CAL.is_working_day(date(2025, 2, 3))
    # Mùng 4 fell on Saturday 01/02: it is given back on Monday 27/01 (29 Tết).
    assert CAL.holiday_name(date(2025, 1, 27)) == "29 Tết"
    assert CAL.holiday_name(date(2025, 1, 29)) == "Tết Nguyên Đán"


def test_tet_2026_weekdays_off() -> None:
    # Tết Bính Ngọ: mùng 1 on Tuesday 17/02/2026; Mon 16 – Fri 20/02 off, 9 days with weekends.
    assert off(date(2026, 2, 9), date(2026, 2, 27)) == [
        date(2026, 2, 14),
        date(2026, 2, 15),
        *days(date(2026, 2, 16), date(2026, 2, 20)),
        date(2026, 2, 21),
        date(2026, 2, 22),
    ]
    assert CAL.holiday_name(date(2026, 2, 16)) == "Giao thừa Tết Nguyên Đán"
    assert CAL.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"


def test_reunification_and_labour_day_2025_with_the_swap() -> None:
    assert off(date(2025, 4, 28), date(2025, 5, 4)) == days(date(2025, 4, 30), date(2025, 5, 4))
    assert CAL.holiday_name(date(2025, 4, 30)) == "Ngày Chiến thắng"
    assert CAL.holiday_name(date(2025, 5, 1)) == "Ngày Quốc tế Lao động"
    assert CAL.holiday_name(date(2025, 5, 2)) == "Ngày nghỉ (thay cho ngày 26/04/2025)"
    # The package already knows Saturday 26/04/2025 was worked (làm bù).
    assert CAL.is_working_day(date(2025, 4, 26))
    assert not CAL.is_working_day(date(2025, 4, 27))


def test_national_day_two_days_2025() -> None:
    assert off(date(2025, 8, 29), date(2025, 9, 3)) == days(date(2025, 8, 30), date(2025, 9, 2))
    assert CAL.holiday_name(date(2025, 9, 1)) == "Quốc khánh"
    assert CAL.holiday_name(date(2025, 9, 2)) == "Quốc khánh"
    assert CAL.is_working_day(date(2025, 9, 3))


def test_hung_kings_2025() -> None:
    assert not CAL.is_working_day(date(2025, 4, 7))
    assert CAL.holiday_name(date(2025, 4, 7)) == "Ngày Giỗ Tổ Hùng Vương"
    assert CAL.is_working_day(date(2025, 4, 8))


def test_hung_kings_2026_on_sunday_is_given_back_on_monday() -> None:
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert "nghỉ bù" in (CAL.holiday_name(date(2026, 4, 27)) or "")


def test_weekends_and_plain_days() -> None:
    assert not CAL.is_working_day(date(2025, 6, 21))  # Saturday
    assert not CAL.is_working_day(date(2025, 6, 22))  # Sunday
    assert CAL.is_working_day(date(2025, 6, 23))
    assert CAL.holiday_name(date(2025, 6, 21)) is None
    assert CAL.holiday_name(date(2025, 6, 23)) is None


def test_years_are_loaded_on_demand() -> None:
    fresh = WorkCalendar()
    assert not fresh.is_working_day(date(2030, 9, 2))
    assert fresh.is_working_day(date(2025, 4, 26))  # a make-up Saturday in a year not asked before


# --- moving around holidays ----------------------------------------------------------------

def test_previous_working_day_across_tet() -> None:
    assert CAL.previous_working_day(date(2025, 1, 31)) == date(2025, 1, 24)
    assert CAL.previous_working_day(date(2026, 2, 20)) == date(2026, 2, 13)
    assert CAL.previous_working_day(date(2025, 1, 24)) == date(2025, 1, 24)  # itself


def test_next_working_day() -> None:
    assert CAL.next_working_day(date(2025, 1, 25)) == date(2025, 2, 3)
    assert CAL.next_working_day(date(2025, 4, 30)) == date(2025, 5, 5)
    assert CAL.next_working_day(date(2025, 5, 5)) == date(2025, 5, 5)


def test_working_days_between() -> None:
    # (Mon 20/01, Fri 07/02]: Tue–Fri before Tết and the week after; the Tết week is lost.
    assert CAL.working_days_between(date(2025, 1, 20), date(2025, 2, 7)) == 4 + 5
    assert CAL.working_days_between(date(2025, 6, 23), date(2025, 6, 23)) == 0
    assert CAL.working_days_between(date(2025, 6, 20), date(2025, 6, 23)) == 1  # (Fri, Mon]
    assert CAL.working_days_between(date(2025, 6, 23), date(2025, 6, 20)) == -1  # [Fri, Mon)
    # 26/04/2025 (make-up Saturday) counts, 30/4 – 4/5 do not.
    assert CAL.working_days_between(date(2025, 4, 25), date(2025, 5, 5)) == 4


def test_add_working_days() -> None:
    assert CAL.add_working_days(date(2025, 1, 23), 2) == date(2025, 2, 3)
    assert CAL.add_working_days(date(2025, 2, 3), -1) == date(2025, 1, 24)
    assert CAL.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert CAL.add_working_days(date(2025, 2, 1), 0) == date(2025, 2, 1)


@given(st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 12, 31)), st.integers(-40, 40))
def test_add_and_count_agree(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n
    if n:
        assert CAL.is_working_day(end)


# --- local overrides -----------------------------------------------------------------------

def test_make_up_saturday_override() -> None:
    saturday = date(2027, 2, 20)
    assert not CAL.is_working_day(saturday)
    cal = WorkCalendar(extra_working_days={saturday})
    assert cal.is_working_day(saturday)
    assert cal.working_days_between(date(2027, 2, 19), date(2027, 2, 22)) == 2


def test_overrides_win_over_the_package() -> None:
    cal = WorkCalendar(
        extra_days_off={date(2025, 4, 26), date(2025, 6, 23)},
        extra_working_days={date(2025, 5, 2)},
    )
    assert not cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 6, 23))
    assert cal.holiday_name(date(2025, 6, 23)) == EXTRA_DAY_OFF_NAME
    assert cal.is_working_day(date(2025, 5, 2))
    assert cal.holiday_name(date(2025, 5, 2)) is None
    assert cal.previous_working_day(date(2025, 6, 23)) == date(2025, 6, 20)


def test_a_day_cannot_be_both_off_and_working() -> None:
    with pytest.raises(ValueError):
        WorkCalendar(extra_days_off={date(2025, 1, 2)}, extra_working_days={date(2025, 1, 2)})


def test_runaway_overrides_are_reported() -> None:
    start = date(2025, 6, 1)
    cal = WorkCalendar(extra_days_off=days(start, start + timedelta(100)))
    with pytest.raises(ValueError):
        cal.next_working_day(start)


def test_load_the_project_file() -> None:
    days_off, working_days = load_overrides(DATA)
    assert date(2025, 4, 26) in working_days
    assert not days_off & working_days
    assert WorkCalendar.from_file(DATA).is_working_day(date(2025, 4, 26))


def test_load_overrides(tmp_path: Path) -> None:
    path = tmp_path / "h.yaml"
    path.write_text(
        "2027:\n  days_off: [2027-02-11, '2027-02-12']\n  working_days: [2027-02-20]\n2028:\n",
        encoding="utf-8",
    )
    assert load_overrides(path) == (
        frozenset({date(2027, 2, 11), date(2027, 2, 12)}),
        frozenset({date(2027, 2, 20)}),
    )
    path.write_text("", encoding="utf-8")
    assert load_overrides(path) == (frozenset(), frozenset())


@pytest.mark.parametrize(
    "content",
    [
        "2027:\n  days_off: [2026-12-31]\n",  # filed under the wrong year
        "2027:\n  days_off: [11/02/2027]\n",  # not ISO
        "2027:\n  days_off: [2027-02-11 08:00:00]\n",  # a timestamp, not a date
        "2027:\n  holidays: [2027-02-11]\n",  # unknown key
        "2027:\n  days_off: [2027-02-11]\n  working_days: [2027-02-11]\n",
        "- 2027-02-11\n",
    ],
)
def test_load_overrides_rejects_mistakes(tmp_path: Path, content: str) -> None:
    path = tmp_path / "h.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        load_overrides(path)


def test_the_2026_schedule_from_the_data_file() -> None:
    """New Year 2026: Friday 02/01 off, made up on Saturday 10/01 (data/holidays.yaml);
    Ngày Văn hóa Việt Nam 24/11 is a day off from 2026."""
    shipped = WorkCalendar.from_file(Path(__file__).resolve().parents[2] / "data" / "holidays.yaml", years=[2026])
    assert not shipped.is_working_day(date(2026, 1, 2))
    assert shipped.is_working_day(date(2026, 1, 10))
    assert not shipped.is_working_day(date(2026, 11, 24))
    assert shipped.next_working_day(date(2026, 1, 1)) == date(2026, 1, 5)


def test_the_whole_2026_schedule_for_officials() -> None:
    """Every day off in 2026 as announced (package + data file): Tết Dương lịch 01–04/01 (Friday
    02/01 made up on Saturday 10/01), Tết Bính Ngọ 14–22/02, Giỗ Tổ Sunday 26/04 given back on
    Monday 27/04, 30/04–03/05, Quốc khánh 29/08–02/09 (Monday 31/08 made up on Saturday 22/08),
    Ngày Văn hóa Việt Nam Tuesday 24/11."""
    shipped = WorkCalendar.from_file(DATA, years=[2026])
    weekdays_off = [
        d for d in days(date(2026, 1, 1), date(2026, 12, 31)) if d.weekday() < 5 and not shipped.is_working_day(d)
    ]
    assert weekdays_off == [
        date(2026, 1, 1), date(2026, 1, 2),
        *days(date(2026, 2, 16), date(2026, 2, 20)),
        date(2026, 4, 27), date(2026, 4, 30), date(2026, 5, 1),
        date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2),
        date(2026, 11, 24),
    ]
    worked_weekend = [
        d for d in days(date(2026, 1, 1), date(2026, 12, 31)) if d.weekday() >= 5 and shipped.is_working_day(d)
    ]
    assert worked_weekend == [date(2026, 1, 10), date(2026, 8, 22)]
    assert shipped.holiday_name(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam"


def test_2027_statutory_days_and_lunar_tet() -> None:
    """2027 (no schedule announced when written): the Labour Code's days, Tết Đinh Mùi from the
    package's lunisolar calendar (mùng 1 = Saturday 06/02/2027), Ngày Văn hóa Việt Nam 24/11."""
    cal = WorkCalendar.from_file(DATA, years=[2027])
    assert [d for d in days(date(2027, 2, 1), date(2027, 2, 14)) if not cal.is_working_day(d)] == [
        *days(date(2027, 2, 4), date(2027, 2, 10)), date(2027, 2, 13), date(2027, 2, 14)
    ]
    assert cal.holiday_name(date(2027, 2, 6)) == "Tết Nguyên Đán"
    for day in (date(2027, 1, 1), date(2027, 4, 16), date(2027, 4, 30), date(2027, 5, 3), date(2027, 9, 2),
                date(2027, 9, 3), date(2027, 11, 24)):
        assert not cal.is_working_day(day), day
    assert cal.holiday_name(date(2027, 4, 16)) == "Ngày Giỗ Tổ Hùng Vương"  # 10/3 âm lịch


def test_adjustments_win_and_leave_the_calendar_they_came_from_alone() -> None:
    shipped = WorkCalendar.from_file(DATA, years=[2026, 2027])
    adjusted = shipped.with_adjustments(
        days_off=[date(2027, 12, 31), date(2026, 1, 10)],  # a bridge day; a file make-up day undone
        working_days=[date(2028, 1, 8), date(2026, 1, 2)],  # a make-up Saturday; a file day off undone
        names={date(2027, 12, 31): "Nghỉ bù Tết Dương lịch", date(2028, 1, 8): "ignored: not a day off"},
    )
    assert not adjusted.is_working_day(date(2027, 12, 31))
    assert adjusted.holiday_name(date(2027, 12, 31)) == "Nghỉ bù Tết Dương lịch"
    assert adjusted.is_working_day(date(2028, 1, 8)) and adjusted.holiday_name(date(2028, 1, 8)) is None
    assert not adjusted.is_working_day(date(2026, 1, 10)) and adjusted.is_working_day(date(2026, 1, 2))
    assert adjusted.holiday_name(date(2026, 1, 10)) == EXTRA_DAY_OFF_NAME
    # 31/12 off (added), 01/01/2028 a Saturday given back on Monday 03/01 (package).
    assert adjusted.add_working_days(date(2027, 12, 30), 1) == date(2028, 1, 4)
    # The base is unchanged.
    assert shipped.is_working_day(date(2027, 12, 31)) and not shipped.is_working_day(date(2028, 1, 8))
    assert shipped.is_working_day(date(2026, 1, 10)) and not shipped.is_working_day(date(2026, 1, 2))
    with pytest.raises(ValueError):
        shipped.with_adjustments(days_off=[date(2027, 1, 4)], working_days=[date(2027, 1, 4)])
