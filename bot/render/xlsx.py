"""The digest's Excel workbook (openpyxl, streamed: 100 000 rows stay fast and small).

Sheets: "Theo cơ quan" (every agency, worst first, with a province total), "Theo kế hoạch"
(one line per plan), then one sheet per plan with the plan's own columns (STT, Nội dung/
Nhiệm vụ, Sản phẩm, Cơ quan chủ trì, Cơ quan phối hợp, Thời gian hoàn thành) followed by
the state as of the digest date. A plan sheet has one row per due item: a yearly task led
by two agencies appears once per agency and year, so every row has one status and the
rows add up to the figures. Every sheet: title lines, a frozen header row with filters,
real Excel dates (dd/mm/yyyy) and percentages, readable column widths.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter

from bot.domain.codes import task_code
from bot.domain.digest import (
    OVERDUE_LONG_DAYS,
    OVERDUE_VERY_LONG_DAYS,
    Digest,
    Figures,
    ReportRow,
    UnassignedTask,
)
from bot.domain.status import Category, Status
from bot.render.digest import digest_title, period_label
from bot.render.format import short_date
from bot.render.labels import hold_label
from bot.render.progress import counts_line

DATE_FORMAT = "DD/MM/YYYY"
PERCENT_FORMAT = "0%"
HEADER_ROW = 3  # rows 1–2: title and "as of"; data from row 4
AGENCY_SHEET = "Theo cơ quan"
PLAN_SHEET = "Theo kế hoạch"
UNASSIGNED_SHEET = "Chưa giao"

# (header, width) of the figures columns shared by the two summary sheets.
FIGURE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Tổng số mốc thời hạn", 11),
    ("Mốc đã đến hạn", 10),
    ("Hoàn thành đúng hạn", 12),
    ("Hoàn thành quá hạn", 12),
    ("Đang thực hiện trong hạn", 13),
    ("Chưa đến hạn", 10),
    ("Quá hạn", 9),
    (f"Quá hạn > {OVERDUE_LONG_DAYS} ngày", 11),
    (f"Quá hạn > {OVERDUE_VERY_LONG_DAYS} ngày", 11),
    ("Chưa xác định thời hạn", 13),
    ("Tỉ lệ hoàn thành (số mốc đã đến hạn)", 13),
    ("Tỉ lệ đúng hạn (số mốc đã đến hạn)", 13),
    ("Tỉ lệ hoàn thành (tổng số mốc)", 13),
    # Counted apart, never as overdue (bot.domain.digest.Figures).
    ("Chưa cập nhật", 11),
    ("Tạm dừng nhắc", 10),
    ("Không thực hiện", 10),
)
PLAN_COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 8),
    ("Nội dung/Nhiệm vụ", 60),
    ("Sản phẩm", 24),
    ("Cơ quan chủ trì", 26),
    ("Cơ quan phối hợp", 26),
    ("Thời gian hoàn thành", 22),
    ("Hạn hoàn thành", 13),
    ("Tình trạng", 22),
    ("Tiến độ", 9),
    ("Ngày cập nhật", 13),
    ("Ghi chú", 40),
    ("Mã", 9),
)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class _Styles:
    date: str = "nv_date"
    percent: str = "nv_percent"
    wrap: str = "nv_wrap"
    header: str = "nv_header"
    title: str = "nv_title"
    total: str = "nv_total"
    overdue: str = "nv_overdue"


STYLES = _Styles()


def _register_styles(workbook: Workbook) -> None:
    top = Alignment(vertical="top", wrap_text=True)
    for style in (
        NamedStyle(STYLES.date, number_format=DATE_FORMAT, alignment=Alignment(vertical="top")),
        NamedStyle(STYLES.percent, number_format=PERCENT_FORMAT),
        NamedStyle(STYLES.wrap, alignment=top),
        NamedStyle(
            STYLES.header,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="DDEBF7"),
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        NamedStyle(STYLES.title, font=Font(bold=True, size=13)),
        NamedStyle(STYLES.total, font=Font(bold=True)),
        NamedStyle(STYLES.overdue, font=Font(color="C00000"), alignment=top),
    ):
        workbook.add_named_style(style)


def sheet_name(plan_number: str, taken: set[str]) -> str:
    """'KH 1782-KH-UBND': Excel allows 31 characters and no []:*?/\\ ."""
    base = ("KH " + _BAD_SHEET_CHARS.sub("-", plan_number)).strip()[:31]
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


class _Sheet:
    """A streamed sheet: title lines, a header, rows; filter and frozen header set up front."""

    def __init__(self, workbook: Workbook, title: str, heading: str, subtitle: str, columns: Sequence[tuple[str, int]]):
        self.ws = workbook.create_sheet(title)
        self.columns = columns
        for index, (_, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = f"A{HEADER_ROW + 1}"
        self.ws.append([self.cell(heading, STYLES.title)])
        self.ws.append([subtitle])
        self.ws.append([self.cell(name, STYLES.header) for name, _ in columns])
        self.rows = 0

    def cell(self, value: Any, style: str | None = None) -> Any:
        if style is None:
            return value
        cell = WriteOnlyCell(self.ws, value=value)
        cell.style = style
        return cell

    def append(self, values: Iterable[Any]) -> None:
        self.ws.append(list(values))
        self.rows += 1

    def filter(self, rows: int | None = None) -> None:
        """Filters on the header over `rows` data rows (default: all written so far).

        Set before the sheet is saved; openpyxl writes it after the data."""
        last = HEADER_ROW + (self.rows if rows is None else rows)
        self.ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(self.columns))}{max(last, HEADER_ROW)}"


def _figure_values(sheet: _Sheet, f: Figures, style: str | None = None) -> list[Any]:
    return [
        sheet.cell(value, style)
        for value in (
            f.dated, f.due_so_far, f.done_on_time, f.done_late, f.on_track, f.not_due,
            f.overdue, f.overdue_30, f.overdue_90, f.no_deadline,
        )
    ] + [
        sheet.cell(f.completion_rate, STYLES.percent),
        sheet.cell(f.on_time_rate, STYLES.percent),
        sheet.cell(f.completion_rate_all, STYLES.percent),
    ] + [sheet.cell(value, style) for value in (f.unconfirmed, f.held, f.waived)]


def _agency_sheet(workbook: Workbook, digest: Digest, heading: str, subtitle: str) -> None:
    sheet = _Sheet(workbook, AGENCY_SHEET, heading, subtitle, (("STT", 6), ("Cơ quan", 42), *FIGURE_COLUMNS))
    for number, row in enumerate(digest.agencies, start=1):
        sheet.append([number, row.agency_name, *_figure_values(sheet, row.figures)])
    sheet.filter()
    total = sum((row.figures for row in digest.agencies), Figures())
    sheet.append([None, sheet.cell("Toàn tỉnh", STYLES.total), *_figure_values(sheet, total, STYLES.total)])


def _plan_summary_sheet(workbook: Workbook, digest: Digest, heading: str, subtitle: str) -> None:
    sheet = _Sheet(
        workbook, PLAN_SHEET, heading, subtitle,
        (("STT", 6), ("Kế hoạch", 18), ("Tên kế hoạch", 50), *FIGURE_COLUMNS, ("Số nhiệm vụ", 10),
         ("Nhiệm vụ chưa giao chủ trì", 12)),
    )
    for number, plan in enumerate(digest.plans, start=1):
        sheet.append(
            [number, plan.plan_number, sheet.cell(plan.plan_title or "", STYLES.wrap), *_figure_values(sheet, plan.figures),
             plan.tasks, plan.unassigned]
        )
    sheet.filter()
    sheet.append(
        [None, sheet.cell("Tổng cộng", STYLES.total), None, *_figure_values(sheet, digest.total, STYLES.total),
         sheet.cell(digest.tasks, STYLES.total), sheet.cell(len(digest.unassigned), STYLES.total)]
    )


UNASSIGNED_LABEL = "Chưa giao cơ quan chủ trì"
UNASSIGNED_COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 6),
    ("Kế hoạch", 18),
    ("Mục", 9),
    ("Nội dung/Nhiệm vụ", 60),
    ("Sản phẩm", 24),
    ("Cơ quan phối hợp", 26),
    ("Thời gian hoàn thành", 22),
    ("Mã", 9),
)


def _unassigned_sheet(workbook: Workbook, digest: Digest, heading: str) -> None:
    """Every task nobody leads: nobody is reminded of it until an admin assigns it."""
    sheet = _Sheet(
        workbook, UNASSIGNED_SHEET, heading,
        f"{len(digest.unassigned)} nhiệm vụ chưa giao cơ quan chủ trì: chưa cơ quan nào được nhắc. "
        "Giao cơ quan chủ trì trên trang quản trị (/web).",
        UNASSIGNED_COLUMNS,
    )
    wrap = [sheet.cell(None, STYLES.wrap) for _ in range(3)]
    for number, task in enumerate(digest.unassigned, start=1):
        wrap[0].value, wrap[1].value, wrap[2].value = task.title, task.product, task.support_text
        sheet.append(
            [number, task.plan_number, task.task_ref, wrap[0], wrap[1], wrap[2], task.deadline_text,
             task_code(task.task_id)]
        )
    sheet.filter()


def row_note(row: ReportRow) -> str:
    """Ghi chú: what the leaders should notice, then the latest note reported."""
    parts = []
    if row.status in (Status.BLOCKED, Status.EXTENSION_REQUESTED):
        parts.append(row.status.label)
    if row.original_due_on and row.due_on and row.original_due_on != row.due_on:
        parts.append(f"Hạn gốc {short_date(row.original_due_on)}")
    if row.note:
        parts.append(row.note)
    return "; ".join(parts)


def state_label(row: ReportRow) -> str:
    """Tình trạng: the government's category, with what was reported when it says more; an
    open item on hold says so instead ("Tạm dừng nhắc đến 15/01/2027", "Không thực hiện")."""
    if row.held and row.hold is not None:
        return hold_label(row.hold, short_date(row.hold_until) if row.hold_until else None)
    label = row.category.label
    if row.category in (Category.ON_TRACK, Category.OVERDUE) and row.status not in (Status.PENDING, Status.IN_PROGRESS):
        label += f" ({row.status.label.lower()})"
    return label


def _plan_sheet(
    workbook: Workbook, name: str, rows: Sequence[ReportRow], heading: str, subtitle: str,
    unassigned: Sequence[UnassignedTask] = (),
) -> None:
    sheet = _Sheet(workbook, name, heading, subtitle, PLAN_COLUMNS)
    # One styled cell per column, reused for every row: the streaming writer serialises a
    # row as soon as it is appended, and styling 100 000 fresh cells is most of the cost.
    wrap = [sheet.cell(None, STYLES.wrap) for _ in range(4)]
    due, updated = sheet.cell(None, STYLES.date), sheet.cell(None, STYLES.date)
    progress, late = sheet.cell(None, STYLES.percent), sheet.cell(None, STYLES.overdue)
    # Tasks nobody leads go in their place in the plan, so the sheet lists every task.
    pending = sorted(unassigned, key=lambda t: t.position)
    for row in rows:
        while pending and pending[0].position < row.position:
            _unassigned_row(sheet, pending.pop(0), wrap, late)
        wrap[0].value, wrap[1].value, wrap[2].value = row.title, row.product, row.support_text
        wrap[3].value = row_note(row) or None
        due.value, updated.value, progress.value = row.due_on, row.updated_on, row.progress / 100
        state: Any = state_label(row)
        if row.category is Category.OVERDUE:
            late.value, state = state, late
        sheet.append(
            [
                row.task_ref, wrap[0], wrap[1], row.agency_name, wrap[2], row.deadline_text, due, state,
                progress, updated, wrap[3], task_code(row.task_id),
            ]
        )
    for task in pending:
        _unassigned_row(sheet, task, wrap, late)
    sheet.filter()


def capped_note(digest: Digest) -> str:
    """What a capped workbook leaves out (bot.domain.digest.MAX_WORKBOOK_ROWS), or ''."""
    if not digest.rows_capped:
        return ""
    return (
        f" Chỉ liệt kê {len(digest.rows):n} trong {digest.rows_total:n} dòng của toàn tỉnh: quá hạn, vướng mắc,"
        " sắp đến hạn và hoàn thành trong kỳ trước; số liệu tổng hợp tính đủ mọi dòng, danh sách đầy đủ"
        " xem trên bảng điều khiển web (/web)."
    )


def _unassigned_row(sheet: _Sheet, task: UnassignedTask, wrap: list[Any], late: Any) -> None:
    wrap[0].value, wrap[1].value, wrap[2].value = task.title, task.product, task.support_text
    wrap[3].value = "Chưa giao cơ quan chủ trì: chưa cơ quan nào được nhắc"
    late.value = UNASSIGNED_LABEL
    sheet.append(
        [task.task_ref, wrap[0], wrap[1], late, wrap[2], task.deadline_text, None, late, None, None, wrap[3],
         task_code(task.task_id)]
    )


def build_workbook(digest: Digest) -> bytes:
    """The .xlsx file's bytes."""
    workbook = Workbook(write_only=True)
    _register_styles(workbook)
    heading = f"{digest_title(digest)}, {period_label(digest.period)}"
    subtitle = f"Số liệu đến hết ngày {short_date(digest.as_of)}. {counts_line(digest.tasks, digest.total, len(digest.unassigned))}."
    _agency_sheet(workbook, digest, heading, subtitle)
    _plan_summary_sheet(workbook, digest, heading, subtitle)
    taken = {AGENCY_SHEET.casefold(), PLAN_SHEET.casefold()}
    if digest.unassigned:
        _unassigned_sheet(workbook, digest, heading)
        taken.add(UNASSIGNED_SHEET.casefold())
    by_plan: dict[str, list[ReportRow]] = {plan.plan_number: [] for plan in digest.plans}
    for row in digest.rows:
        by_plan.setdefault(row.plan_number, []).append(row)
    unassigned: dict[str, list[UnassignedTask]] = {}
    for task in digest.unassigned:
        by_plan.setdefault(task.plan_number, [])
        unassigned.setdefault(task.plan_number, []).append(task)
    titles = {plan.plan_number: plan.plan_title for plan in digest.plans}
    note = capped_note(digest)
    for plan_number, rows in by_plan.items():
        plan_heading = f"Kế hoạch {plan_number}" + (f" — {titles[plan_number]}" if titles.get(plan_number) else "")
        _plan_sheet(
            workbook, sheet_name(plan_number, taken), rows, plan_heading, f"{heading}. {subtitle}{note}",
            unassigned.get(plan_number, ()),
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

