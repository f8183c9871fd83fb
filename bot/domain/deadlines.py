"""Vietnamese deadline grammar: raw deadline text → DeadlineRule → concrete due dates.

(Contract only; the grammar is being written. See parse_deadline / due_dates.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DeadlineKind(StrEnum):
    ONCE = "once"
    RECURRING = "recurring"
    EVENT = "event"
    NONE = "none"
    UNPARSED = "unparsed"


class Every(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


@dataclass(frozen=True)
class DeadlineRule:
    text: str
    kind: DeadlineKind
    every: Every | None = None
    on: date | None = None
    month: int | None = None
    day: int | None = None
    year_offset: int = 0
    event: str | None = None


def parse_deadline(text: str, *, plan_year: int | None = None) -> DeadlineRule:
    raise NotImplementedError


def due_dates(
    rule: DeadlineRule, *, first_year: int, last_year: int, not_before: date | None = None
) -> list[date]:
    raise NotImplementedError
