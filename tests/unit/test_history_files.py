"""The status history as CSV and Excel (bot.render.history): Vietnamese, dd/MM/yyyy, and what
people typed never turns into a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.render.history import HEADER, history_csv, history_xlsx

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def row(note: str | None, **over: object) -> SimpleNamespace:
    values = dict(
        at=datetime(2025, 6, 23, 2, 5, tzinfo=UTC), plan_number="1782/KH-UBND", task_id=7, task_ref="3",
        title="Rà soát văn bản", agency_name="Sở Tư pháp", due_on=date(2025, 6, 30), old_status="pending",
        new_status="done", progress=100, actor_name="Nguyễn Văn A", source="chat", channel="web", note=note,
    )
    values.update(over)
    return SimpleNamespace(**values)


def test_csv_is_excel_friendly_vietnamese() -> None:
    data = history_csv([row("xong")], tz=TZ)
    assert data.startswith("\ufeff".encode())
    header, line = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(header) == HEADER
    assert line[:7] == ["23/06/2025 09:05", "1782/KH-UBND", "NV7", "3", "Rà soát văn bản", "Sở Tư pháp", "30/06/2025"]
    assert line[7:12] == ["Chưa báo cáo", "Hoàn thành", "100", "Nguyễn Văn A", "Trả lời tin nhắn"]


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)"])
def test_typed_text_is_never_a_formula(typed: str) -> None:
    [_, line] = list(csv.reader(io.StringIO(history_csv([row(typed)], tz=TZ).decode("utf-8-sig"))))
    assert line[-1] == "'" + typed
    sheet = load_workbook(io.BytesIO(history_xlsx([row(typed)], tz=TZ, title="Lịch sử"))).active
    assert sheet is not None
    cell = sheet.cell(row=3, column=len(HEADER))
    assert cell.data_type == "s" and cell.value == "'" + typed
