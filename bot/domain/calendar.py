"""Working days of Vietnamese public offices: weekends, public holidays, swapped days.

Holidays come from `holidays.country_holidays("VN")`, which knows Tết with its weekend
shifts, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh and the announced swaps (nghỉ bù / làm
bù, e.g. Saturday 26/04/2025 worked for Friday 02/05/2025). Future years there are
estimates, so each year's official announcement can be written into data/holidays.yaml;
those local overrides always win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import holidays
import yaml


class DayKind(StrEnum):
    """An admin's adjustment of one day (stored in the database)."""

    DAY_OFF = "day_off"  # an extra day off (a bridge day, a new holiday)
    WORKING_DAY = "working_day"  # a make-up Saturday/Sunday (làm bù)


# Name shown for a day off that only the local overrides know about.
EXTRA_DAY_OFF_NAME = "Ngày nghỉ theo thông báo"
# A run of days off longer than this means broken overrides, not a real calendar.
_MAX_DAYS_OFF_IN_A_ROW = 60


class WorkCalendar:
    """Which days agencies work, for due-date counting and reminder scheduling.

    Immutable from the outside. The package loads holiday years lazily when a date is
    asked about, so any date works; `years` only preloads.
    """

    def __init__(
        self,
        *,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> None:
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        if both := self.extra_days_off & self.extra_working_days:
            raise ValueError(f"days both off and working: {sorted(both)}")
        self._vn = holidays.country_holidays("VN", years=list(years), language="vi")
        self._names: dict[date, str] = {}

    def with_adjustments(
        self,
        *,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        names: Mapping[date, str] | None = None,
    ) -> WorkCalendar:
        """A calendar with these days off and make-up working days added (an admin's, from
        the database); they win over this calendar's own overrides for the same day.
        `names`: what to call an added day off (the admin's reason)."""
        off, work = frozenset(days_off), frozenset(working_days)
        if both := off & work:
            raise ValueError(f"days both off and working: {sorted(both)}")
        adjusted = WorkCalendar.__new__(WorkCalendar)
        adjusted.extra_days_off = (self.extra_days_off - work) | off
        adjusted.extra_working_days = (self.extra_working_days - off) | work
        adjusted._vn = self._vn  # the package's years are shared, loaded once
        adjusted._names = {**self._names, **{d: n for d, n in (names or {}).items() if d in off}}
        return adjusted

    def base_is_working_day(self, d: date) -> bool:
        """Whether d is a working day by the package alone (weekends, statutory holidays,
        the swaps it knows): what an admin's adjustment changes."""
        return self._vn.is_working_day(d)

    @classmethod
    def from_file(cls, path: str | Path, *, years: Iterable[int] = ()) -> WorkCalendar:
        """A calendar with the overrides of a holidays.yaml file."""
        days_off, working_days = load_overrides(path)
        return cls(extra_days_off=days_off, extra_working_days=working_days, years=years)

    def holiday_name(self, d: date) -> str | None:
        """Vietnamese name of the holiday on d, or None (also for overridden working days)."""
        if d in self.extra_working_days:
            return None
        name = self._vn.get(d)
        if name is None and d in self.extra_days_off:
            return self._names.get(d) or EXTRA_DAY_OFF_NAME
        return name

    def is_working_day(self, d: date) -> bool:
        """Mon–Fri not a holiday, or a make-up Saturday/Sunday; overrides win."""
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off:
            return False
        # The package's own test: weekends unless a make-up day, weekdays unless a holiday.
        return self._vn.is_working_day(d)

    def _step(self, d: date, direction: int) -> date:
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            d += timedelta(days=direction)
            if self.is_working_day(d):
                return d
        raise ValueError(f"no working day within {_MAX_DAYS_OFF_IN_A_ROW} days of {d}")

    def previous_working_day(self, d: date) -> date:
        """d itself if it is a working day, else the last working day before it.

        A due date on a holiday is moved here: the work must be in before the break."""
        return d if self.is_working_day(d) else self._step(d, -1)

    def next_working_day(self, d: date) -> date:
        """d itself if it is a working day, else the first working day after it."""
        return d if self.is_working_day(d) else self._step(d, +1)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (the days in [b, a)) when b is before a.

        So `working_days_between(d, add_working_days(d, n)) == n` for every n."""
        if b >= a:
            span = (a + timedelta(days=i) for i in range(1, (b - a).days + 1))
            return sum(map(self.is_working_day, span))
        span = (b + timedelta(days=i) for i in range((a - b).days))
        return -sum(map(self.is_working_day, span))

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (before d when n < 0); d itself when n == 0."""
        direction = 1 if n > 0 else -1
        for _ in range(abs(n)):
            d = self._step(d, direction)
        return d


def load_overrides(path: str | Path) -> tuple[frozenset[date], frozenset[date]]:
    """(days_off, working_days) from data/holidays.yaml.

    Layout: a mapping year → {days_off: [dates], working_days: [dates]}; dates in ISO form.
    Raises ValueError when a date is malformed or filed under another year (a typo guard).
    """
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of years")
    days_off: set[date] = set()
    working_days: set[date] = set()
    for year, entry in data.items():
        entry = entry or {}
        if not isinstance(entry, dict) or set(entry) - {"days_off", "working_days"}:
            raise ValueError(f"{path}: year {year}: only 'days_off' and 'working_days' allowed")
        for field, target in (("days_off", days_off), ("working_days", working_days)):
            for value in entry.get(field) or ():
                # type() rather than isinstance: YAML timestamps are datetimes, which would
                # never equal a date in a set lookup.
                day = value if type(value) is date else _iso_date(value, path)
                if day.year != int(year):
                    raise ValueError(f"{path}: {day.isoformat()} listed under year {year}")
                target.add(day)
    if both := days_off & working_days:
        raise ValueError(f"{path}: days both off and working: {sorted(both)}")
    return frozenset(days_off), frozenset(working_days)


def _iso_date(value: Any, path: str | Path) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{path}: not an ISO date (YYYY-MM-DD): {value!r}") from None


def parse_day(text: str) -> date | None:
    """'30/09/2025', '30/9/2025', '30-09-2025' or '2025-09-30'; None if not a date."""
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
