"""The trend chart's periods and buckets (pure), and its SVG (Vietnamese labels, escaped)."""

from __future__ import annotations

from datetime import date

from bot.domain.digest import DigestKind
from bot.domain.status import Category
from bot.domain.trend import period_starts, trend_buckets
from bot.render.trend import trend_svg


def test_month_periods_end_with_the_month_of_the_day_and_cross_the_year() -> None:
    starts = period_starts(DigestKind.MONTH, date(2025, 2, 14), periods=4)
    assert starts == [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]


def test_week_periods_start_on_monday() -> None:
    starts = period_starts(DigestKind.WEEK, date(2025, 6, 25), periods=3)  # a Wednesday
    assert starts == [date(2025, 6, 9), date(2025, 6, 16), date(2025, 6, 23)]


def test_buckets_sum_each_period_by_outcome_and_drop_days_outside() -> None:
    rows = [
        (date(2025, 1, 31), Category.DONE_ON_TIME.value, 3),
        (date(2025, 1, 2), Category.DONE_LATE.value, 1),
        (date(2025, 2, 28), Category.OVERDUE.value, 2),
        (date(2025, 2, 1), Category.NOT_DUE.value, 4),
        (date(2025, 2, 10), Category.ON_TRACK.value, 1),
        (date(2025, 2, 11), Category.UNCONFIRMED.value, 5),
        (date(2025, 3, 1), Category.OVERDUE.value, 9),  # after the last period
        (date(2024, 12, 31), Category.OVERDUE.value, 9),  # before the first
    ]
    january, february = trend_buckets(rows, kind=DigestKind.MONTH, last_day=date(2025, 2, 14), periods=2)
    assert (january.start, january.end, february.end) == (date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 28))
    assert (january.on_time, january.late, january.overdue, january.total) == (3, 1, 0, 4)
    assert (february.overdue, february.in_term, february.unconfirmed, february.total) == (2, 5, 5, 12)
    assert january.on_time_rate == 0.75 and february.on_time_rate == 0.0


def test_svg_has_a_bar_per_period_with_its_figures_and_a_vietnamese_legend() -> None:
    rows = [(date(2025, 6, 30), Category.DONE_ON_TIME.value, 7), (date(2025, 5, 31), Category.OVERDUE.value, 2)]
    svg = trend_svg(trend_buckets(rows, kind=DigestKind.MONTH, last_day=date(2025, 6, 23)), kind=DigestKind.MONTH)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('<g class="bar">') == 12
    assert "Tháng 6/2025 — 7 mốc (Hoàn thành đúng hạn: 7)" in svg
    assert "Tháng 5/2025 — 2 mốc (Quá hạn: 2)" in svg
    assert ">T6<" in svg and ">T7<" in svg and ">2024<" in svg and ">2025<" in svg and ">100%<" in svg
    assert "Trong hạn / chưa đến hạn" in svg and "Hoàn thành trễ hạn" in svg
