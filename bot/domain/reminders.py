"""Which reminders are due on a date: the reminder policy (pure; dates are passed in).

Outcomes for one open due item with due date D on a day T:

- T is not a working day (weekend, public holiday, extra day off): no reminder at all.
- Before the due date: a reminder is due on each of D − 30, D − 14, D − 7, D − 3, D − 1 and
  D itself (`ReminderPolicy.days_before`, calendar days). A day that falls on a day off moves
  to the PREVIOUS working day (the agency hears about it before the break, never after), so
  two offsets can land on the same day (D on a Saturday: "1 day before" and "on the day" both
  fall on Friday) — the item is then listed once.
- After the due date (T > D): every `overdue_every` working days, starting with the first
  working day after D: w = working days in (D, T], reminded when (w − 1) % 3 == 0, i.e. on
  the 1st, 4th, 7th … working day after the due date.
- Done items, cancelled items and items without a date are never reminded (undated tasks
  show up in /tiendo and the digests as "chưa xác định thời hạn" instead).
- Escalation follows the ladder (bot.domain.escalation: agency → office → leaders by days
  overdue; ESCALATION_LADDER, or REMINDER_ESCALATE_AFTER's "more than 14 days" for the
  leaders): the agency's overdue reminders start at the agency rung (default the first
  working day after D); the office and the leaders are alerted once per item.
- Nudge: an item reported in progress, not overdue, with no report for `nudge_after`
  working days (n = working days since the last report) is listed once more on the days
  n = N, 2N, 3N … (at most once per N working days; 0 disables), in the same daily message.

The engine does not evaluate this per item over the whole database: `select_due_dates`
inverts the rules into the set of due dates that have a reminder on T, so one SQL query
over the indexed `due_on` column finds the items (`reminder_kind` is the per-item form;
a property test checks that both agree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.domain.codes import task_code
from bot.domain.escalation import EscalationLadder, Rung, legacy_ladder, overdue_working_days
from bot.domain.status import Status
from bot.domain.text import natural_key

DEFAULT_DAYS_BEFORE: tuple[int, ...] = (30, 14, 7, 3, 1, 0)
DEFAULT_OVERDUE_EVERY = 3
DEFAULT_ESCALATE_AFTER = 14
# An item in progress with no report for this many working days is nudged (0: never).
DEFAULT_NUDGE_AFTER = 10
# A day's reminder shows this many items in full; the rest are counted and left to the
# console or /tiendo (one message per chat per day, never a series of parts).
DEFAULT_MAX_SHOWN = 10
# The leaders' alert names the few items overdue longest (the full list is the Excel file).
DEFAULT_WORST_SHOWN = 5
# Succession chains are short (one or two mergers); the bound guards against cycles.
_MAX_SUCCESSION_HOPS = 10


class Calendar(Protocol):
    """What the policy needs of bot.domain.calendar.WorkCalendar."""

    def is_working_day(self, d: date) -> bool: ...
    def previous_working_day(self, d: date) -> date: ...
    def next_working_day(self, d: date) -> date: ...


class ReminderKind(StrEnum):
    DUE_SOON = "due_soon"  # before the due date, or on it
    OVERDUE = "overdue"
    NUDGE = "nudge"  # in progress, not due yet, nothing reported for `nudge_after` working days


@dataclass(frozen=True)
class ReminderPolicy:
    """When to remind. Defaults: 30, 14, 7, 3, 1 days before and on the day; every 3 working
    days while overdue; escalate after 14 days overdue (or along `ladder`); nudge an item in
    progress silent for 10 working days; a day's reminder shows 10 items in full, the
    leaders' alert the 5 worst."""

    days_before: tuple[int, ...] = DEFAULT_DAYS_BEFORE
    overdue_every: int = DEFAULT_OVERDUE_EVERY
    escalate_after: int = DEFAULT_ESCALATE_AFTER
    max_shown: int = DEFAULT_MAX_SHOWN
    worst_shown: int = DEFAULT_WORST_SHOWN
    ladder: EscalationLadder | None = None  # None: legacy_ladder(escalate_after)
    nudge_after: int = DEFAULT_NUDGE_AFTER

    @property
    def escalation(self) -> EscalationLadder:
        """The escalation ladder in force (ESCALATION_LADDER, else REMINDER_ESCALATE_AFTER's)."""
        return self.ladder if self.ladder is not None else legacy_ladder(self.escalate_after)

    def __post_init__(self) -> None:
        if not self.days_before or any(k < 0 for k in self.days_before):
            raise ValueError(f"days_before must be non-negative day counts: {self.days_before!r}")
        object.__setattr__(self, "days_before", tuple(sorted(set(self.days_before), reverse=True)))
        if self.overdue_every < 1:
            raise ValueError(f"overdue_every must be at least 1: {self.overdue_every}")
        if self.escalate_after < 0:
            raise ValueError(f"escalate_after must not be negative: {self.escalate_after}")
        if self.nudge_after < 0:
            raise ValueError(f"nudge_after must not be negative: {self.nudge_after}")
        if self.max_shown < 1 or self.worst_shown < 1:
            raise ValueError(f"max_shown and worst_shown must be at least 1: {self.max_shown}, {self.worst_shown}")


