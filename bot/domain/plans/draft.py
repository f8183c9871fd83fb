"""What the plan parser produces: a plan and its tasks, before anything is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.domain.agencies import Agency
from bot.domain.deadlines import DeadlineRule


class ReviewReason(StrEnum):
    """Why a task needs a human look before reminders can be trusted."""

    NO_LEAD = "no_lead"  # the plan names no lead agency for the task
    UNKNOWN_AGENCY = "unknown_agency"  # an agency phrase matched nothing in the directory
    LOW_CONFIDENCE_AGENCY = "low_confidence_agency"  # matched, but only approximately
    DEADLINE_UNPARSED = "deadline_unparsed"  # deadline text not understood
    DEADLINE_ASSUMED = "deadline_assumed"  # no deadline in the text: assumed from the plan period
    NO_DEADLINE = "no_deadline"  # no deadline and none can be assumed
    EVENT_DEADLINE = "event_deadline"  # waits for an event: an admin must set the date


@dataclass(frozen=True)
class PlanMeta:
    number: str | None  # "1782/KH-UBND"
    title: str | None
    issuer: str | None  # "Ủy ban nhân dân tỉnh Phú Thọ"
    issued_on: date | None
    signer: str | None
    period: tuple[int, int] | None  # (first_year, last_year)
    province: str | None = None  # directory slug, e.g. "phu-tho"


@dataclass(frozen=True)
class TaskDraft:
    ref: str  # stable within the plan: "12" for table rows, "II.3.a.2" style for prose
    section: str | None
    title: str  # the task content, original text
    product: str | None
    lead_text: str | None  # the cell/phrase as written
    support_text: str | None
    lead: tuple[str, ...]  # agency codes from the directory
    support: tuple[str, ...]
    deadline: DeadlineRule
    due_dates: tuple[date, ...]
    assumed: bool = False  # due dates assumed from the plan period
    needs_review: tuple[ReviewReason, ...] = ()
    notes: str | None = None  # Ghi chú


@dataclass(frozen=True)
class PlanDraft:
    meta: PlanMeta
    tasks: tuple[TaskDraft, ...]
    source_name: str
    source_sha256: str
    warnings: tuple[str, ...] = field(default=())  # document-level, Vietnamese
    # Bodies the plan names that the directory lacks: created with the plan, for review.
    new_agencies: tuple[Agency, ...] = field(default=())

    def agency_names(self, directory_names: Mapping[str, str]) -> dict[str, str]:
        """Names of every code the draft uses: the directory's, then the plan's own."""
        return {**{a.code: a.name for a in self.new_agencies}, **directory_names}
