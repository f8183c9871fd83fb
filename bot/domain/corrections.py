"""Corrections a person made to a parsed task, applied to a fresh parse of the same plan.

A correction is keyed by the task's `ref` (stable within a plan): when an edited version of
the plan is imported again, each task gets the latest correction of each field back, so the
reform office never corrects the same misread twice. Pure: the service layer stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any

from bot.domain.calendar import parse_day
from bot.domain.deadlines import DeadlineKind, due_dates, parse_deadline
from bot.domain.plans.draft import ReviewReason, TaskDraft


class Field(StrEnum):
    LEAD = "lead"  # value: list of agency codes
    SUPPORT = "support"  # value: list of agency codes
    DEADLINE = "deadline"  # value: {"text": phrase or None, "dates": ["YYYY-MM-DD", …]}
    TITLE = "title"  # value: text
    PRODUCT = "product"  # value: text or None
    DROPPED = "dropped"  # value: true (not a task) / false (a task after all)


AGENCY_FLAGS = frozenset(
    {ReviewReason.NO_LEAD, ReviewReason.UNKNOWN_AGENCY, ReviewReason.LOW_CONFIDENCE_AGENCY}
)
DEADLINE_FLAGS = frozenset(
    {
        ReviewReason.DEADLINE_UNPARSED,
        ReviewReason.DEADLINE_ASSUMED,
        ReviewReason.NO_DEADLINE,
        ReviewReason.EVENT_DEADLINE,
    }
)


def deadline_value(text: str | None, dates: Iterable[date]) -> dict[str, Any]:
    return {"text": text, "dates": [d.isoformat() for d in sorted(set(dates))]}


def dates_from_text(
    text: str, *, first_year: int | None, last_year: int | None, issued_on: date | None, this_year: int
) -> list[date] | None:
    """The due dates a person means by `text`: a date (dd/mm/yyyy) or a deadline phrase
    read over the plan's years ("Quý II hằng năm" → 30/06 of each year). None: no date can
    be read from it (an event, a blank or a phrase the grammar does not know).

    Plan years: the plan's period; without one, the year it was issued (or `this_year`).
    """
    day = parse_day(text)
    if day is not None:
        return [day]
    first = first_year or (issued_on.year if issued_on else this_year)
    last = max(last_year or first, first)
    rule = parse_deadline(text, plan_year=first)
    if rule.kind in (DeadlineKind.EVENT, DeadlineKind.NONE, DeadlineKind.UNPARSED):
        return None
    return due_dates(rule, first_year=first, last_year=last, not_before=issued_on) or None


def deadline_dates(value: Mapping[str, Any]) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in value.get("dates") or ())


def flags_after(flags: Iterable[str], field: Field) -> list[str]:
    """The task's review flags once a person has corrected `field` (what it settled is gone)."""
    settled: frozenset[str] = frozenset()
    if field is Field.LEAD:
        settled = frozenset(str(f) for f in AGENCY_FLAGS)
    elif field is Field.DEADLINE:
        settled = frozenset(str(f) for f in DEADLINE_FLAGS)
    return [f for f in flags if f not in settled]


def apply_corrections(
    tasks: Iterable[TaskDraft], latest: Mapping[str, Mapping[Field, Any]]
) -> tuple[TaskDraft, ...]:
    """Each task with the latest correction of each of its fields; dropped tasks left out.

    `latest` maps a task ref to {field: value}. Refs the plan no longer has are ignored.
    """
    result: list[TaskDraft] = []
    for task in tasks:
        fields = latest.get(task.ref)
        if not fields:
            result.append(task)
            continue
        if fields.get(Field.DROPPED):
            continue
        flags: list[str] = [str(r) for r in task.needs_review]
        changes: dict[str, Any] = {}
        if Field.LEAD in fields:
            changes["lead"] = tuple(fields[Field.LEAD] or ())
            flags = flags_after(flags, Field.LEAD)
        if Field.SUPPORT in fields:
            changes["support"] = tuple(fields[Field.SUPPORT] or ())
        if Field.DEADLINE in fields:
            changes["due_dates"] = deadline_dates(fields[Field.DEADLINE])
            changes["assumed"] = False
            flags = flags_after(flags, Field.DEADLINE)
        if Field.TITLE in fields and fields[Field.TITLE]:
            changes["title"] = str(fields[Field.TITLE])
        if Field.PRODUCT in fields:
            changes["product"] = fields[Field.PRODUCT] or None
        changes["needs_review"] = tuple(ReviewReason(f) for f in flags)
        result.append(replace(task, **changes))
    return tuple(result)
