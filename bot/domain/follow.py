"""From which day the bot follows a plan that is already under way (pure).

A plan imported years into its period has many due dates in the past. Nobody knows
whether they were met, so they are not "overdue": items due before the follow-from day
get the status "chưa cập nhật" (Status.UNKNOWN) and each agency is asked once to confirm
them. Outcomes of `default_follow_from`:

- the plan's period has begun (its first year is this year or earlier) or one of its due
  dates is already past → today;
- otherwise (a plan for years to come) → None: followed from its start, nothing unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


def default_follow_from(*, first_year: int | None, due_dates: Iterable[date], today: date) -> date | None:
    """The follow-from day proposed at import (see module doc)."""
    if first_year is not None and first_year <= today.year:
        return today
    if any(d < today for d in due_dates):
        return today
    return None


def is_unknown_at_import(due_on: date, follow_from: date | None) -> bool:
    """An item due before the follow-from day starts as "chưa cập nhật"."""
    return follow_from is not None and due_on < follow_from


@dataclass(frozen=True)
class PastDates:
    """What an import would leave unknown: due items (per lead agency and date) and agencies."""

    items: int
    agencies: int


def past_due(items: Iterable[tuple[str, date]], follow_from: date | None) -> PastDates:
    """Count the (agency, due date) pairs before `follow_from`."""
    past = [(agency, d) for agency, d in items if is_unknown_at_import(d, follow_from)]
    return PastDates(len(past), len({a for a, _ in past}))


class AnswerProblem(StrEnum):
    """Why a press on the "chưa cập nhật" buttons changes nothing."""

    BAD_BUTTON = "bad_button"  # not a message of this chat that lists items
    NOT_ALLOWED = "not_allowed"  # neither the lead agency's chat nor an admin of the province


class CloseProblem(StrEnum):
    NO_PLAN = "no_plan"
    NO_AGENCY = "no_agency"
    SEVERAL_AGENCIES = "several_agencies"
    FUTURE = "future"


@dataclass
class Closed:
    problem: CloseProblem | None = None
    plan_number: str | None = None
    agency_names: list[str] = field(default_factory=list)  # candidates when ambiguous
    on_time: int = 0
    late: int = 0
    refused: int = 0
    completed_on: date | None = None
