"""Figures for /tiendo, /quahan, /sapden and the digests: pure functions over due lines."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.status import Category, Status, category
from bot.domain.text import natural_key


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
    # Why it is not reminded (bot.domain.kinds.HoldKind value: snooze, pause, waive) and until
    # when: an open item on hold is shown as such, never as overdue.
    hold: str | None = None
    hold_until: date | None = None

    @property
    def held(self) -> bool:
        return self.hold is not None and self.status is not Status.DONE

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
    unknown: list[DueLine] = field(default_factory=list)  # "chưa cập nhật": before the plan was followed
    held: list[DueLine] = field(default_factory=list)  # snoozed, agency paused, "không thực hiện"

    @property
    def total(self) -> int:
        return sum(len(group) for group in self.groups())

    def groups(self) -> tuple[list[DueLine], ...]:
        return (
            self.overdue, self.due_soon, self.in_progress, self.done, self.no_deadline, self.later, self.unknown,
            self.held,
        )


def agency_progress(lines: Iterable[DueLine], *, today: date, soon_days: int = 14) -> AgencyProgress:
    """Sort lines: overdue, due within `soon_days`, reported in progress, done, undated, later;
    open lines on hold apart (`held`: listed as such, not as overdue)."""
    result = AgencyProgress()
    for line in lines:
        cat = line.category(today)
        if line.held:
            result.held.append(line)
        elif cat in (Category.DONE_ON_TIME, Category.DONE_LATE):
            result.done.append(line)
        elif cat is Category.OVERDUE:
            result.overdue.append(line)
        elif cat is Category.NO_DEADLINE:
            result.no_deadline.append(line)
        elif cat is Category.UNCONFIRMED:
            result.unknown.append(line)
        elif line.days_left(today) is not None and line.days_left(today) <= soon_days:  # type: ignore[operator]
            result.due_soon.append(line)
        elif cat is Category.ON_TRACK:
            result.in_progress.append(line)
        else:
            result.later.append(line)
    by_date = lambda line: (line.due_on or date.max, line.plan_number, natural_key(line.task_ref))  # noqa: E731
    for group in result.groups():
        group.sort(key=by_date)
    result.done.sort(key=lambda line: (line.completed_on or date.min), reverse=True)
    return result


def with_holds(
    lines: Iterable[DueLine],
    items: Mapping[int, tuple[str, date | None]],
    agencies: Mapping[str, tuple[str, date | None]],
) -> list[DueLine]:
    """The lines with the hold in force on each: its own (snooze, "không thực hiện"), else
    its agency's pause (`agencies` by code, as lines carry it)."""
    result = []
    for line in lines:
        hold = items.get(line.due_item_id) if line.due_item_id is not None else None
        if hold is None and line.due_on is not None:
            hold = agencies.get(line.agency_code)
        result.append(line if hold is None else replace(line, hold=hold[0], hold_until=hold[1]))
    return result


def overdue(lines: Iterable[DueLine], *, today: date) -> list[DueLine]:
    found = [line for line in lines if line.category(today) is Category.OVERDUE and not line.held]
    return sorted(found, key=lambda line: (line.due_on, line.agency_name, natural_key(line.task_ref)))


def upcoming(lines: Iterable[DueLine], *, today: date, days: int) -> list[DueLine]:
    """Open lines due from today to today + days (inclusive)."""
    found = [
        line
        for line in lines
        if line.status.is_followed  # not done, not "chưa cập nhật"
        and not line.held
        and line.due_on is not None
        and 0 <= (line.due_on - today).days <= days
    ]
    return sorted(found, key=lambda line: (line.due_on, line.agency_name, natural_key(line.task_ref)))


@dataclass(frozen=True)
class AgencySummary:
    agency_code: str
    agency_name: str
    counts: dict[Category, int]
    held: int = 0  # open items on hold or "không thực hiện": in no category (not overdue)

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.held

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
    held: Counter[str] = Counter()
    names: dict[str, str] = {}
    for line in lines:
        counter = counters.setdefault(line.agency_code, Counter())
        if line.held:
            held[line.agency_code] += 1
        else:
            counter[line.category(today)] += 1
        names[line.agency_code] = line.agency_name
    rows = [AgencySummary(code, names[code], dict(counter), held[code]) for code, counter in counters.items()]
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