def parse_days_before(text: str) -> tuple[int, ...]:
    """'30,14,7,3,1,0' → (30, 14, 7, 3, 1, 0); ValueError on anything else."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected day counts separated by commas, e.g. 30,14,7,3,1,0: {text!r}")
    return tuple(sorted({int(p) for p in parts}, reverse=True))


# --- one item ------------------------------------------------------------------------------


def pre_due_days(due_on: date, *, calendar: Calendar, policy: ReminderPolicy) -> list[date]:
    """The working days on which reminders before (and on) `due_on` go out, earliest first."""
    return sorted({calendar.previous_working_day(due_on - timedelta(days=k)) for k in policy.days_before})


def reminder_kind(
    due_on: date, today: date, *, calendar: Calendar, policy: ReminderPolicy
) -> ReminderKind | None:
    """Whether an open item due on `due_on` is reminded on `today`, and how (see module doc)."""
    if not calendar.is_working_day(today):
        return None
    if due_on >= today:
        if today in pre_due_days(due_on, calendar=calendar, policy=policy):
            return ReminderKind.DUE_SOON
        return None
    worked = overdue_working_days(due_on, today, calendar)
    first = policy.escalation.agency_from
    return ReminderKind.OVERDUE if worked >= first and (worked - first) % policy.overdue_every == 0 else None


def overdue_days(due_on: date, today: date) -> int:
    """Calendar days past the due date (0 on the day itself or before)."""
    return max(0, (today - due_on).days)


def is_escalated(due_on: date, today: date, *, policy: ReminderPolicy, calendar: Calendar | None = None) -> bool:
    """Reached the leaders' rung of the ladder (by default: more than `escalate_after` days overdue)."""
    return policy.escalation.reached(Rung.LEADERS, due_on, today, calendar or _NO_CALENDAR)


def escalation_cutoff(today: date, *, policy: ReminderPolicy, calendar: Calendar | None = None) -> date:
    """The latest due date that is escalated to the leaders on `today` (due_on <= cutoff ⇔
    escalated); a ladder without a leaders' rung escalates nothing (date.min)."""
    cutoff = policy.escalation.cutoff(Rung.LEADERS, today, calendar or _NO_CALENDAR)
    return cutoff if cutoff is not None else date.min


class _NoCalendar:
    """For the calendar-day ladder only: a working-day step without a calendar is a bug."""

    def is_working_day(self, d: date) -> bool:
        raise TypeError("a working-day escalation ladder needs the calendar")


_NO_CALENDAR = _NoCalendar()


# --- nudges: in progress, nothing reported for a while ----------------------------------------


def nudge_days(last_report: date, today: date, *, calendar: Calendar, policy: ReminderPolicy) -> int | None:
    """Working days without a report when a nudge is due on `today` (n = N, 2N, 3N …), else None."""
    every = policy.nudge_after
    if every <= 0 or not calendar.is_working_day(today):
        return None
    silent = overdue_working_days(last_report, today, calendar)
    return silent if silent >= every and silent % every == 0 else None


