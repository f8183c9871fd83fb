"""The follow-from day proposed at import, and what it leaves unknown (bot.domain.follow)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.follow import PastDates, default_follow_from, is_unknown_at_import, past_due

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("first_year", "dates", "expected"),
    [
        (2021, [date(2021, 12, 31), date(2027, 6, 30)], TODAY),  # period begun: today
        (2026, [date(2027, 1, 30)], TODAY),  # begins this year, nothing past yet: today anyway
        (2027, [date(2027, 6, 30)], None),  # a plan for years to come: from its start
        (None, [date(2026, 6, 30)], TODAY),  # no period read, a date past: today
        (None, [date(2027, 6, 30)], None),
        (None, [], None),
        (2028, [date(2026, 1, 1)], TODAY),  # a past date wins over a misread period
    ],
)
def test_default_follow_from(first_year, dates, expected) -> None:
    assert default_follow_from(first_year=first_year, due_dates=dates, today=TODAY) == expected


@pytest.mark.parametrize(
    ("due", "follow", "unknown"),
    [
        (date(2026, 12, 6), TODAY, True),
        (TODAY, TODAY, False),  # due on the follow-from day itself: followed
        (date(2027, 1, 1), TODAY, False),
        (date(2021, 12, 31), None, False),  # from the start: nothing unknown
    ],
)
def test_is_unknown_at_import(due, follow, unknown) -> None:
    assert is_unknown_at_import(due, follow) is unknown


def test_past_due_counts_items_and_agencies() -> None:
    items = [("STP", date(2021, 12, 31)), ("STP", date(2022, 12, 31)), ("SNV", date(2022, 6, 30)),
             ("SNV", date(2027, 6, 30)), ("SYT", TODAY)]
    assert past_due(items, TODAY) == PastDates(3, 2)
    assert past_due(items, date(2022, 7, 1)) == PastDates(2, 2)
    assert past_due(items, None) == PastDates(0, 0)