# --- weekly digests and monthly reports ---------------------------------------------------
# The figures themselves are counted in SQL (bot/services/digests.py) from the due items and
# their history as of the digest date; this part only names them, derives the rates, ranks
# agencies and decides when a digest is due. `Figures.of_rows` counts the same thing in
# Python: the tests hold the two against each other.

WAIVE = "waive"  # bot.domain.kinds.HoldKind.WAIVE: "không thực hiện"
OVERDUE_LONG_DAYS = 30
OVERDUE_VERY_LONG_DAYS = 90
SOON_DAYS = 14
SILENT_DAYS = 14  # an agency that answered no reminder for this long is named


class DigestKind(StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class DigestPeriod:
    """What a digest covers: changes from `start` to `end` (inclusive), figures as they stood
    at the end of `end` (the "as of" date)."""

    kind: DigestKind
    start: date
    end: date

    @property
    def as_of(self) -> date:
        return self.end

    @property
    def is_full_month(self) -> bool:
        return self.kind is DigestKind.MONTH and self.start.day == 1 and (self.end + timedelta(days=1)).day == 1

    @property
    def week_end(self) -> date:
        """The Sunday closing a week period (its `end` when the week is complete)."""
        return self.start + timedelta(days=6)

    @property
    def is_full_week(self) -> bool:
        return self.kind is DigestKind.WEEK and self.start.weekday() == 0 and self.end == self.week_end


def week_period(as_of: date) -> DigestPeriod:
    """The calendar week (Monday–Sunday) of `as_of`, up to `as_of`: a whole week when
    `as_of` is a Sunday, else the days of the week so far (like a month to date)."""
    return DigestPeriod(DigestKind.WEEK, as_of - timedelta(days=as_of.weekday()), as_of)


def month_period(as_of: date) -> DigestPeriod:
    """From the first of `as_of`'s month to `as_of` (a whole month when it is the last day)."""
    return DigestPeriod(DigestKind.MONTH, as_of.replace(day=1), as_of)


def digest_period(kind: DigestKind, as_of: date) -> DigestPeriod:
    return week_period(as_of) if kind is DigestKind.WEEK else month_period(as_of)


class WorkingDays(Protocol):
    def next_working_day(self, d: date) -> date: ...


def first_working_day(year: int, month: int, calendar: WorkingDays) -> date:
    return calendar.next_working_day(date(year, month, 1))


def scheduled_digests(
    now: datetime,
    *,
    weekday: int,
    at: time,
    calendar: WorkingDays,
    catch_up_days: int = 1,
) -> list[DigestPeriod]:
    """The digests whose sending time has come, looking back `catch_up_days` days.

    `now` is the province's local time. Outcomes:
    - weekly: on `weekday` (0 = Monday) from `at` on, the last whole week (Monday–Sunday)
      that ended before that day — on a Monday the week just ended, on a Thursday too;
    - monthly: on the first working day of a month (holidays and Tết skipped, make-up
      Saturdays counted) from `at` on, the whole previous month;
    - a day missed (the bot was down) is still sent up to `catch_up_days` later; older
      ones are not — a stale digest is worse than none, the next one comes anyway.
    Callers send each period once (the digest runs table), so repeating this is harmless.
    """
    today = now.date()
    due: list[DigestPeriod] = []
    for back in range(catch_up_days + 1):
        day = today - timedelta(days=back)
        if back == 0 and now.time().replace(tzinfo=None) < at.replace(tzinfo=None):
            continue
        if day.weekday() == weekday:
            due.append(week_period(day - timedelta(days=day.weekday() + 1)))
        if day == first_working_day(day.year, day.month, calendar):
            due.append(month_period(day.replace(day=1) - timedelta(days=1)))
    return sorted(set(due), key=lambda p: (p.end, p.kind))


@dataclass(frozen=True)
class Figures:
    """Counts of due items by reporting category, as of one date.

    `overdue_30`/`overdue_90` are the overdue items late by more than 30/90 days (a part of
    `overdue`); `done_early` the items done on time whose due date is still ahead (a part of
    `done_on_time`). "Due so far" are the items whose due date has come: done on time among
    them, done late, or overdue. The completion rate is done/due so far, the on-time rate
    done on time/due so far; both None when nothing is due yet.

    Counted apart, in none of the categories above: `unconfirmed` ("chưa cập nhật": due
    before the bot followed the plan, not answered yet), `held` (open, reminders snoozed or
    the agency paused) and `waived` ("không thực hiện": dropped by an admin). They are in the
    total; none is "due so far" (not overdue); waived ones are not deadlines any more.
    """

    not_due: int = 0
    on_track: int = 0
    overdue: int = 0
    overdue_30: int = 0
    overdue_90: int = 0
    done_on_time: int = 0
    done_early: int = 0
    done_late: int = 0
    no_deadline: int = 0
    unconfirmed: int = 0
    held: int = 0
    waived: int = 0

    @property
    def total(self) -> int:
        return (
            self.not_due + self.on_track + self.overdue + self.done_on_time + self.done_late + self.no_deadline
            + self.unconfirmed + self.held + self.waived
        )

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def dated(self) -> int:
        """Deadlines ("mốc thời hạn"): the items with a due date, due or not (dropped ones aside)."""
        return self.total - self.no_deadline - self.waived

    @property
    def completion_rate_all(self) -> float | None:
        """Done (early ones included) over every deadline of the plans, due or not."""
        return self.done / self.dated if self.dated else None

    @property
    def in_term(self) -> int:
        """Open and not late: reported in progress, or nothing reported and not due yet."""
        return self.not_due + self.on_track

    @property
    def done_due(self) -> int:
        return self.done - self.done_early

    @property
    def done_on_time_due(self) -> int:
        """Done on time among the items due so far (the early ones aside)."""
        return self.done_on_time - self.done_early

    @property
    def due_so_far(self) -> int:
        return self.done_due + self.overdue

    @property
    def completion_rate(self) -> float | None:
        return self.done_due / self.due_so_far if self.due_so_far else None

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time_due / self.due_so_far if self.due_so_far else None

    def counts(self) -> dict[Category, int]:
        return {
            Category.OVERDUE: self.overdue,
            Category.DONE_LATE: self.done_late,
            Category.ON_TRACK: self.on_track,
            Category.NOT_DUE: self.not_due,
            Category.DONE_ON_TIME: self.done_on_time,
            Category.NO_DEADLINE: self.no_deadline,
        }

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{name: getattr(self, name) + getattr(other, name) for name in _FIGURE_FIELDS})

    @classmethod
    def of(cls, category: Category, due_on: date | None, today: date, hold: str | None = None) -> Figures:
        """One item's contribution (`hold`: a HoldKind value — an open item on hold counts as held or waived)."""
        if hold is not None and category not in (Category.DONE_ON_TIME, Category.DONE_LATE):
            return cls(waived=int(hold == WAIVE), held=int(hold != WAIVE))
        late = (today - due_on).days if due_on is not None else 0
        return cls(
            not_due=int(category is Category.NOT_DUE),
            on_track=int(category is Category.ON_TRACK),
            overdue=int(category is Category.OVERDUE),
            overdue_30=int(category is Category.OVERDUE and late > OVERDUE_LONG_DAYS),
            overdue_90=int(category is Category.OVERDUE and late > OVERDUE_VERY_LONG_DAYS),
            done_on_time=int(category is Category.DONE_ON_TIME),
            done_early=int(category is Category.DONE_ON_TIME and due_on is not None and due_on > today),
            done_late=int(category is Category.DONE_LATE),
            no_deadline=int(category is Category.NO_DEADLINE),
            unconfirmed=int(category is Category.UNCONFIRMED),
        )

    @classmethod
    def of_rows(cls, rows: Iterable[ReportRow], today: date) -> Figures:
        total = cls()
        for row in rows:
            total = total + cls.of(row.category, row.due_on, today, row.hold)
        return total


