"""What an agency says about one due item, and the category the government reports it under.

The stored `Status` is what the agency (or an admin) last said. The government's
tracking categories are never stored: they depend on the date, so `category()`
computes them from the status, the due date, the completion date and today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"  # nothing reported yet
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"  # vướng mắc
    EXTENSION_REQUESTED = "extension_requested"  # đề nghị gia hạn, waiting for the leaders
    EXTENDED = "extended"  # gia hạn granted: due_on moved, original_due_on kept
    DONE = "done"
    # chưa cập nhật: due before the day the bot began following the plan (Plan.follow_from);
    # nobody has said whether it was done, so it is neither reminded nor counted overdue
    # until the agency answers (done, with a date or on time; or confirmed not done).
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self is not Status.DONE

    @property
    def is_followed(self) -> bool:
        """Reminded and counted overdue when past due (open, and not of unknown status)."""
        return self is not Status.DONE and self is not Status.UNKNOWN


STATUS_LABELS: dict[Status, str] = {
    Status.PENDING: "Chưa báo cáo",
    Status.IN_PROGRESS: "Đang thực hiện",
    Status.BLOCKED: "Vướng mắc",
    Status.EXTENSION_REQUESTED: "Đề nghị gia hạn",
    Status.EXTENDED: "Đã gia hạn",
    Status.DONE: "Đã hoàn thành",
    Status.UNKNOWN: "Chưa cập nhật",
}


class ChangeKind(StrEnum):
    """What a report asks for (the reply grammar in `replies` produces these)."""

    DONE = "done"
    PROGRESS = "progress"
    BLOCKED = "blocked"
    EXTENSION = "extension"
    NOTE = "note"  # a note (or evidence) without a status change
    NOT_DONE = "not_done"  # "chưa xong": an item of unknown status confirmed not finished

    @property
    def status(self) -> Status | None:
        return _KIND_STATUS[self]


_KIND_STATUS: dict[ChangeKind, Status | None] = {
    ChangeKind.DONE: Status.DONE,
    ChangeKind.PROGRESS: Status.IN_PROGRESS,
    ChangeKind.BLOCKED: Status.BLOCKED,
    ChangeKind.EXTENSION: Status.EXTENSION_REQUESTED,
    ChangeKind.NOTE: None,
    ChangeKind.NOT_DONE: Status.PENDING,
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
    UNCONFIRMED = "unconfirmed"  # due before the bot followed the plan; not yet answered

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
    Category.UNCONFIRMED: "Chưa cập nhật",
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
    - status unknown (due before the bot followed the plan, not answered yet): chưa cập
      nhật — never overdue until the agency confirms it is not done.
    The due date itself still counts as "in time".
    """
    if status is Status.UNKNOWN:
        return Category.UNCONFIRMED
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


# --- the state machine: who may change what, and to what -----------------------------------


class Right(StrEnum):
    """What the acting user may do to one item where they act."""

    CHANGE = "change"  # the lead agency's chat, or an admin of the province
    NOTE = "note"  # a cooperating agency's chat: notes only
    NONE = "none"


class Reason(StrEnum):
    """Why a report was refused, needs more first, or what it recorded."""

    # refused
    GONE = "gone"  # the item was cancelled or its task removed
    NOT_YOURS = "not_yours"
    STALE = "stale"  # the button was drawn for an older state of the item
    SUPPORT_ONLY = "support_only"  # a cooperating agency tried to change the status
    ALREADY_DONE = "already_done"
    EMPTY_NOTE = "empty_note"
    DONE_NEEDS_NO_EXTENSION = "done_needs_no_extension"
    EXTENSION_PENDING = "extension_pending"  # one request at a time
    NOTHING_CHANGED = "nothing_changed"
    COMPLETED_IN_FUTURE = "completed_in_future"  # "xong ngày …" a day still to come
    NOT_UNKNOWN = "not_unknown"  # "chưa xong" answers only an item of unknown status
    # needs more first
    NEEDS_NOTE = "needs_note"  # a blocker without a line of explanation
    NEEDS_DATE = "needs_date"  # an extension without a usable date
    DATE_INVALID = "date_invalid"  # the typed date does not exist
    DATE_NOT_AFTER_DUE = "date_not_after_due"
    DATE_PAST = "date_past"
    # recorded
    NOTE_ADDED = "note_added"  # a note or evidence, the status unchanged
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    PROGRESS = "progress"
    BLOCKED = "blocked"
    EXTENSION_REQUESTED = "extension_requested"
    CONFIRMED_NOT_DONE = "confirmed_not_done"  # unknown → not done: overdue from now on