# --- a whole day: the due dates to look for -------------------------------------------------


@dataclass(frozen=True)
class DueDateSelection:
    """The due dates whose open items are reminded on `today`, by kind."""

    today: date
    due_soon: frozenset[date] = frozenset()
    overdue: frozenset[date] = frozenset()

    @property
    def dates(self) -> frozenset[date]:
        return self.due_soon | self.overdue

    def kind(self, due_on: date) -> ReminderKind | None:
        if due_on in self.due_soon:
            return ReminderKind.DUE_SOON
        if due_on in self.overdue:
            return ReminderKind.OVERDUE
        return None

    def __bool__(self) -> bool:
        return bool(self.due_soon or self.overdue)


def select_due_dates(
    today: date, *, calendar: Calendar, policy: ReminderPolicy, earliest: date | None
) -> DueDateSelection:
    """Invert the policy: every due date with a reminder on `today`.

    `earliest` is the oldest due date still open (None: nothing is overdue); overdue dates are
    only listed back to it, so the list stays as short as the data allows.

    Before the due date: a reminder moved back to `today` came from a nominal day R with
    previous_working_day(R) == today, i.e. R in [today, next working day); so D = R + k.
    Overdue: walking back from today, w = working days in (d, today] grows by one each time a
    working day is passed; d qualifies when (w − 1) % every == 0.
    """
    if not calendar.is_working_day(today):
        return DueDateSelection(today)
    next_working = calendar.next_working_day(today + timedelta(days=1))
    nominal = [today + timedelta(days=i) for i in range((next_working - today).days)]
    due_soon = frozenset(r + timedelta(days=k) for r in nominal for k in policy.days_before)

    overdue: set[date] = set()
    first = policy.escalation.agency_from
    if earliest is not None and earliest < today:
        worked = 1  # today itself is a working day: w(today − 1) == 1
        d = today - timedelta(days=1)
        while d >= earliest:
            if worked >= first and (worked - first) % policy.overdue_every == 0:
                overdue.add(d)
            if calendar.is_working_day(d):
                worked += 1
            d -= timedelta(days=1)
    return DueDateSelection(today, due_soon, frozenset(overdue))


# --- items and messages -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderItem:
    """One open due item as a reminder shows it."""

    due_item_id: int
    task_id: int
    task_ref: str
    plan_number: str
    title: str
    agency_id: int  # the agency named in the plan (may since have merged into another)
    agency_name: str
    due_on: date
    original_due_on: date
    status: Status = Status.PENDING
    progress: int = 0
    province_id: int | None = None

    @property
    def extended(self) -> bool:
        return self.due_on != self.original_due_on


@dataclass(frozen=True)
class Reminder:
    item: ReminderItem
    kind: ReminderKind
    days: int  # days left (DUE_SOON, ≥ 0) or days overdue (OVERDUE, > 0)
    inherited_from: str | None = None  # the merged agency whose item this is
    # Other due items of the same task and date that reach the same recipient (through a
    # merged agency, or a second name of the agency): shown once, answered once.
    twin_ids: tuple[int, ...] = ()
    # Other due dates of the same task reminded to the same recipient today (a yearly task
    # overdue for several years): one line, the most urgent date leading, these mentioned.
    other_due: tuple[date, ...] = ()

    @property
    def due_today(self) -> bool:
        return self.kind is ReminderKind.DUE_SOON and self.days == 0

    @property
    def due_item_ids(self) -> tuple[int, ...]:
        return (self.item.due_item_id, *self.twin_ids)


