"""Vietnamese HTML texts for /tiendo, /quahan and /sapden. Every piece of plan text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from bot.domain.codes import task_code
from bot.domain.digest import AgencyProgress, AgencySummary, DueLine, Figures, UnassignedTask, totals
from bot.domain.status import Category, Status
from bot.render.format import days_phrase, long_date, percent, short_date
from bot.render.labels import hold_label
from bot.render.split import split_blocks

TITLE_LIMIT = 110


def short_title(title: str, limit: int = TITLE_LIMIT) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip(" ,;.") + "…"


def due_line(number: int | None, line: DueLine, today: date, *, show_agency: bool = False) -> str:
    """'1. Xây dựng Kế hoạch … (KH 1782/KH-UBND, mục 12, mã NV123)\n   Hạn 30/01/2025 · quá hạn 144 ngày'."""
    head = f"{number}. " if number is not None else "• "
    title = escape(short_title(line.title))
    who = f" — {escape(line.agency_name)}" if show_agency else ""
    # The plan's own numbering repeats across plans: the global code is what /nhiemvu takes.
    ref = f"mục {escape(line.task_ref)}, mã {task_code(line.task_id)}"
    first = f"{head}{title} <i>(KH {escape(line.plan_number)}, {ref})</i>{who}"
    details = []
    if line.due_on is not None:
        when = f"Hạn {short_date(line.due_on)}"
        if line.status is not Status.DONE and not line.held:
            when += f" · {days_phrase(line.due_on, today)}"
        details.append(when)
    if line.held and line.hold is not None:  # on hold: said as such, never "quá hạn N ngày"
        details.append(hold_label(line.hold, short_date(line.hold_until) if line.hold_until else None))
    if line.status is Status.DONE:
        details.append("Đã hoàn thành" + (f" {short_date(line.completed_on)}" if line.completed_on else ""))
    elif line.status is not Status.PENDING:
        label = line.status.label
        if line.status is Status.IN_PROGRESS and line.progress:
            label += f" {line.progress}%"
        details.append(label)
    if line.original_due_on and line.due_on and line.original_due_on != line.due_on:
        details.append(f"hạn gốc {short_date(line.original_due_on)}")
    return first + ("\n   " + " · ".join(details) if details else "")


_SECTIONS: tuple[tuple[str, str], ...] = (
    ("overdue", "⛔ Quá hạn"),
    ("due_soon", "⏰ Sắp đến hạn"),
    ("in_progress", "⏳ Đang thực hiện"),
    ("no_deadline", "❔ Chưa xác định thời hạn"),
    ("done", "✅ Đã hoàn thành"),
    ("held", "⏸ Tạm dừng nhắc, không thực hiện"),
)
DONE_SHOWN = 5


def agency_progress_messages(agency_name: str, progress: AgencyProgress, today: date) -> list[str]:
    """/tiendo in an agency chat: the agency's items grouped by state."""
    blocks = [f"📋 <b>Tiến độ — {escape(agency_name)}</b>\n{long_date(today)}"]
    if progress.total == 0:
        blocks.append("Chưa có nhiệm vụ nào được giao cho cơ quan.")
        return split_blocks(blocks)
    number = 0
    for attr, heading in _SECTIONS:
        lines: list[DueLine] = getattr(progress, attr)
        if not lines:
            continue
        shown = lines[:DONE_SHOWN] if attr == "done" else lines
        blocks.append(f"\n<b>{heading}</b> ({len(lines)})")
        for line in shown:
            number += 1
            blocks.append(due_line(number, line, today))
        if len(shown) < len(lines):
            blocks.append(f"… và {len(lines) - len(shown)} nhiệm vụ đã hoàn thành khác.")
    if progress.unknown:
        blocks.append(
            f"\n❓ {len(progress.unknown)} hạn đã qua trước khi bot bắt đầu theo dõi, chưa cập nhật "
            "(cơ quan xác nhận trong tin nhắc việc; quản trị viên: /dongcu)."
        )
    if progress.later:
        first = progress.later[0]
        blocks.append(
            f"\n🗓 {len(progress.later)} hạn chưa đến (gần nhất {short_date(first.due_on)})."
            if first.due_on
            else f"\n🗓 {len(progress.later)} hạn chưa đến."
        )
    return split_blocks(blocks)


def counts_line(tasks: int, figures: Figures, unassigned: int = 0) -> str:
    """'49 nhiệm vụ, 321 mốc thời hạn': tasks and deadlines are different things (a yearly
    task led by three agencies is one task and fifteen deadlines)."""
    line = f"{tasks} nhiệm vụ, {figures.dated} mốc thời hạn"
    if unassigned:
        line += f" · {unassigned} nhiệm vụ chưa giao cơ quan chủ trì"
    return line


def rates_line(figures: Figures) -> str:
    """Both completion rates, each saying what it is over."""
    return (
        f"Tỉ lệ hoàn thành: <b>{percent(figures.completion_rate_all)}</b> tổng số mốc "
        f"({figures.done}/{figures.dated}) · <b>{percent(figures.completion_rate)}</b> số mốc đã đến hạn "
        f"({figures.done_due}/{figures.due_so_far}) · đúng hạn: {percent(figures.on_time_rate)} số mốc đã đến hạn"
    )


UNASSIGNED_SHOWN = 30


