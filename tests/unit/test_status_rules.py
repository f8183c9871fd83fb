"""The status state machine (bot.domain.status.decide and friends) as tables of cases."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.status import (
    ChangeKind,
    ExtensionOutcome,
    ItemState,
    Reason,
    Report,
    Right,
    Status,
    UndoReason,
    decide,
    decide_extension,
    decide_undo,
)

TODAY = date(2026, 6, 10)
DUE = date(2026, 6, 30)


def item(status: Status = Status.PENDING, *, progress: int = 0, due: date = DUE, gone: bool = False,
         pending: date | None = None) -> ItemState:
    return ItemState(status=status, progress=progress, due_on=due, gone=gone, pending_extension_to=pending)


CASES = [
    # (name, item, report, right, expected reason, status, progress, undoable, withdraws)
    ("gone first", item(gone=True), Report(ChangeKind.DONE), Right.CHANGE, Reason.GONE, None, None, False, False),
    ("no right", item(), Report(ChangeKind.DONE), Right.NONE, Reason.NOT_YOURS, None, None, False, False),
    ("stale button", item(), Report(ChangeKind.DONE, current=False), Right.CHANGE, Reason.STALE, None, None, False, False),
    ("support tries done", item(), Report(ChangeKind.DONE), Right.NOTE, Reason.SUPPORT_ONLY, None, None, False, False),
    ("support adds note", item(), Report(ChangeKind.NOTE, evidence=True), Right.NOTE, Reason.NOTE_ADDED,
     Status.PENDING, None, False, False),
    ("empty note", item(), Report(ChangeKind.NOTE), Right.CHANGE, Reason.EMPTY_NOTE, None, None, False, False),
    ("done twice", item(Status.DONE), Report(ChangeKind.DONE), Right.CHANGE, Reason.ALREADY_DONE,
     None, None, False, False),
    ("done twice with evidence", item(Status.DONE), Report(ChangeKind.DONE, evidence=True), Right.CHANGE,
     Reason.NOTE_ADDED, Status.DONE, None, False, False),
    ("done on time", item(), Report(ChangeKind.DONE), Right.CHANGE, Reason.DONE_ON_TIME, Status.DONE,
     None, True, False),
    ("done on the due date", item(due=TODAY), Report(ChangeKind.DONE), Right.CHANGE, Reason.DONE_ON_TIME,
     Status.DONE, None, True, False),
    ("done late", item(due=date(2026, 6, 1)), Report(ChangeKind.DONE), Right.CHANGE, Reason.DONE_LATE,
     Status.DONE, None, True, False),
    ("progress", item(), Report(ChangeKind.PROGRESS, progress=60), Right.CHANGE, Reason.PROGRESS,
     Status.IN_PROGRESS, 60, True, False),
    ("progress 100 is done", item(Status.IN_PROGRESS, progress=80), Report(ChangeKind.PROGRESS, progress=100),
     Right.CHANGE, Reason.DONE_ON_TIME, Status.DONE, None, True, False),
    ("same progress again", item(Status.IN_PROGRESS, progress=60), Report(ChangeKind.PROGRESS, progress=60),
     Right.CHANGE, Reason.NOTHING_CHANGED, None, None, False, False),
    ("same progress with evidence", item(Status.IN_PROGRESS, progress=60),
     Report(ChangeKind.PROGRESS, progress=60, evidence=True), Right.CHANGE, Reason.PROGRESS,
     Status.IN_PROGRESS, 60, True, False),
    ("in progress without a figure", item(Status.IN_PROGRESS, progress=60), Report(ChangeKind.PROGRESS),
     Right.CHANGE, Reason.NOTHING_CHANGED, None, None, False, False),
    ("reopen a done item", item(Status.DONE), Report(ChangeKind.PROGRESS, progress=50), Right.CHANGE,
     Reason.PROGRESS, Status.IN_PROGRESS, 50, True, False),
    ("blocker without a line", item(), Report(ChangeKind.BLOCKED), Right.CHANGE, Reason.NEEDS_NOTE,
     None, None, False, False),
    ("blocker explained", item(), Report(ChangeKind.BLOCKED, explained=True), Right.CHANGE, Reason.BLOCKED,
     Status.BLOCKED, None, True, False),
    ("extension without a date", item(), Report(ChangeKind.EXTENSION), Right.CHANGE, Reason.NEEDS_DATE,
     None, None, False, False),
    ("extension to a date that does not exist", item(), Report(ChangeKind.EXTENSION, bad_date=True),
     Right.CHANGE, Reason.DATE_INVALID, None, None, False, False),
    ("extension before the due date", item(), Report(ChangeKind.EXTENSION, proposed_due_on=date(2026, 6, 20)),
     Right.CHANGE, Reason.DATE_NOT_AFTER_DUE, None, None, False, False),
    ("extension to the due date", item(), Report(ChangeKind.EXTENSION, proposed_due_on=DUE),
     Right.CHANGE, Reason.DATE_NOT_AFTER_DUE, None, None, False, False),
    ("extension into the past", item(due=date(2026, 5, 1)),
     Report(ChangeKind.EXTENSION, proposed_due_on=date(2026, 6, 1)), Right.CHANGE, Reason.DATE_PAST,
     None, None, False, False),
    ("extension requested", item(), Report(ChangeKind.EXTENSION, proposed_due_on=date(2026, 7, 15)),
     Right.CHANGE, Reason.EXTENSION_REQUESTED, Status.EXTENSION_REQUESTED, None, True, False),
    ("extension of a done item", item(Status.DONE), Report(ChangeKind.EXTENSION, proposed_due_on=date(2026, 7, 15)),
     Right.CHANGE, Reason.DONE_NEEDS_NO_EXTENSION, None, None, False, False),
    ("second extension while one is pending", item(Status.EXTENSION_REQUESTED, pending=date(2026, 7, 15)),
     Report(ChangeKind.EXTENSION, proposed_due_on=date(2026, 8, 1)), Right.CHANGE, Reason.EXTENSION_PENDING,
     None, None, False, False),
    ("done withdraws a pending request", item(Status.EXTENSION_REQUESTED, pending=date(2026, 7, 15)),
     Report(ChangeKind.DONE), Right.CHANGE, Reason.DONE_ON_TIME, Status.DONE, None, True, True),
    ("a note keeps a pending request", item(Status.EXTENSION_REQUESTED, pending=date(2026, 7, 15)),
     Report(ChangeKind.NOTE, evidence=True), Right.CHANGE, Reason.NOTE_ADDED, Status.EXTENSION_REQUESTED,
     None, False, False),
]


@pytest.mark.parametrize(
    ("state", "report", "right", "reason", "status", "progress", "undoable", "withdraws"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide(state, report, right, reason, status, progress, undoable, withdraws):
    decision = decide(state, report, right, TODAY)
    assert (decision.reason, decision.status, decision.progress, decision.undoable, decision.withdraws_extension) == (
        reason, status, progress, undoable, withdraws,
    )
    assert [decision.refused, decision.needs_more, decision.recorded].count(True) == 1


UNDO = dict(known=True, undone=False, expired=False, by_author=True, admin=False, gone=False,
            right=Right.CHANGE, latest=True)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, UndoReason.UNDONE),
        ({"known": False}, UndoReason.UNKNOWN),
        ({"undone": True}, UndoReason.ALREADY_UNDONE),
        ({"expired": True}, UndoReason.TOO_LATE),
        ({"by_author": False}, UndoReason.NOT_THE_AUTHOR),
        ({"by_author": False, "admin": True}, UndoReason.UNDONE),
        ({"gone": True}, UndoReason.GONE),
        ({"right": Right.NOTE}, UndoReason.NOT_YOURS),
        ({"latest": False}, UndoReason.NEWER_CHANGE),
        ({"undone": True, "expired": True}, UndoReason.ALREADY_UNDONE),
    ],
)
def test_decide_undo(change, reason):
    assert decide_undo(**{**UNDO, **change}) is reason


EXT = dict(may_decide=True, pending=True, item_status=Status.EXTENSION_REQUESTED, item_due_on=DUE,
           requested_from=DUE, gone=False, approve=True)


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({}, ExtensionOutcome.APPROVED),
        ({"approve": False}, ExtensionOutcome.REJECTED),
        ({"may_decide": False}, ExtensionOutcome.NOT_LEADER),
        ({"pending": False}, ExtensionOutcome.ALREADY_DECIDED),
        ({"item_status": Status.DONE}, ExtensionOutcome.OVERTAKEN),
        ({"item_due_on": date(2026, 7, 1)}, ExtensionOutcome.OVERTAKEN),
        ({"gone": True}, ExtensionOutcome.OVERTAKEN),
        ({"may_decide": False, "pending": False}, ExtensionOutcome.NOT_LEADER),
    ],
)
def test_decide_extension(change, outcome):
    assert decide_extension(**{**EXT, **change}) is outcome


@pytest.mark.parametrize(
    ("completed_on", "reason"),
    [
        (None, Reason.DONE_ON_TIME),
        (date(2026, 6, 1), Reason.DONE_ON_TIME),
        (TODAY, Reason.DONE_ON_TIME),
        (date(2026, 6, 11), Reason.COMPLETED_IN_FUTURE),
    ],
)
def test_a_done_judged_by_the_day_it_says(completed_on, reason):
    decision = decide(item(due=DUE), Report(ChangeKind.DONE, completed_on=completed_on), Right.CHANGE, TODAY)
    assert decision.reason is reason
    if decision.recorded:
        assert decision.completed_on == (completed_on or TODAY)


def test_a_back_dated_done_after_the_due_date_is_late():
    late = decide(item(due=date(2021, 12, 31)), Report(ChangeKind.DONE, completed_on=date(2022, 1, 5)),
                  Right.CHANGE, TODAY)
    assert (late.reason, late.completed_on) == (Reason.DONE_LATE, date(2022, 1, 5))