def due_reminders(
    items: Iterable[ReminderItem],
    *,
    today: date,
    calendar: Calendar,
    policy: ReminderPolicy,
    selection: DueDateSelection | None = None,
) -> list[Reminder]:
    """The items reminded on `today`, overdue first (oldest first), then due soon (nearest first).

    Done items are skipped. Pass the day's `selection` to classify in O(1) per item.
    """
    found: list[Reminder] = []
    for item in items:
        if not item.status.is_followed:  # done, or "chưa cập nhật" (asked once instead)
            continue
        kind = (
            selection.kind(item.due_on)
            if selection is not None
            else reminder_kind(item.due_on, today, calendar=calendar, policy=policy)
        )
        if kind is None:
            continue
        days = overdue_days(item.due_on, today) if kind is ReminderKind.OVERDUE else (item.due_on - today).days
        found.append(Reminder(item, kind, days))
    return sort_reminders(found)


def due_nudges(
    items: Iterable[tuple[ReminderItem, date]],
    *,
    today: date,
    calendar: Calendar,
    policy: ReminderPolicy,
    reminded: Iterable[int] = (),
) -> list[Reminder]:
    """Items in progress to nudge on `today`: (item, day of its last report) pairs; an item
    already reminded today (`reminded` ids), overdue, or in another status is left out.
    `days` is the working days without a report."""
    skip = set(reminded)
    found: list[Reminder] = []
    for item, last_report in items:
        if item.status is not Status.IN_PROGRESS or item.due_item_id in skip or item.due_on < today:
            continue
        days = nudge_days(last_report, today, calendar=calendar, policy=policy)
        if days is not None:
            found.append(Reminder(item, ReminderKind.NUDGE, days))
    return sort_reminders(found)


class Urgency(StrEnum):
    """The sections of a reminder, most urgent first."""

    TODAY = "today"  # due today
    OVERDUE = "overdue"
    UPCOMING = "upcoming"
    QUIET = "quiet"  # in progress, no report for a while (a nudge)


def urgency(reminder: Reminder) -> Urgency:
    if reminder.kind is ReminderKind.OVERDUE:
        return Urgency.OVERDUE
    if reminder.kind is ReminderKind.NUDGE:
        return Urgency.QUIET
    return Urgency.TODAY if reminder.days == 0 else Urgency.UPCOMING


_URGENCY_ORDER = {Urgency.TODAY: 0, Urgency.OVERDUE: 1, Urgency.UPCOMING: 2, Urgency.QUIET: 3}


def urgency_key(reminder: Reminder) -> tuple[Any, ...]:
    """Most urgent first: due today; then overdue, the most recently due first (what slipped
    last week matters more than a 2021 date); then upcoming, the nearest first; then the
    nudges (in progress, silent), the nearest due date first. Within one
    day, tasks in natural order (never text order): by plan, the plan's own numbering
    (II.3 before II.11), then the code (NV2 before NV11)."""
    i = reminder.item
    section = urgency(reminder)
    day = -i.due_on.toordinal() if section is Urgency.OVERDUE else i.due_on.toordinal()
    return (
        _URGENCY_ORDER[section], day, natural_key(i.plan_number), natural_key(i.task_ref),
        natural_key(task_code(i.task_id)), i.due_item_id,
    )


def sort_reminders(reminders: Iterable[Reminder]) -> list[Reminder]:
    return sorted(reminders, key=urgency_key)


def succession_chain(agency_id: int, successor_of: Mapping[int, int | None]) -> list[int]:
    """[agency, its successor, the successor's successor, …] (cycle-safe)."""
    chain = [agency_id]
    while len(chain) <= _MAX_SUCCESSION_HOPS:
        nxt = successor_of.get(chain[-1])
        if nxt is None or nxt in chain:
            break
        chain.append(nxt)
    return chain


def recipient_agency(
    agency_id: int, successor_of: Mapping[int, int | None], reachable: Callable[[int], bool]
) -> tuple[int, bool]:
    """Who gets an agency's reminders: (agency id, reachable?).

    The agency doing the work today — the end of its succession chain — if it has a chat;
    otherwise the latest agency along the chain that still has one (an old group is better
    than nobody); otherwise the end of the chain, unreachable.
    """
    chain = succession_chain(agency_id, successor_of)
    for candidate in reversed(chain):
        if reachable(candidate):
            return candidate, True
    return chain[-1], False


