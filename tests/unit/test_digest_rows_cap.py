"""The capped workbook rows at province scale (issue 18): which rows are kept first (pure)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from bot.domain.digest import (
    Digest,
    Figures,
    PlanFigures,
    ReportRow,
    RowSelection,
    week_period,
    workbook_rank,
)
from bot.domain.status import Category, Status

PERIOD = week_period(date(2025, 6, 22))  # 16/06–22/06/2025
TODAY = PERIOD.as_of


def row(
    cat: Category, due_on: date | None, *, status: Status = Status.PENDING, completed: date | None = None, ref: str = "1"
) -> ReportRow:
    return ReportRow(
        plan_number="1/KH-UBND", position=int(ref), task_id=int(ref), task_ref=ref, title=f"Nhiệm vụ {ref}",
        product=None, support_text=None, deadline_text="", agency_code="A", agency_name="Sở A", due_on=due_on,
        original_due_on=due_on, category=cat, status=status, progress=0, updated_on=None, note=None,
        completed_on=completed, due_item_id=int(ref) if due_on else None,
    )


@pytest.mark.parametrize(
    ("item", "rank"),
    [
        (row(Category.OVERDUE, TODAY - timedelta(days=200)), 0),
        (row(Category.OVERDUE, TODAY - timedelta(days=1), status=Status.BLOCKED), 0),  # overdue comes first
        (row(Category.ON_TRACK, TODAY + timedelta(days=90), status=Status.BLOCKED), 1),
        (row(Category.ON_TRACK, TODAY + timedelta(days=90), status=Status.EXTENSION_REQUESTED), 1),
        (row(Category.NOT_DUE, TODAY + timedelta(days=14)), 2),  # due within the soon window (14 days)
        (row(Category.ON_TRACK, TODAY), 2),
        (row(Category.DONE_ON_TIME, TODAY + timedelta(days=3), status=Status.DONE, completed=TODAY), 3),
        (row(Category.DONE_LATE, TODAY - timedelta(days=30), status=Status.DONE, completed=PERIOD.start), 3),
        (row(Category.ON_TRACK, TODAY + timedelta(days=15), status=Status.IN_PROGRESS), 4),
        (row(Category.NOT_DUE, TODAY + timedelta(days=15)), 5),
        (row(Category.DONE_ON_TIME, TODAY - timedelta(days=30), status=Status.DONE, completed=PERIOD.start - timedelta(days=1)), 6),
        (row(Category.NO_DEADLINE, None), 7),
    ],
)
def test_rank_keeps_what_leaders_act_on_first(item: ReportRow, rank: int) -> None:
    assert workbook_rank(item, PERIOD, soon_days=14)[0] == rank


def test_a_stream_under_the_cap_is_kept_whole_in_sort_order() -> None:
    selection = RowSelection(period=PERIOD, soon_days=14, limit=10)
    rows = [row(Category.NOT_DUE, TODAY + timedelta(days=40 + i), ref=str(i)) for i in range(1, 6)]
    for r in reversed(rows):
        selection.add((r.position,), r)
    assert selection.rows() == rows and selection.total == 5


def test_over_the_cap_the_best_ranked_rows_are_kept_in_plan_order() -> None:
    selection = RowSelection(period=PERIOD, soon_days=14, limit=3)
    later = [row(Category.NOT_DUE, TODAY + timedelta(days=60), ref=str(i)) for i in (1, 2, 3)]
    overdue_old = row(Category.OVERDUE, TODAY - timedelta(days=300), ref="4")
    overdue_new = row(Category.OVERDUE, TODAY - timedelta(days=2), ref="5")
    blocked = row(Category.ON_TRACK, TODAY + timedelta(days=60), status=Status.BLOCKED, ref="6")
    overdue_recent = row(Category.OVERDUE, TODAY - timedelta(days=1), ref="7")
    for r in (*later, overdue_new, blocked, overdue_old, overdue_recent):
        selection.add((r.position,), r)
    # The three overdue rows beat the blocked one and the not-yet-due ones.
    assert [r.task_ref for r in selection.rows()] == ["4", "5", "7"]
    assert selection.total == 7

    tight = RowSelection(period=PERIOD, soon_days=14, limit=2)
    for r in (overdue_recent, overdue_new, overdue_old):
        tight.add((r.position,), r)
    assert [r.task_ref for r in tight.rows()] == ["4", "5"]  # the longest overdue


def test_a_capped_workbook_says_what_it_leaves_out() -> None:
    from bot.render.xlsx import build_workbook, capped_note

    kept = [row(Category.OVERDUE, TODAY - timedelta(days=10), ref="1")]
    digest = Digest(
        province_name="Phú Thọ", period=PERIOD, total=Figures(overdue=1, not_due=4),
        plans=[PlanFigures("1/KH-UBND", "Kế hoạch", Figures(overdue=1, not_due=4))], agencies=[], rows=kept,
        rows_total=5,
    )
    assert digest.rows_capped
    assert capped_note(digest).startswith(" Chỉ liệt kê 1 trong 5 dòng của toàn tỉnh")
    book = load_workbook(io.BytesIO(build_workbook(digest)))
    sheet = book[book.sheetnames[2]]
    assert "Chỉ liệt kê 1 trong 5 dòng" in (sheet["A2"].value or "")
    assert [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)] == ["1"]

    whole = Digest(province_name="Phú Thọ", period=PERIOD, total=Figures(overdue=1), plans=[], agencies=[], rows=kept)
    assert not whole.rows_capped and capped_note(whole) == ""
