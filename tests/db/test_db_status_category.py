"""bot.domain.status.category (pure; lives here because the due-item columns feed it)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.status import Category, Status, category

DUE = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("status", "due_on", "completed_on", "today", "expected"),
    [
        (Status.PENDING, DUE, None, date(2025, 6, 1), Category.NOT_DUE),
        (Status.PENDING, DUE, None, DUE, Category.NOT_DUE),  # the due date is still in time
        (Status.IN_PROGRESS, DUE, None, date(2025, 6, 1), Category.ON_TRACK),
        (Status.BLOCKED, DUE, None, date(2025, 6, 1), Category.ON_TRACK),
        (Status.EXTENSION_REQUESTED, DUE, None, date(2025, 7, 1), Category.OVERDUE),
        (Status.EXTENDED, date(2025, 9, 30), None, date(2025, 7, 1), Category.ON_TRACK),
        (Status.PENDING, DUE, None, date(2025, 7, 1), Category.OVERDUE),
        (Status.IN_PROGRESS, DUE, None, date(2025, 7, 1), Category.OVERDUE),
        (Status.DONE, DUE, DUE, date(2025, 8, 1), Category.DONE_ON_TIME),
        (Status.DONE, DUE, date(2025, 7, 1), date(2025, 8, 1), Category.DONE_LATE),
        (Status.DONE, DUE, None, date(2025, 7, 1), Category.DONE_LATE),
        (Status.DONE, None, date(2025, 7, 1), date(2025, 8, 1), Category.DONE_ON_TIME),
        (Status.PENDING, None, None, date(2025, 7, 1), Category.NO_DEADLINE),
    ],
)
def test_category(
    status: Status, due_on: date | None, completed_on: date | None, today: date, expected: Category
) -> None:
    assert category(status, due_on, completed_on, today) is expected


def test_labels_are_the_government_wording() -> None:
    assert [c.label for c in Category] == [
        "Chưa đến hạn",
        "Đang thực hiện trong hạn",
        "Quá hạn",
        "Đã hoàn thành đúng hạn",
        "Đã hoàn thành quá hạn",
        "Chưa xác định thời hạn",
        "Chưa cập nhật",  # due before the plan was followed (bot.domain.follow)
    ]
    assert Status("done").label == "Đã hoàn thành"
