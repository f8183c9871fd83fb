"""The escalation ladder: who hears about an overdue item, by how long it has been overdue (pure).

A ladder is a list of rungs, each reached after some days overdue, e.g.
ESCALATION_LADDER="1:agency,5:office,15:leaders" (working days overdue):

- agency: the lead agency's own overdue reminders start on that working day after the due
  date (1: the first working day after it; then every `overdue_every` working days);
- office: the province's reform office (the admins, privately) is told once per item, in one
  message a day;
- leaders: the leaders' chat is told once per item, in one message a day (with the Excel list).

Outcomes for an item due on D, on a day T, w = working days in (D, T] (weekends, holidays
and the admins' days off do not count; make-up Saturdays do):
- w = 0 (due today or later, or overdue only over a weekend): no rung;
- otherwise every rung whose threshold is ≤ w is reached; `top` is the highest one.
A rung missing from the ladder is never reached (no office rung: the office is not told).
Thresholds must not decrease up the ladder (agency ≤ office ≤ leaders).

Without ESCALATION_LADDER the older setting REMINDER_ESCALATE_AFTER (calendar days) still
decides the leaders' rung (`legacy_ladder`: agency from day 1, leaders after N calendar
days, no office): a step may count calendar days instead of working days for that reason.

The tick never evaluates each item: `cutoff` inverts a rung into the latest due date that
has reached it on T (due_on ≤ cutoff ⇔ reached), one indexed SQL condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

# Longest threshold accepted: a year of working days.
MAX_THRESHOLD = 366


class WorkingDays(Protocol):
    def is_working_day(self, d: date) -> bool: ...


class Rung(StrEnum):
    AGENCY = "agency"
    OFFICE = "office"
    LEADERS = "leaders"


_ORDER = {Rung.AGENCY: 0, Rung.OFFICE: 1, Rung.LEADERS: 2}
# Accepted spellings in the setting (English or Vietnamese, without diacritics).
_NAMES = {
    "agency": Rung.AGENCY, "coquan": Rung.AGENCY,
    "office": Rung.OFFICE, "vanphong": Rung.OFFICE, "admin": Rung.OFFICE, "admins": Rung.OFFICE,
    "leaders": Rung.LEADERS, "lanhdao": Rung.LEADERS,
}


@dataclass(frozen=True)
class Step:
    """A rung reached after `after` days overdue: working days, or calendar days when
    `working` is False (the older REMINDER_ESCALATE_AFTER, "more than N days" = N + 1)."""

    after: int
    rung: Rung
    working: bool = True


def overdue_working_days(due_on: date, today: date, calendar: WorkingDays) -> int:
    """Working days in (due_on, today]: 0 on the due date or before."""
    return sum(calendar.is_working_day(due_on + timedelta(days=i)) for i in range(1, (today - due_on).days + 1))


def working_cutoff(today: date, days: int, calendar: WorkingDays) -> date:
    """The latest due date D with at least `days` working days in (D, today]."""
    if days <= 0:
        return today
    counted = 0
    d = today
    for _ in range(days * 7 + 60):  # holidays make at most a few weeks more than 7/5 × days
        if calendar.is_working_day(d):
            counted += 1
            if counted >= days:
                return d - timedelta(days=1)
        d -= timedelta(days=1)
    return d


@dataclass(frozen=True)
class EscalationLadder:
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        rungs = [s.rung for s in self.steps]
        if len(set(rungs)) != len(rungs):
            raise ValueError(f"each rung once: {rungs}")
        ordered = tuple(sorted(self.steps, key=lambda s: _ORDER[s.rung]))
        for step in ordered:
            if not 1 <= step.after <= MAX_THRESHOLD:
                raise ValueError(f"a threshold is 1 to {MAX_THRESHOLD} days overdue: {step.after}")
        working = [s for s in ordered if s.working]
        if any(a.after > b.after for a, b in zip(working, working[1:], strict=False)):
            raise ValueError("thresholds must not decrease from agency to office to leaders")
        object.__setattr__(self, "steps", ordered)

    def step(self, rung: Rung) -> Step | None:
        return next((s for s in self.steps if s.rung is rung), None)

    @property
    def agency_from(self) -> int:
        """Working days overdue from which the agency's overdue reminders go out (default 1)."""
        step = self.step(Rung.AGENCY)
        return step.after if step is not None and step.working else 1

    def reached(self, rung: Rung, due_on: date, today: date, calendar: WorkingDays) -> bool:
        step = self.step(rung)
        if step is None:
            return False
        if not step.working:
            return (today - due_on).days >= step.after
        return overdue_working_days(due_on, today, calendar) >= step.after

    def top(self, due_on: date, today: date, calendar: WorkingDays) -> Rung | None:
        """The highest rung an item due on `due_on` has reached on `today` (None: none)."""
        found = [s.rung for s in self.steps if self.reached(s.rung, due_on, today, calendar)]
        return found[-1] if found else None

    def cutoff(self, rung: Rung, today: date, calendar: WorkingDays) -> date | None:
        """The latest due date that has reached `rung` on `today` (None: not on the ladder)."""
        step = self.step(rung)
        if step is None:
            return None
        if not step.working:
            return today - timedelta(days=step.after)
        return working_cutoff(today, step.after, calendar)



def parse_ladder(text: str) -> EscalationLadder:
    """'1:agency,5:office,15:leaders' → the ladder (working days). ValueError on anything else."""
    steps: list[Step] = []
    for raw in text.replace(";", ",").split(","):
        entry = raw.strip()
        if not entry:
            continue
        days, sep, name = entry.partition(":")
        days = days.strip().casefold()
        working = not days.endswith("d")  # '14d:leaders': calendar days, like REMINDER_ESCALATE_AFTER
        days = days.removesuffix("d")
        rung = _NAMES.get(name.strip().casefold().replace(" ", "").replace("_", ""))
        if not sep or not days.isdigit() or rung is None:
            raise ValueError(f"expected days:rung (agency, office, leaders), e.g. 1:agency,5:office,15:leaders: {entry!r}")
        steps.append(Step(int(days), rung, working))
    if not steps:
        raise ValueError("an escalation ladder needs at least one rung, e.g. 1:agency,15:leaders")
    return EscalationLadder(tuple(steps))


def legacy_ladder(escalate_after: int) -> EscalationLadder:
    """REMINDER_ESCALATE_AFTER=N: agency from the first working day, leaders after more than
    N calendar days overdue, no office rung (the behaviour before the ladder)."""
    return EscalationLadder((Step(1, Rung.AGENCY), Step(escalate_after + 1, Rung.LEADERS, working=False)))


def format_ladder(ladder: EscalationLadder) -> str:
    """The setting's form ('1:agency,5:office,15:leaders'; calendar steps marked 'd')."""
    return ",".join(f"{s.after}{'' if s.working else 'd'}:{s.rung.value}" for s in ladder.steps)
