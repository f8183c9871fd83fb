"""What an agency says about one due item, and the category the government reports it under.

The stored `Status` is what the agency (or an admin) last said. The government's
tracking categories are never stored: they depend on the date, so `category()`
computes them from the status, the due date, the completion date and today.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"  # nothing reported yet
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"  # vướng mắc
    EXTENSION_REQUESTED = "extension_requested"  # đề nghị gia hạn, waiting for the leaders
    EXTENDED = "extended"  # gia hạn granted: due_on moved, original_due_on kept
    DONE = "done"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self is not Status.DONE


STATUS_LABELS: dict[Status, str] = {
    Status.PENDING: "Chưa báo cáo",
    Status.IN_PROGRESS: "Đang thực hiện",
    Status.BLOCKED: "Vướng mắc",
    Status.EXTENSION_REQUESTED: "Đề nghị gia hạn",
    Status.EXTENDED: "Đã gia hạn",
    Status.DONE: "Đã hoàn thành",
}


class ChangeSource(StrEnum):
    """Where a status change came from (kept in the history)."""

    IMPORT = "import"
    CHAT = "chat"  # a free-text reply
    BUTTON = "button"
    COMMAND = "command"
    ADMIN = "admin"
    SYSTEM = "system"


class Category(StrEnum):
    """The government's tracking categories (one per due item)."""

    NOT_DUE = "not_due"
    ON_TRACK = "on_track"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    NO_DEADLINE = "no_deadline"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.NOT_DUE: "Chưa đến hạn",
    Category.ON_TRACK: "Đang thực hiện trong hạn",
    Category.OVERDUE: "Quá hạn",
    Category.DONE_ON_TIME: "Đã hoàn thành đúng hạn",
    Category.DONE_LATE: "Đã hoàn thành quá hạn",
    Category.NO_DEADLINE: "Chưa xác định thời hạn",
}


def category(status: Status, due_on: date | None, completed_on: date | None, today: date) -> Category:
    """The reporting category of one due item on `today`.

    Outcomes:
    - done: on time if completed on or before the due date (or there is no due date, or
      the completion date is unknown and today is not past the due date), late otherwise;
    - not done, no due date: chưa xác định thời hạn;
    - not done, due date passed (today > due_on): quá hạn — whatever was reported
      (a blocker or a pending extension request does not stop the clock; a granted
      extension moves `due_on` itself);
    - not done, not yet past due: nothing reported yet (pending) → chưa đến hạn,
      anything reported (in progress, blocked, extension requested/granted) →
      đang thực hiện trong hạn.
    The due date itself still counts as "in time".
    """
    if status is Status.DONE:
        finished = completed_on or today
        if due_on is None or finished <= due_on:
            return Category.DONE_ON_TIME
        return Category.DONE_LATE
    if due_on is None:
        return Category.NO_DEADLINE
    if today > due_on:
        return Category.OVERDUE
    if status is Status.PENDING:
        return Category.NOT_DUE
    return Category.ON_TRACK


def flag(status: Status) -> str | None:
    """A second line for reports: what needs the leaders' attention besides the category."""
    if status is Status.BLOCKED:
        return "Vướng mắc"
    if status is Status.EXTENSION_REQUESTED:
        return "Đề nghị gia hạn"
    return None
