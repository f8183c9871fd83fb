"""What an import of a plan changed: the result of bot.services.importing.import_plan, read by
the renderers (bot.render.imports), the CLI and the bot. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


class DueKey(NamedTuple):
    ref: str
    agency: str  # agency code
    due_on: date  # the original due date from the plan


@dataclass(frozen=True)
class TaskUpdate:
    ref: str
    fields: tuple[str, ...]  # TASK_FIELDS names, plus "lead"/"support" for agency changes


@dataclass(frozen=True)
class ImportReport:
    province: str
    plan_number: str
    plan_id: int
    created: bool  # a new plan (False: an existing plan re-imported)
    plan_fields: tuple[str, ...] = ()  # plan columns that changed (PLAN_FIELDS names)
    tasks_added: tuple[str, ...] = ()
    tasks_updated: tuple[TaskUpdate, ...] = ()
    tasks_removed: tuple[str, ...] = ()
    tasks_restored: tuple[str, ...] = ()  # removed earlier, back in this version
    due_added: tuple[DueKey, ...] = ()
    due_cancelled: tuple[DueKey, ...] = ()
    due_restored: tuple[DueKey, ...] = ()
    due_kept_done: tuple[DueKey, ...] = ()  # no longer in the plan, but already done: kept
    task_count: int = 0  # tasks in this version
    due_count: int = 0  # due items of the plan not cancelled after the import (done included)
    warnings: tuple[str, ...] = field(default=())  # Vietnamese
    follow_from: date | None = None  # the plan's follow-from day after the import
    due_unknown: int = 0  # items left "chưa cập nhật" (due before follow_from)
    agencies_unknown: int = 0  # lead agencies of those items

    @property
    def changed(self) -> bool:
        return self.created or any(
            (
                self.plan_fields,
                self.tasks_added,
                self.tasks_updated,
                self.tasks_removed,
                self.tasks_restored,
                self.due_added,
                self.due_cancelled,
                self.due_restored,
            )
        )
