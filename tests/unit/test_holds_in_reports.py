"""Items counted apart, never as overdue: "chưa cập nhật", on hold (snoozed, agency paused) and
"không thực hiện" — the figures' arithmetic, /tiendo's grouping and wording, the workbook's
state column and ranking, the digest's headline."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.digest import (
    DigestKind,
    DigestPeriod,
    DueLine,
    Figures,
    ReportRow,
    agency_progress,
    overdue,
    province_summary,
    upcoming,
    with_holds,
    workbook_rank,
)
from bot.domain.status import Category, Status
from bot.render.digest import apart_line, headline
from bot.render.progress import agency_progress_messages, province_summary_messages
from bot.render.xlsx import state_label

TODAY = date(2025, 6, 23)


def line(n: int, due: date | None, *, status: Status = Status.PENDING, code: str = "STP", **kw: object) -> DueLine:
    return DueLine(
        task_id=n, task_ref=str(n), plan_number="1782/KH-UBND", title=f"Nhiệm vụ {n}", agency_code=code,
        agency_name="Sở Tư pháp" if code == "STP" else "Sở Nội vụ", due_on=due, status=status, due_item_id=n,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("category", "hold", "expected"),
    [
        (Category.OVERDUE, None, Figures(overdue=1)),
        (Category.OVERDUE, "snooze", Figures(held=1)),
        (Category.OVERDUE, "pause", Figures(held=1)),
        (Category.NOT_DUE, "snooze", Figures(held=1)),
        (Category.OVERDUE, "waive", Figures(waived=1)),
        (Category.DONE_LATE, "waive", Figures(done_late=1)),  # done stays done
        (Category.UNCONFIRMED, None, Figures(unconfirmed=1)),
        (Category.UNCONFIRMED, "snooze", Figures(held=1)),
    ],
)
def test_one_items_contribution(category: Category, hold: str | None, expected: Figures) -> None:
    assert Figures.of(category, date(2025, 6, 1), TODAY, hold) == expected


def test_apart_items_are_in_the_total_never_due_so_far() -> None:
    f = Figures(overdue=2, done_on_time=3, unconfirmed=4, held=2, waived=1)
    assert f.total == 12
    assert f.dated == 11  # "không thực hiện": no longer a deadline
    assert f.due_so_far == 5 and f.completion_rate == 3 / 5
    assert f.completion_rate_all == 3 / 11


def test_with_holds_item_first_then_agency_pause() -> None:
    lines = [line(1, date(2025, 6, 10)), line(2, date(2025, 6, 11)), line(3, date(2025, 6, 12), code="SNV"),
             line(4, None)]
    held = with_holds(lines, {1: ("snooze", date(2025, 7, 15))}, {"STP": ("pause", None)})
    assert [(h.hold, h.hold_until) for h in held] == [
        ("snooze", date(2025, 7, 15)), ("pause", None), (None, None), (None, None),  # undated: nothing to hold
    ]


def test_progress_lists_held_items_as_such_never_overdue() -> None:
    lines = with_holds(
        [line(1, date(2025, 6, 10)), line(2, date(2025, 6, 11)), line(3, date(2025, 6, 30)),
         line(5, date(2025, 6, 1), status=Status.DONE)],
        {1: ("snooze", date(2025, 7, 15)), 2: ("waive", None), 5: ("waive", None)},
        {},
    )
    progress = agency_progress(lines, today=TODAY)
    assert [x.task_id for x in progress.held] == [1, 2]
    assert progress.overdue == [] and [x.task_id for x in progress.done] == [5]
    assert overdue(lines, today=TODAY) == []
    assert [x.task_id for x in upcoming(lines, today=TODAY, days=14)] == [3]
    text = "\n".join(agency_progress_messages("Sở Tư pháp", progress, TODAY))
    assert "<b>⏸ Tạm dừng nhắc, không thực hiện</b> (2)" in text
    assert "Hạn 10/06/2025 · Tạm dừng nhắc đến 15/07/2025" in text
    assert "Hạn 11/06/2025 · Không thực hiện" in text
    assert "quá hạn" not in text.lower()

    rows = province_summary(lines, today=TODAY)
    assert rows[0].held == 2 and rows[0].counts.get(Category.OVERDUE, 0) == 0 and rows[0].total == 4
    summary = "\n".join(province_summary_messages("Tiến độ toàn tỉnh Phú Thọ", rows, TODAY))
    assert "Tổng số mốc: 4 · " in summary and "Quá hạn chưa xong: 0" in summary
    assert "Tạm dừng nhắc, không thực hiện: 2" in summary
    assert "Sở Tư pháp: 0 · 1 · 1 · 0% · tạm dừng 2" in summary  # item 5: done, no date given → late


def _row(hold: str | None, category: Category = Category.OVERDUE, until: date | None = None) -> ReportRow:
    return ReportRow(
        plan_number="1782/KH-UBND", position=1, task_id=1, task_ref="1", title="Nhiệm vụ", product=None,
        support_text=None, deadline_text="Trước 10/06/2025", agency_code="STP", agency_name="Sở Tư pháp",
        due_on=date(2025, 6, 10), original_due_on=date(2025, 6, 10), category=category, status=Status.PENDING,
        progress=0, updated_on=None, note=None, due_item_id=1, hold=hold, hold_until=until,
    )


def test_workbook_state_and_rank_of_held_rows() -> None:
    assert state_label(_row("snooze", until=date(2025, 7, 15))) == "Tạm dừng nhắc đến 15/07/2025"
    assert state_label(_row("pause")) == "Cơ quan tạm dừng nhắc"
    assert state_label(_row("waive", until=date(2025, 7, 15))) == "Không thực hiện"
    assert state_label(_row(None, Category.UNCONFIRMED)) == "Chưa cập nhật"
    assert state_label(_row("waive", Category.DONE_LATE)) == "Đã hoàn thành quá hạn"
    period = DigestPeriod(DigestKind.WEEK, date(2025, 6, 16), date(2025, 6, 22))
    assert workbook_rank(_row(None), period, 14)[0] == 0  # overdue first
    assert workbook_rank(_row("snooze"), period, 14)[0] == 7  # on hold: with the undated, last


def test_digest_headline_counts_apart() -> None:
    f = Figures(overdue=1, unconfirmed=300, held=2, waived=1)
    lines = headline(f, tasks=39)
    assert apart_line(f) in lines
    assert apart_line(f) == (
        "❓ Chưa cập nhật (hạn trước ngày bắt đầu theo dõi, chờ cơ quan xác nhận): 300 · ⏸ Tạm dừng nhắc: 2 · "
        "🚫 Không thực hiện: 1"
    )
    assert apart_line(Figures(overdue=1)) == "" and len(headline(Figures(overdue=1))) == 6
