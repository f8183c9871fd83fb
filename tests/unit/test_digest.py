"""Digest periods, schedule and figures (pure)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.domain.calendar import WorkCalendar
from bot.domain.digest import (
    AgencyFigures,
    DigestKind,
    DigestPeriod,
    Figures,
    ReportRow,
    merge_agencies,
    month_period,
    rank_agencies,
    scheduled_digests,
    week_period,
)
from bot.domain.status import Category, Status, category

CAL = WorkCalendar()
AT = time(7, 30)


def due(now: datetime, weekday: int = 0) -> list[DigestPeriod]:
    return scheduled_digests(now, weekday=weekday, at=AT, calendar=CAL)


def months(now: datetime) -> list[DigestPeriod]:
    return [p for p in due(now) if p.kind is DigestKind.MONTH]


def test_periods() -> None:
    assert week_period(date(2025, 6, 22)) == DigestPeriod(DigestKind.WEEK, date(2025, 6, 16), date(2025, 6, 22))
    month = month_period(date(2025, 6, 30))
    assert (month.start, month.end, month.is_full_month) == (date(2025, 6, 1), date(2025, 6, 30), True)
    assert not month_period(date(2025, 6, 23)).is_full_month
    assert month_period(date(2024, 2, 29)).is_full_month


def test_weekly_digest_on_monday_morning_covers_last_week() -> None:
    assert due(datetime(2025, 6, 23, 7, 29)) == []
    assert due(datetime(2025, 6, 23, 7, 30)) == [week_period(date(2025, 6, 22))]
    # Missed (the bot was down): still sent on Tuesday, not on Wednesday.
    assert due(datetime(2025, 6, 24, 3, 0)) == [week_period(date(2025, 6, 22))]
    assert due(datetime(2025, 6, 25, 9, 0)) == []
    # Another day of the week: still the last whole week, Monday to Sunday.
    assert due(datetime(2025, 6, 27, 8, 0), weekday=4) == [week_period(date(2025, 6, 22))]


@pytest.mark.parametrize(
    ("as_of", "start", "full"),
    [
        (date(2025, 6, 22), date(2025, 6, 16), True),  # a Sunday: the whole week
        (date(2025, 6, 23), date(2025, 6, 23), False),  # a Monday: its first day, never Tuesday–Monday
        (date(2025, 6, 18), date(2025, 6, 16), False),  # a Wednesday: Monday to Wednesday
        (date(2025, 1, 3), date(2024, 12, 30), False),  # across a new year
    ],
)
def test_weeks_run_monday_to_sunday(as_of: date, start: date, full: bool) -> None:
    period = week_period(as_of)
    assert (period.start, period.end, period.is_full_week) == (start, as_of, full)
    assert period.start.weekday() == 0 and period.week_end.weekday() == 6


def test_figures_have_two_completion_rates() -> None:
    # The case: 13 deadlines, one due and done → 100% of those due, 8% of all.
    f = Figures(done_on_time=1, not_due=12, no_deadline=2)
    assert f.dated == 13 and f.due_so_far == 1
    assert f.completion_rate == 1.0
    assert f.completion_rate_all == pytest.approx(1 / 13)
    assert Figures(no_deadline=3).completion_rate_all is None


def test_by_task_names_every_lead_agency_once() -> None:
    from bot.domain.digest import DueLine, by_task

    def line(task_id: int, agency: str, due_on: date) -> DueLine:
        return DueLine(task_id, str(task_id), "1/KH", f"Nhiệm vụ {task_id}", agency, agency, due_on)

    groups = by_task(
        [line(1, "Sở A", date(2025, 7, 1)), line(2, "Sở A", date(2025, 7, 2)), line(1, "Sở B", date(2025, 7, 1)),
         line(1, "Sở C", date(2025, 7, 1)), line(1, "Sở A", date(2025, 12, 31)), line(1, "Sở B", date(2025, 7, 1))]
    )
    assert [(g.line.task_id, g.line.due_on, g.agency_names) for g in groups] == [
        (1, date(2025, 7, 1), ("Sở A", "Sở B", "Sở C")),
        (2, date(2025, 7, 2), ("Sở A",)),
        (1, date(2025, 12, 31), ("Sở A",)),
    ]


def test_monthly_report_on_the_first_working_day() -> None:
    # 1/6/2025 is a Sunday: Monday 2/6 is the first working day (and the weekly digest's day).
    assert due(datetime(2025, 6, 2, 8, 0)) == [month_period(date(2025, 5, 31)), week_period(date(2025, 6, 1))]
    # 2025: 1/9 and 2/9 are Quốc khánh holidays → the August report goes on Wednesday 3/9.
    assert months(datetime(2025, 9, 1, 8, 0)) == []
    assert months(datetime(2025, 9, 3, 8, 0)) == [month_period(date(2025, 8, 31))]
    assert months(datetime(2025, 9, 4, 8, 0)) == [month_period(date(2025, 8, 31))]  # catch-up day
    assert months(datetime(2025, 9, 5, 8, 0)) == []
    # Tết 2025: 1/2/2025 is a Saturday, the first working day of February is Monday 3/2.
    assert months(datetime(2025, 2, 3, 8, 0)) == [month_period(date(2025, 1, 31))]
    assert months(datetime(2025, 2, 1, 8, 0)) == []


def test_figures_rates_and_sums() -> None:
    f = Figures(not_due=3, on_track=2, overdue=4, overdue_30=2, overdue_90=1, done_on_time=5, done_early=1, done_late=2, no_deadline=1)
    assert f.total == 17
    assert f.due_so_far == 10  # 4 done on time (one more is early) + 2 late + 4 overdue
    assert f.completion_rate == pytest.approx(0.6)
    assert f.on_time_rate == pytest.approx(0.4)
    assert f.in_term == 5
    assert (f + f).total == 34 and (f + Figures()) == f
    assert Figures(not_due=2).completion_rate is None
    assert sum(f.counts().values()) == f.total


@pytest.mark.parametrize(
    ("status", "due_on", "completed_on", "expected"),
    [
        (Status.PENDING, date(2025, 1, 1), None, Figures(overdue=1, overdue_30=1, overdue_90=1)),
        (Status.IN_PROGRESS, date(2025, 5, 1), None, Figures(overdue=1, overdue_30=1)),
        (Status.BLOCKED, date(2025, 6, 1), None, Figures(overdue=1)),
        (Status.DONE, date(2025, 12, 31), date(2025, 6, 1), Figures(done_on_time=1, done_early=1)),
        (Status.DONE, date(2025, 1, 1), date(2025, 2, 1), Figures(done_late=1)),
        (Status.EXTENDED, date(2025, 9, 1), None, Figures(on_track=1)),
        (Status.PENDING, date(2025, 9, 1), None, Figures(not_due=1)),
        (Status.PENDING, None, None, Figures(no_deadline=1)),
    ],
)
def test_one_item_counts_once(status: Status, due_on: date | None, completed_on: date | None, expected: Figures) -> None:
    today = date(2025, 6, 22)
    assert Figures.of(category(status, due_on, completed_on, today), due_on, today) == expected


def test_overdue_buckets_are_strictly_more_than() -> None:
    today = date(2025, 6, 22)
    assert Figures.of(Category.OVERDUE, date(2025, 5, 23), today).overdue_30 == 0  # 30 days
    assert Figures.of(Category.OVERDUE, date(2025, 5, 22), today).overdue_30 == 1  # 31 days
    assert Figures.of(Category.OVERDUE, date(2025, 3, 24), today).overdue_90 == 0  # 90 days
    assert Figures.of(Category.OVERDUE, date(2025, 3, 23), today).overdue_90 == 1


def test_ranking_worst_first_and_successors_merged() -> None:
    rows = merge_agencies(
        [
            (1, Figures(overdue=1, done_on_time=3)),
            (2, Figures(overdue=1, done_late=1)),
            (3, Figures(done_on_time=2)),
            (4, Figures(overdue=2)),
            (5, Figures(overdue=1, done_on_time=1)),  # merged into 1
        ],
        {1: ("KHCN", "Sở KH&CN"), 2: ("STC", "Sở Tài chính"), 3: ("STP", "Sở Tư pháp"), 4: ("SNV", "Sở Nội vụ"), 5: ("KHCN", "Sở KH&CN")},
    )
    ranked = rank_agencies(rows)
    # Sở KH&CN carries the merged agency's overdue item: 2, like SNV, whose on-time rate is lower.
    assert [r.agency_code for r in ranked] == ["SNV", "KHCN", "STC", "STP"]
    assert ranked[1] == AgencyFigures("KHCN", "Sở KH&CN", Figures(overdue=2, done_on_time=4))
    assert (ranked[0].figures.on_time_rate, ranked[1].figures.on_time_rate) == (0.0, pytest.approx(4 / 6))


def test_of_rows_counts_report_rows() -> None:
    today = date(2025, 6, 22)

    def row(cat: Category, due_on: date | None) -> ReportRow:
        return ReportRow(
            plan_number="1", position=1, task_id=1, task_ref="1", title="x", product=None, support_text=None,
            deadline_text="", agency_code="A", agency_name="A", due_on=due_on, original_due_on=due_on,
            category=cat, status=Status.PENDING, progress=0, updated_on=None, note=None,
        )

    rows = [row(Category.OVERDUE, date(2025, 1, 1)), row(Category.NO_DEADLINE, None), row(Category.DONE_ON_TIME, date(2026, 1, 1))]
    assert Figures.of_rows(rows, today) == Figures(overdue=1, overdue_30=1, overdue_90=1, no_deadline=1, done_on_time=1, done_early=1)


@pytest.mark.parametrize(("raw", "weekday"), [("0", 0), ("thu2", 0), ("Thứ 2", 0), ("t7", 5), ("cn", 6), ("Chủ nhật", 6)])
def test_digest_weekday_setting(raw: str, weekday: int) -> None:
    from bot.config import load_settings

    settings = load_settings(digest_weekday=raw, digest_time="07:45")
    assert settings.digest_weekday == weekday and settings.digest_time == time(7, 45)


def test_bad_digest_weekday_is_one_readable_line() -> None:
    from bot.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="^Cấu hình sai: DIGEST_WEEKDAY — cần 0–6"):
        load_settings(digest_weekday="thu9")