@dataclass
class AgencyReminders:
    """One recipient agency's reminders for a day, in message order."""

    agency_id: int
    agency_name: str
    reachable: bool = True
    reminders: list[Reminder] = field(default_factory=list)
    # Items of unknown status ("chưa cập nhật", due before the plan was followed) not asked
    # yet: listed once, after the reminders, for the agency to confirm (plan, task, date order).
    unknown: list[ReminderItem] = field(default_factory=list)

    @property
    def overdue(self) -> list[Reminder]:
        return [r for r in self.reminders if r.kind is ReminderKind.OVERDUE]

    @property
    def due_soon(self) -> list[Reminder]:
        return [r for r in self.reminders if r.kind is ReminderKind.DUE_SOON]

    @property
    def ordered(self) -> list[Reminder]:
        """Most urgent first (`urgency_key`): the numbering order of the message."""
        return sort_reminders(self.reminders)


def group_by_recipient(
    reminders: Sequence[Reminder],
    *,
    successor_of: Mapping[int, int | None],
    names: Mapping[int, str],
    reachable: Callable[[int], bool],
    unknown: Sequence[ReminderItem] = (),
) -> list[AgencyReminders]:
    """Consolidate the day's reminders per recipient agency (merged agencies → successor).

    A task appears once per recipient and due date: its due items that reach the same
    recipient (the agency's own and a merged predecessor's, or two names of one agency)
    become one line, the recipient's own item first, the others its `twin_ids`.
    `unknown`: items of unknown status, each to its recipient's `unknown` list.
    """
    groups: dict[int, AgencyReminders] = {}
    lines: dict[tuple[int, int, date], int] = {}  # (recipient, task, due date) → index in group
    ordered = sorted(reminders, key=lambda r: (r.item.task_id, r.item.due_on, r.item.due_item_id))
    for reminder in ordered:
        item = reminder.item
        recipient, ok = recipient_agency(item.agency_id, successor_of, reachable)
        group = groups.get(recipient)
        if group is None:
            group = groups[recipient] = AgencyReminders(
                recipient, names.get(recipient, item.agency_name), reachable=ok
            )
        inherited = item.agency_name if recipient != item.agency_id else None
        line = Reminder(item, reminder.kind, reminder.days, inherited)
        key = (recipient, item.task_id, item.due_on)
        index = lines.get(key)
        if index is None:
            lines[key] = len(group.reminders)
            group.reminders.append(line)
            continue
        first = group.reminders[index]
        if first.inherited_from is not None and inherited is None:
            # The recipient's own item leads the line; the inherited one becomes its twin.
            group.reminders[index] = Reminder(
                item, line.kind, line.days, None, (*first.twin_ids, first.item.due_item_id)
            )
        else:
            group.reminders[index] = Reminder(
                first.item, first.kind, first.days, first.inherited_from, (*first.twin_ids, item.due_item_id)
            )
    for group in groups.values():
        group.reminders = one_line_per_task(group.reminders)
    seen: set[int] = set()
    for item in unknown:
        if item.due_item_id in seen or item.status is not Status.UNKNOWN:
            continue
        seen.add(item.due_item_id)
        recipient, ok = recipient_agency(item.agency_id, successor_of, reachable)
        group = groups.get(recipient)
        if group is None:
            group = groups[recipient] = AgencyReminders(recipient, names.get(recipient, item.agency_name), reachable=ok)
        group.unknown.append(item)
    for group in groups.values():
        group.unknown.sort(key=unknown_order)
    return sorted(groups.values(), key=lambda g: (g.agency_name, g.agency_id))


def unknown_order(item: ReminderItem) -> tuple[Any, ...]:
    """Items to confirm: by plan, task (natural order), then due date — a task's dates together."""
    return (item.plan_number, natural_key(item.task_ref), item.task_id, item.due_on, item.due_item_id)


