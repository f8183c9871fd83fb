"""What a person types as a deadline in the console → the due dates (bot.domain.corrections)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.corrections import dates_from_text

PERIOD = {"first_year": 2021, "last_year": 2025, "issued_on": date(2021, 5, 5), "this_year": 2026}
ONE_YEAR = {"first_year": None, "last_year": None, "issued_on": date(2025, 3, 10), "this_year": 2026}
UNDATED = {"first_year": None, "last_year": None, "issued_on": None, "this_year": 2026}


@pytest.mark.parametrize(
    ("text", "plan", "expected"),
    [
        ("31/01/2027", PERIOD, [date(2027, 1, 31)]),
        ("2027-01-31", PERIOD, [date(2027, 1, 31)]),
        ("Quý II hằng năm", PERIOD, [date(y, 6, 30) for y in range(2021, 2026)]),
        ("trước ngày 30/01 của năm Kế hoạch", PERIOD, [date(y, 1, 30) for y in range(2022, 2026)]),
        ("Quý IV/2025", ONE_YEAR, [date(2025, 12, 31)]),
        ("Quý II hằng năm", ONE_YEAR, [date(2025, 6, 30)]),
        ("Thực hiện trong năm Kế hoạch", UNDATED, [date(2026, 12, 31)]),
        ("Hoàn thành trong tháng 11/2021", PERIOD, [date(2021, 11, 30)]),
        ("Ngay sau khi Chỉ số PCI được công bố", PERIOD, None),
        ("khi có yêu cầu", PERIOD, None),
        ("", PERIOD, None),
        ("   ", PERIOD, None),
    ],
)
def test_dates_from_text(text: str, plan: dict[str, object], expected: list[date] | None) -> None:
    assert dates_from_text(text, **plan) == expected  # type: ignore[arg-type]
