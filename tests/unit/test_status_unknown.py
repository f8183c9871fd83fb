"""Items of unknown status ("chưa cập nhật"): due before the bot began following the plan.

They are neither overdue nor reminded until the agency answers; the answers the
confirmation message asks for are table-tested here against the pure rules.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.status import (
    Category,
    ChangeKind,
    ItemState,
    Reason,
    Report,
    Right,
    Status,
    category,
    decide,
)

TODAY = date(2026, 12, 7)
DUE = date(2021, 12, 31)


def unknown(due: date = DUE) -> ItemState:
    return ItemState(status=Status.UNKNOWN, progress=0, due_on=due)


@pytest.mark.parametrize(
    ("status", "due", "completed", "expected"),
    [
        (Status.UNKNOWN, DUE, None, Category.UNCONFIRMED),  # years past due: still not overdue
        (Status.UNKNOWN, date(2027, 1, 1), None, Category.UNCONFIRMED),
        (Status.PENDING, DUE, None, Category.OVERDUE),  # confirmed not done: overdue
        (Status.DONE, DUE, date(2021, 12, 20), Category.DONE_ON_TIME),
        (Status.DONE, DUE, date(2022, 1, 5), Category.DONE_LATE),
        (Status.DONE, DUE, DUE, Category.DONE_ON_TIME),
    ],
)
def test_category_of_unknown_and_answered_items(status, due, completed, expected) -> None:
    assert category(status, due, completed, TODAY) is expected


CASES = [
    # (name, item, report, reason, status, completed_on)
    ("done with the day: on time", unknown(), Report(ChangeKind.DONE, completed_on=date(2021, 12, 20)),
     Reason.DONE_ON_TIME, Status.DONE, date(2021, 12, 20)),
    ("done with the day: late", unknown(), Report(ChangeKind.DONE, completed_on=date(2022, 3, 15)),
     Reason.DONE_LATE, Status.DONE, date(2022, 3, 15)),
    ("done without a day: confirmed on time, on its due date", unknown(), Report(ChangeKind.DONE),
     Reason.DONE_ON_TIME, Status.DONE, DUE),
    ("done on a day to come", unknown(), Report(ChangeKind.DONE, completed_on=date(2027, 1, 1)),
     Reason.COMPLETED_IN_FUTURE, None, None),
    ("not done: pending again, overdue from now on", unknown(), Report(ChangeKind.NOT_DONE),
     Reason.CONFIRMED_NOT_DONE, Status.PENDING, None),
    ("progress on an unknown item", unknown(), Report(ChangeKind.PROGRESS, progress=40),
     Reason.PROGRESS, Status.IN_PROGRESS, None),
    ("not done on a followed item: nothing to confirm",
     ItemState(status=Status.PENDING, progress=0, due_on=DUE), Report(ChangeKind.NOT_DONE),
     Reason.NOT_UNKNOWN, None, None),
    ("not done on a done item", ItemState(status=Status.DONE, progress=0, due_on=DUE),
     Report(ChangeKind.NOT_DONE), Reason.NOT_UNKNOWN, None, None),
    ("done without a day on a followed item is today (late)",
     ItemState(status=Status.PENDING, progress=0, due_on=DUE), Report(ChangeKind.DONE),
     Reason.DONE_LATE, Status.DONE, TODAY),
]


@pytest.mark.parametrize(("name", "item", "report", "reason", "status", "completed"), CASES, ids=[c[0] for c in CASES])
def test_answers_to_an_unknown_item(name, item, report, reason, status, completed) -> None:
    decision = decide(item, report, Right.CHANGE, TODAY)
    assert decision.reason is reason
    assert decision.status is status
    assert decision.completed_on == completed
    assert decision.recorded == (status is not None)


def test_a_cooperating_agency_cannot_confirm() -> None:
    assert decide(unknown(), Report(ChangeKind.NOT_DONE), Right.NOTE, TODAY).reason is Reason.SUPPORT_ONLY


def test_followed_statuses() -> None:
    assert [s for s in Status if s.is_followed] == [
        Status.PENDING, Status.IN_PROGRESS, Status.BLOCKED, Status.EXTENSION_REQUESTED, Status.EXTENDED,
    ]
    assert Status.UNKNOWN.is_open and Status.UNKNOWN.label == "Chưa cập nhật"