_FIGURE_FIELDS = tuple(Figures.__dataclass_fields__)


@dataclass(frozen=True)
class AgencyFigures:
    agency_code: str
    agency_name: str
    figures: Figures


@dataclass(frozen=True)
class PlanFigures:
    plan_number: str
    plan_title: str | None
    figures: Figures
    tasks: int = 0  # tasks of the plan (a task has one deadline per lead agency and date)
    unassigned: int = 0  # of them, with no lead agency ("chưa giao")
    period: tuple[int, int] | None = None  # the years the plan covers


@dataclass(frozen=True)
class UnassignedTask:
    """A task of a plan in force with no lead agency: nobody is reminded of it, so the
    admins and leaders are shown it until someone assigns it ("chưa giao")."""

    task_id: int
    plan_number: str
    task_ref: str
    title: str
    deadline_text: str
    position: int = 0
    product: str | None = None
    support_text: str | None = None


@dataclass(frozen=True)
class TaskDue:
    """One task due on one date, with every lead agency owing it (a task led by three
    agencies is one line naming the three, not three lines)."""

    line: DueLine
    agency_names: tuple[str, ...]


def by_task(lines: Iterable[DueLine]) -> list[TaskDue]:
    """Lines grouped by (task, due date) in the order of each group's first line; the
    agencies in the order they came, each once."""
    groups: dict[tuple[int, date | None], list[DueLine]] = {}
    for line in lines:
        groups.setdefault((line.task_id, line.due_on), []).append(line)
    return [
        TaskDue(group[0], tuple(dict.fromkeys(line.agency_name for line in group)))
        for group in groups.values()
    ]


