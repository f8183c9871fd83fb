"""Figures for /tiendo, /quahan, /sapden and the digests: pure functions over due lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.status import Category, Status, category


@dataclass(frozen=True)
class DueLine:
    """One thing an agency owes, as the views need it.

    `due_on` is None for a task whose deadline waits for an event or was not understood;
    such a line has no due item yet (`due_item_id` None).
    """

    task_id: int
    task_ref: str
    plan_number: str
    title: str
    agency_code: str
    agency_name: str
    due_on: date | None
    status: Status = Status.PENDING
    progress: int = 0
    completed_on: date | None = None
    original_due_on: date | None = None
    due_item_id: int | None = None

    def category(self, today: date) -> Category:
        return category(self.status, self.due_on, self.completed_on, today)

    def days_left(self, today: date) -> int | None:
        return None if self.due_on is None else (self.due_on - today).days


@dataclass
class AgencyProgress:
    """One agency's lines sorted into what a focal point wants to see first."""

    overdue: list[DueLine] = field(default_factory=list)
    due_soon: list[DueLine] = field(default_factory=list)
    in_progress: list[DueLine] = field(default_factory=list)
    done: list[DueLine] = field(default_factory=list)
    no_deadline: list[DueLine] = field(default_factory=list)
    later: list[DueLine] = field(default_factory=list)  # not due soon, nothing reported

    @property
    def total(self) -> int:
        return sum(len(group) for group in self.groups())

    def groups(self) -> tuple[list[DueLine], ...]:
        return (self.overdue, self.due_soon, self.in_progress, self.done, self.no_deadline, self.later)


def agency_progress(lines: Iterable[DueLine], *, today: date, soon_days: int = 14) -> AgencyProgress:
    """Sort lines: overdue, due within `soon_days`, reported in progress, done, undated, later."""
    result = AgencyProgress()
    for line in lines:
        cat = line.category(today)
        if cat in (Category.DONE_ON_TIME, Category.DONE_LATE):
            result.done.append(line)
        elif cat is Category.OVERDUE:
            result.overdue.append(line)
        elif cat is Category.NO_DEADLINE:
            result.no_deadline.append(line)
        elif line.days_left(today) is not None and line.days_left(today) <= soon_days:  # type: ignore[operator]
            result.due_soon.append(line)
        elif cat is Category.ON_TRACK:
            result.in_progress.append(line)
        else:
            result.later.append(line)
    by_date = lambda line: (line.due_on or date.max, line.plan_number, line.task_ref)  # noqa: E731
    for group in result.groups():
        group.sort(key=by_date)
    result.done.sort(key=lambda line: (line.completed_on or date.min), reverse=True)
    return result


def overdue(lines: Iterable[DueLine], *, today: date) -> list[DueLine]:
    found = [line for line in lines if line.category(today) is Category.OVERDUE]
    return sorted(found, key=lambda line: (line.due_on, line.agency_name, line.task_ref))


def upcoming(lines: Iterable[DueLine], *, today: date, days: int) -> list[DueLine]:
    """Open lines due from today to today + days (inclusive)."""
    found = [
        line
        for line in lines
        if line.status is not Status.DONE
        and line.due_on is not None
        and 0 <= (line.due_on - today).days <= days
    ]
    return sorted(found, key=lambda line: (line.due_on, line.agency_name, line.task_ref))


@dataclass(frozen=True)
class AgencySummary:
    agency_code: str
    agency_name: str
    counts: dict[Category, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get(Category.DONE_ON_TIME, 0) + self.counts.get(Category.DONE_LATE, 0)

    @property
    def due_so_far(self) -> int:
        """Items whose date has come: done (either way) or overdue."""
        return self.done + self.counts.get(Category.OVERDUE, 0)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the items due so far that were completed on time."""
        if not self.due_so_far:
            return None
        return self.counts.get(Category.DONE_ON_TIME, 0) / self.due_so_far


def province_summary(lines: Iterable[DueLine], *, today: date) -> list[AgencySummary]:
    """Counts per agency and category, worst first (most overdue, then lowest on-time rate)."""
    counters: dict[str, Counter[Category]] = {}
    names: dict[str, str] = {}
    for line in lines:
        counters.setdefault(line.agency_code, Counter())[line.category(today)] += 1
        names[line.agency_code] = line.agency_name
    rows = [AgencySummary(code, names[code], dict(counter)) for code, counter in counters.items()]
    rows.sort(
        key=lambda r: (
            -r.counts.get(Category.OVERDUE, 0),
            r.on_time_rate if r.on_time_rate is not None else 2.0,
            r.agency_name,
        )
    )
    return rows


def totals(rows: Sequence[AgencySummary]) -> Counter[Category]:
    total: Counter[Category] = Counter()
    for row in rows:
        total.update(row.counts)
    return total