def unassigned_blocks(tasks: Sequence[UnassignedTask], total: int | None = None) -> list[str]:
    """Tasks nobody leads, for the admins: listed until someone assigns them."""
    count = len(tasks) if total is None else total
    if not count:
        return []
    blocks = [
        f"\n❓ <b>Nhiệm vụ chưa giao cơ quan chủ trì</b> ({count}) — chưa cơ quan nào được nhắc; "
        "giao cơ quan chủ trì trên trang quản trị (/web):"
    ]
    for task in tasks[:UNASSIGNED_SHOWN]:
        blocks.append(
            f"• {escape(short_title(task.title, 90))} <i>(KH {escape(task.plan_number)}, mục {escape(task.task_ref)}, "
            f"mã {task_code(task.task_id)})</i>"
        )
    if count > min(len(tasks), UNASSIGNED_SHOWN):
        blocks.append(f"… và {count - min(len(tasks), UNASSIGNED_SHOWN)} nhiệm vụ khác.")
    return blocks


def province_summary_messages(
    title: str,
    rows: Sequence[AgencySummary],
    today: date,
    *,
    unreachable: Sequence[str] = (),
    unbound: Sequence[str] = (),
    figures: Figures | None = None,
    tasks: int | None = None,
    unassigned: Sequence[UnassignedTask] = (),
    list_unassigned: bool = True,
) -> list[str]:
    """/tiendo for leaders and admins: one line per agency, worst first; the tasks nobody
    leads (`unassigned`) are counted, and listed for the admins (`list_unassigned`)."""
    blocks = [f"📊 <b>{escape(title)}</b>\n{long_date(today)}"]
    if not rows and not unassigned:
        blocks.append("Chưa có nhiệm vụ nào trong cơ sở dữ liệu.")
        return split_blocks(blocks)
    total = totals(rows)
    done = total.get(Category.DONE_ON_TIME, 0) + total.get(Category.DONE_LATE, 0)
    if figures is not None and tasks is not None:
        blocks.append(counts_line(tasks, figures, len(unassigned)))
    blocks.append(
        f"Tổng số mốc: {sum(total.values()) - total.get(Category.NO_DEADLINE, 0) + sum(r.held for r in rows)} · "
        f"Đã hoàn thành: {done} "
        f"(đúng hạn {total.get(Category.DONE_ON_TIME, 0)}, quá hạn {total.get(Category.DONE_LATE, 0)}) · "
        f"Quá hạn chưa xong: {total.get(Category.OVERDUE, 0)} · "
        f"Chưa xác định thời hạn: {total.get(Category.NO_DEADLINE, 0)}"
        + (f" · Chưa cập nhật: {total.get(Category.UNCONFIRMED, 0)}" if total.get(Category.UNCONFIRMED) else "")
        + (f" · Tạm dừng nhắc, không thực hiện: {held}" if (held := sum(r.held for r in rows)) else "")
    )
    if figures is not None:
        blocks.append(rates_line(figures))
    blocks.append("\n<b>Theo cơ quan</b> (quá hạn · trong hạn · xong · tỉ lệ đúng hạn)")
    for number, row in enumerate(rows, start=1):
        open_ok = row.counts.get(Category.ON_TRACK, 0) + row.counts.get(Category.NOT_DUE, 0)
        marker = "⛔" if row.counts.get(Category.OVERDUE, 0) else "✅"
        blocks.append(
            f"{number}. {marker} {escape(row.agency_name)}: {row.counts.get(Category.OVERDUE, 0)} · "
            f"{open_ok} · {row.done} · {percent(row.on_time_rate)}"
            + (f" · tạm dừng {row.held}" if row.held else "")
        )
    if unreachable:
        blocks.append(
            "\n⚠️ Không liên lạc được (bot bị xóa khỏi nhóm hoặc bị chặn): "
            + ", ".join(escape(name) for name in unreachable)
        )
    if unbound:
        blocks.append(
            ("\n" if not unreachable else "")
            + "📭 Chưa có nhóm nhận nhắc việc: " + ", ".join(escape(name) for name in unbound)
        )
    if list_unassigned:
        blocks += unassigned_blocks(unassigned)
    return split_blocks(blocks)


def list_messages(heading: str, lines: Sequence[DueLine], today: date, *, empty: str, show_agency: bool) -> list[str]:
    """/quahan and /sapden."""
    blocks = [f"<b>{escape(heading)}</b>\n{long_date(today)}"]
    if not lines:
        blocks.append(empty)
    for number, line in enumerate(lines, start=1):
        blocks.append(due_line(number, line, today, show_agency=show_agency))
    return split_blocks(blocks)


# --- titles of the progress lists (bot/services/progress.py) ----------------------------

PROVINCE_WIDE_TITLE = "Tiến độ toàn tỉnh"
NO_OVERDUE = "Không có nhiệm vụ nào quá hạn. 👍"


def province_title(province_name: str) -> str:
    return f"{PROVINCE_WIDE_TITLE} {province_name}"


def scope_name(agency_name: str | None, province_names: Sequence[str]) -> str:
    """Whose list it is: the agency, or the province(s) as a whole."""
    if agency_name is not None:
        return agency_name
    return "toàn tỉnh " + ", ".join(province_names) if province_names else "toàn tỉnh"


def overdue_title(who: str) -> str:
    return f"⛔ Nhiệm vụ quá hạn — {who}"


def upcoming_title(days: int, who: str) -> str:
    return f"⏰ Sắp đến hạn trong {days} ngày — {who}"


def nothing_upcoming(days: int) -> str:
    return f"Không có nhiệm vụ nào đến hạn trong {days} ngày tới."