def one_line_per_task(reminders: Iterable[Reminder]) -> list[Reminder]:
    """Most urgent first, each task once: a task reminded for several due dates (a yearly
    task overdue for three years) keeps its most urgent line, the other dates in `other_due`
    (each date stays its own item: answering the line answers the date it shows)."""
    lines: dict[int, Reminder] = {}
    others: dict[int, list[date]] = {}
    for reminder in sort_reminders(reminders):
        task = reminder.item.task_id
        if task in lines:
            others[task].append(reminder.item.due_on)
        else:
            lines[task], others[task] = reminder, list(reminder.other_due)
    return [
        replace(r, other_due=tuple(sorted(others[t]))) if others[t] else r for t, r in lines.items()
    ]


# --- one message per chat and day -------------------------------------------------------------


@dataclass(frozen=True)
class DaySummary:
    """What a day's single reminder shows: the most urgent items in full, the rest counted."""

    shown: tuple[Reminder, ...]
    hidden: tuple[Reminder, ...] = ()

    @property
    def total(self) -> int:
        return len(self.shown) + len(self.hidden)

    def hidden_by_urgency(self) -> dict[Urgency, int]:
        counts = {u: 0 for u in Urgency}
        for r in self.hidden:
            counts[urgency(r)] += 1
        return {u: n for u, n in counts.items() if n}


def summarize_day(reminders: Sequence[Reminder], *, max_shown: int = DEFAULT_MAX_SHOWN) -> DaySummary:
    """The day's reminder for one chat: the `max_shown` most urgent items (a list one longer
    than that is shown whole rather than hiding a single item)."""
    ordered = sort_reminders(reminders)
    if len(ordered) <= max_shown + 1:
        return DaySummary(tuple(ordered))
    return DaySummary(tuple(ordered[:max_shown]), tuple(ordered[max_shown:]))


@dataclass(frozen=True)
class EscalationSummary:
    """The leaders' one alert of a day: counts per agency (most first) and the worst items."""

    total: int
    by_agency: tuple[tuple[str, int], ...]
    worst: tuple[Reminder, ...]
    reminders: tuple[Reminder, ...]  # all, most overdue first (the Excel file)


def summarize_escalation(reminders: Sequence[Reminder], *, worst: int = DEFAULT_WORST_SHOWN) -> EscalationSummary:
    """Counts per agency (most items first, then by name) and the `worst` items overdue longest;
    a task escalated for several agencies counts once per agency."""
    counts: dict[str, int] = {}
    for r in reminders:
        counts[r.item.agency_name] = counts.get(r.item.agency_name, 0) + 1
    ordered = sorted(
        reminders, key=lambda r: (-r.days, natural_key(task_code(r.item.task_id)), r.item.agency_name, r.item.due_item_id)
    )
    by_agency = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], natural_key(kv[0]))))
    return EscalationSummary(len(reminders), by_agency, tuple(ordered[:worst]), tuple(ordered))


# --- snoozed items, paused agencies, dropped items ("không thực hiện") ------------------------


@dataclass(frozen=True)
class Holds:
    """What stops reminders on a day: due items snoozed or dropped, agencies paused."""

    items: frozenset[int] = frozenset()
    agencies: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.items or self.agencies)


def hold_active(until_on: date | None, today: date) -> bool:
    """A hold "đến 15/1" stops reminders before 15/1; from that day they are sent again.
    Without a date it lasts until someone ends it (/tieptuc)."""
    return until_on is None or today < until_on


def without_held(groups: Sequence[AgencyReminders], holds: Holds) -> list[AgencyReminders]:
    """The day's groups without paused recipients, held items, or items of paused agencies
    (a merged agency's items follow the recipient's pause); empty groups dropped."""
    if not holds:
        return list(groups)
    kept: list[AgencyReminders] = []
    for group in groups:
        if group.agency_id in holds.agencies:
            continue
        lines = [
            r for r in group.reminders
            if r.item.due_item_id not in holds.items and r.item.agency_id not in holds.agencies
        ]
        unknown = [
            i for i in group.unknown if i.due_item_id not in holds.items and i.agency_id not in holds.agencies
        ]
        if lines or unknown:
            kept.append(replace(group, reminders=lines, unknown=unknown))
    return kept
