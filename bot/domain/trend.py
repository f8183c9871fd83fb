"""Completion over time: the province's due items grouped by the week or month they fall
due in, each period split by outcome (done on time, done late, overdue, still in term).

Pure: takes (due date, category, count) rows and the periods wanted; the chart is drawn by
bot.render.trend, the rows are counted by bot.db.figures.trend_counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.digest import DigestKind
from bot.domain.status import Category

PERIODS = 12


@dataclass
class TrendBucket:
    start: date
    end: date  # inclusive
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    in_term: int = 0  # not due yet, or due and being worked on within its term
    unconfirmed: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.overdue + self.in_term + self.unconfirmed

    @property
    def on_time_rate(self) -> float | None:
        """Done on time among the items whose outcome is known (done or overdue)."""
        judged = self.on_time + self.late + self.overdue
        return self.on_time / judged if judged else None


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_starts(kind: DigestKind, last_day: date, periods: int = PERIODS) -> list[date]:
    """The first days of the `periods` weeks (Monday) or months ending with the one holding
    `last_day`, oldest first."""
    if kind is DigestKind.WEEK:
        monday = last_day - timedelta(days=last_day.weekday())
        return [monday - timedelta(weeks=n) for n in range(periods - 1, -1, -1)]
    starts = [_month_start(last_day)]
    while len(starts) < periods:
        starts.insert(0, _month_start(starts[0] - timedelta(days=1)))
    return starts


def trend_buckets(
    rows: Iterable[tuple[date, str, int]], *, kind: DigestKind, last_day: date, periods: int = PERIODS
) -> list[TrendBucket]:
    """The periods ending with the one holding `last_day`, each with its items' outcomes."""
    starts = period_starts(kind, last_day, periods)
    buckets = []
    for n, start in enumerate(starts):
        if n + 1 < len(starts):
            end = starts[n + 1] - timedelta(days=1)
        else:
            end = start + timedelta(days=6) if kind is DigestKind.WEEK else _next_month(start) - timedelta(days=1)
        buckets.append(TrendBucket(start, end))
    for due_on, category, count in rows:
        bucket = next((b for b in buckets if b.start <= due_on <= b.end), None)
        if bucket is None:
            continue
        if category == Category.DONE_ON_TIME.value:
            bucket.on_time += count
        elif category == Category.DONE_LATE.value:
            bucket.late += count
        elif category == Category.OVERDUE.value:
            bucket.overdue += count
        elif category == Category.UNCONFIRMED.value:
            bucket.unconfirmed += count
        else:
            bucket.in_term += count
    return buckets