_NEEDS_MORE = frozenset(
    {Reason.NEEDS_NOTE, Reason.NEEDS_DATE, Reason.DATE_INVALID, Reason.DATE_NOT_AFTER_DUE, Reason.DATE_PAST}
)
_RECORDED = frozenset(
    {Reason.NOTE_ADDED, Reason.DONE_ON_TIME, Reason.DONE_LATE, Reason.PROGRESS, Reason.BLOCKED,
     Reason.EXTENSION_REQUESTED, Reason.CONFIRMED_NOT_DONE}
)


@dataclass(frozen=True)
class ItemState:
    """What the rules need to know of one due item."""

    status: Status
    progress: int
    due_on: date
    gone: bool = False  # cancelled, or its task removed from the plan
    pending_extension_to: date | None = None  # the date a pending request asks for


@dataclass(frozen=True)
class Report:
    """What a user asks for one item (from a button, a reply, a command or a web form)."""

    kind: ChangeKind
    progress: int | None = None  # PROGRESS: the figure (None: keep the last one)
    explained: bool = False  # comes with a line of text (a blocker's explanation)
    evidence: bool = False  # comes with a note, documents or files
    proposed_due_on: date | None = None  # EXTENSION: the date asked for, when usable
    bad_date: bool = False  # EXTENSION: a date was typed that does not exist
    current: bool = True  # drawn for the item's latest state (a button's version)
    completed_on: date | None = None  # DONE: the day the work was finished, when said


@dataclass(frozen=True)
class Decision:
    reason: Reason
    status: Status | None = None  # the status to record (recorded reasons only)
    progress: int | None = None
    completed_on: date | None = None  # DONE: the completion day to record
    undoable: bool = False  # the change may be undone for a while
    withdraws_extension: bool = False  # a pending extension request is overtaken

    @property
    def refused(self) -> bool:
        return self.reason not in _RECORDED and self.reason not in _NEEDS_MORE

    @property
    def needs_more(self) -> bool:
        return self.reason in _NEEDS_MORE

    @property
    def recorded(self) -> bool:
        return self.reason in _RECORDED


def decide(item: ItemState, report: Report, right: Right, today: date) -> Decision:
    """The outcome of one report on one item, first rule that applies:

    1. the item is gone → GONE; no right → NOT_YOURS; an older button → STALE;
    2. a cooperating agency may only add notes → SUPPORT_ONLY otherwise;
    3. "done" on a done item: with evidence it is a note (NOTE_ADDED), else ALREADY_DONE;
    4. a note: recorded without a status change (NOTE_ADDED), or EMPTY_NOTE;
    5. an extension: not for a done item, not while another is pending; the date must
       exist (DATE_INVALID), be given (NEEDS_DATE), be after the due date and not past →
       EXTENSION_REQUESTED (undoable);
    6. a blocker needs a line of explanation first (NEEDS_NOTE);
    7. progress of 100% is done; the same progress again, with nothing new, is
       NOTHING_CHANGED;
    8. "chưa xong" (NOT_DONE) answers the question asked of an item of unknown status:
       CONFIRMED_NOT_DONE (pending again, so overdue from now on), NOT_UNKNOWN otherwise;
    9. otherwise recorded and undoable: DONE_ON_TIME / DONE_LATE (the completion day
       said — "xong từ 20/12/2021" — or today, against the due date; a day still to come
       is COMPLETED_IN_FUTURE), PROGRESS, BLOCKED — withdrawing a pending extension request.
       An item of unknown status said done without a day was asked "done on time?" (the
       confirmation message asks for the day only when it was late): completed on its
       due date.
    """
    if item.gone:
        return Decision(Reason.GONE)
    if right is Right.NONE:
        return Decision(Reason.NOT_YOURS)
    if not report.current:
        return Decision(Reason.STALE)
    kind = report.kind
    if right is Right.NOTE and kind is not ChangeKind.NOTE:
        return Decision(Reason.SUPPORT_ONLY)
    if kind is ChangeKind.DONE and item.status is Status.DONE:
        kind = ChangeKind.NOTE
        if not report.evidence:
            return Decision(Reason.ALREADY_DONE)
    if kind is ChangeKind.NOTE:
        if not report.evidence:
            return Decision(Reason.EMPTY_NOTE)
        return Decision(Reason.NOTE_ADDED, status=item.status)
    pending = item.pending_extension_to is not None
    if kind is ChangeKind.EXTENSION:
        if item.status is Status.DONE:
            return Decision(Reason.DONE_NEEDS_NO_EXTENSION)
        if pending:
            return Decision(Reason.EXTENSION_PENDING)
        proposed = report.proposed_due_on
        if proposed is None:
            return Decision(Reason.DATE_INVALID if report.bad_date else Reason.NEEDS_DATE)
        if proposed < today:
            return Decision(Reason.DATE_PAST)
        if proposed <= item.due_on:
            return Decision(Reason.DATE_NOT_AFTER_DUE)
        return Decision(Reason.EXTENSION_REQUESTED, status=Status.EXTENSION_REQUESTED, undoable=True)
    if kind is ChangeKind.BLOCKED and not report.explained:
        return Decision(Reason.NEEDS_NOTE)
    if kind is ChangeKind.NOT_DONE:
        if item.status is not Status.UNKNOWN:
            return Decision(Reason.NOT_UNKNOWN)
        return Decision(Reason.CONFIRMED_NOT_DONE, status=Status.PENDING, progress=0, undoable=True)
    target = kind.status
    progress = report.progress
    if kind is ChangeKind.PROGRESS:
        if progress is not None and progress >= 100:
            target, progress = Status.DONE, None
        elif (
            item.status is Status.IN_PROGRESS
            and (progress is None or progress == item.progress)
            and not report.evidence
        ):
            return Decision(Reason.NOTHING_CHANGED)
    assert target is not None
    completed_on: date | None = None
    if target is Status.DONE:
        completed_on = report.completed_on or (item.due_on if item.status is Status.UNKNOWN else today)
        if completed_on > today:
            return Decision(Reason.COMPLETED_IN_FUTURE)
        reason = Reason.DONE_ON_TIME if completed_on <= item.due_on else Reason.DONE_LATE
    elif target is Status.BLOCKED:
        reason = Reason.BLOCKED
    else:
        reason = Reason.PROGRESS
    return Decision(
        reason, status=target, progress=progress, completed_on=completed_on, undoable=True,
        withdraws_extension=pending,
    )