def rank_agencies(rows: Iterable[AgencyFigures]) -> list[AgencyFigures]:
    """Worst first: most overdue, then the lowest on-time rate, then the longest late."""
    return sorted(
        rows,
        key=lambda r: (
            -r.figures.overdue,
            r.figures.on_time_rate if r.figures.on_time_rate is not None else 2.0,
            -r.figures.overdue_90,
            r.agency_name,
        ),
    )


def merge_agencies(
    rows: Iterable[tuple[int, Figures]], current: Mapping[int, tuple[str, str]]
) -> list[AgencyFigures]:
    """Per-agency figures with merged-away agencies added to their successor.

    `current` maps an agency id to the (code, name) of the agency doing its work today.
    """
    merged: dict[str, Figures] = {}
    names: dict[str, str] = {}
    for agency_id, figures in rows:
        code, name = current[agency_id]
        merged[code] = merged.get(code, Figures()) + figures
        names[code] = name
    return [AgencyFigures(code, names[code], figures) for code, figures in merged.items()]


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One line of the workbook: a due item (or an undated task's lead agency) as of a date."""

    plan_number: str
    position: int
    task_id: int
    task_ref: str
    title: str
    product: str | None
    support_text: str | None
    deadline_text: str
    agency_code: str
    agency_name: str
    due_on: date | None
    original_due_on: date | None
    category: Category
    status: Status
    progress: int
    updated_on: date | None
    note: str | None
    completed_on: date | None = None
    due_item_id: int | None = None
    hold: str | None = None  # as DueLine.hold, as of the report's date
    hold_until: date | None = None

    @property
    def held(self) -> bool:
        return self.hold is not None and self.category not in (Category.DONE_ON_TIME, Category.DONE_LATE)

    def line(self) -> DueLine:
        return DueLine(
            task_id=self.task_id,
            task_ref=self.task_ref,
            plan_number=self.plan_number,
            title=self.title,
            agency_code=self.agency_code,
            agency_name=self.agency_name,
            due_on=self.due_on,
            status=self.status,
            progress=self.progress,
            completed_on=self.completed_on,
            original_due_on=self.original_due_on,
            due_item_id=self.due_item_id,
            hold=self.hold,
            hold_until=self.hold_until,
        )


@dataclass(frozen=True)
class DigestEvent:
    """Something that happened to a due item within the period (or is waiting at its end)."""

    line: DueLine
    on: date
    note: str | None = None
    actor: str | None = None
    proposed_due_on: date | None = None  # an extension request's date


@dataclass
class Digest:
    """Everything a weekly digest or a monthly report says, as of `period.as_of`."""

    province_name: str
    period: DigestPeriod
    total: Figures
    plans: list[PlanFigures]
    agencies: list[AgencyFigures]  # ranked, worst first
    unreachable: list[str] = field(default_factory=list)  # open work, every chat lost (bot removed, blocked)
    unbound: list[str] = field(default_factory=list)  # open work, no chat ever bound
    silent: list[str] = field(default_factory=list)  # reminded, no answer for SILENT_DAYS
    completed: list[DigestEvent] = field(default_factory=list)
    new_blockers: list[DigestEvent] = field(default_factory=list)
    extension_requests: list[DigestEvent] = field(default_factory=list)  # waiting at the end
    became_overdue: list[DigestEvent] = field(default_factory=list)
    due_soon: list[DueLine] = field(default_factory=list)
    rows: list[ReportRow] = field(default_factory=list)  # the workbook's, at most MAX_WORKBOOK_ROWS
    soon_days: int = SOON_DAYS
    rows_total: int | None = None  # rows before the cap (None: not capped, `rows` is all)

    @property
    def rows_capped(self) -> bool:
        return self.rows_total is not None and self.rows_total > len(self.rows)
    tasks: int = 0  # tasks of the plans in force (deadlines are `total.dated`)
    unassigned: list[UnassignedTask] = field(default_factory=list)  # no lead agency

    @property
    def as_of(self) -> date:
        return self.period.as_of

    @property
    def changed(self) -> bool:
        return bool(self.completed or self.new_blockers or self.extension_requests or self.became_overdue)

    @property
    def quiet(self) -> bool:
        """Nothing overdue, nothing due soon, nothing changed, every task assigned: one
        short line is enough."""
        return not (self.total.overdue or self.due_soon or self.changed or self.unassigned)


# --- the workbook's rows at province scale ------------------------------------------------
# 100,000 tasks make 130,000 rows: a workbook nobody reads to the end, and seconds of CPU to
# write (bench/xlsx_writers.py). The figures always count everything (in SQL); the detail
# rows are capped, keeping first what the leaders act on.

MAX_WORKBOOK_ROWS = 10_000


def workbook_rank(row: ReportRow, period: DigestPeriod, soon_days: int) -> tuple[int, int]:
    """Which rows a capped workbook keeps first (lower first). Outcomes, in order:
    0 overdue (the longest overdue first); 1 blocked or extension requested; 2 due within
    `soon_days`; 3 done within the period; 4 in progress; 5 not due yet; 6 done earlier;
    7 no deadline, or on hold / "không thực hiện". The second number orders within a class (the due date's ordinal)."""
    due = row.due_on.toordinal() if row.due_on is not None else date.max.toordinal()
    today = period.as_of
    if row.held:  # on hold, or "không thực hiện": with the undated, never as overdue
        return 7, due
    if row.category is Category.OVERDUE:
        return 0, due
    if row.status in (Status.BLOCKED, Status.EXTENSION_REQUESTED):
        return 1, due
    done = row.category in (Category.DONE_ON_TIME, Category.DONE_LATE)
    if not done and row.due_on is not None and 0 <= (row.due_on - today).days <= soon_days:
        return 2, due
    if done:
        recent = row.completed_on is not None and period.start <= row.completed_on <= today
        return (3 if recent else 6), due
    if row.category is Category.ON_TRACK:
        return 4, due
    if row.category is Category.NOT_DUE:
        return 5, due
    return 7, due


class RowSelection:
    """The `limit` best-ranked rows of a stream (workbook_rank), in their sort order."""

    def __init__(self, *, period: DigestPeriod, soon_days: int, limit: int = MAX_WORKBOOK_ROWS) -> None:
        self.period = period
        self.soon_days = soon_days
        self.limit = limit
        self.total = 0
        # A max-heap by rank (negated): its top is the worst row kept, replaced by a better one.
        self._heap: list[tuple[int, int, int, tuple[object, ...], ReportRow]] = []

    def add(self, sort_key: tuple[object, ...], row: ReportRow) -> None:
        self.total += 1
        rank, within = workbook_rank(row, self.period, self.soon_days)
        entry = (-rank, -within, -self.total, sort_key, row)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def rows(self) -> list[ReportRow]:
        kept = sorted(self._heap, key=lambda entry: entry[3])
        return [entry[4] for entry in kept]