class UndoReason(StrEnum):
    UNKNOWN = "unknown"
    ALREADY_UNDONE = "already_undone"
    TOO_LATE = "too_late"
    NOT_THE_AUTHOR = "not_the_author"
    GONE = "gone"
    NOT_YOURS = "not_yours"
    NEWER_CHANGE = "newer_change"
    UNDONE = "undone"


def decide_undo(
    *,
    known: bool,
    undone: bool,
    expired: bool,
    by_author: bool,
    admin: bool,
    gone: bool,
    right: Right,
    latest: bool,
) -> UndoReason:
    """May a change be undone? UNDONE when it may; else the first reason it may not:
    unknown change, already undone, past the undo window, someone else's change (admins
    excepted), the item gone, no right to change it here, a newer change since."""
    if not known:
        return UndoReason.UNKNOWN
    if undone:
        return UndoReason.ALREADY_UNDONE
    if expired:
        return UndoReason.TOO_LATE
    if not by_author and not admin:
        return UndoReason.NOT_THE_AUTHOR
    if gone:
        return UndoReason.GONE
    if right is not Right.CHANGE:
        return UndoReason.NOT_YOURS
    if not latest:
        return UndoReason.NEWER_CHANGE
    return UndoReason.UNDONE


class ExtensionOutcome(StrEnum):
    NOT_LEADER = "not_leader"
    ALREADY_DECIDED = "already_decided"  # approved, rejected or withdrawn before
    OVERTAKEN = "overtaken"  # the item changed since the request: withdrawn now
    APPROVED = "approved"
    REJECTED = "rejected"


def decide_extension(
    *, may_decide: bool, pending: bool, item_status: Status, item_due_on: date, requested_from: date,
    gone: bool, approve: bool,
) -> ExtensionOutcome:
    """A leader's answer to an extension request: only leaders (or admins) decide, once;
    a request the item has moved past (another update, a new due date, a cancelled item)
    is withdrawn instead of decided."""
    if not may_decide:
        return ExtensionOutcome.NOT_LEADER
    if not pending:
        return ExtensionOutcome.ALREADY_DECIDED
    if gone or item_status is not Status.EXTENSION_REQUESTED or item_due_on != requested_from:
        return ExtensionOutcome.OVERTAKEN
    return ExtensionOutcome.APPROVED if approve else ExtensionOutcome.REJECTED
