"""The weekly digest and the monthly report as Telegram messages (HTML, Vietnamese).

Read on a phone on Monday morning: the first screen says how the province stands and who is
behind; the details follow in short capped lists (the full lists are in the workbook).
Every piece of plan or user text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from bot.domain.codes import task_code
from bot.domain.digest import (
    OVERDUE_LONG_DAYS,
    OVERDUE_VERY_LONG_DAYS,
    SILENT_DAYS,
    AgencyFigures,
    Digest,
    DigestEvent,
    DigestKind,
    DigestPeriod,
    DueLine,
    Figures,
    UnassignedTask,
    by_task,
)
from bot.render.format import long_date, percent, short_date
from bot.render.progress import counts_line, rates_line, short_title
from bot.render.split import split_blocks

TOP_AGENCIES = 10  # worst agencies named in the text; the workbook has them all
LIST_LIMIT = 8  # items per "what changed" list
NAMES_LIMIT = 15  # agencies named in the unreachable/silent lines
CAPTION_LIMIT = 1024  # Telegram's limit for photo and document captions
TITLE_LIMIT = 80


def period_label(period: DigestPeriod) -> str:
    """'tuần 16/06–22/06/2025' (Monday–Sunday), 'tuần 16/06–22/06/2025 (đến 18/06/2025)',
    'tháng 6/2025', 'tháng 6/2025 (đến 23/06/2025)'."""
    if period.kind is DigestKind.MONTH:
        label = f"tháng {period.start.month}/{period.start.year}"
        return label if period.is_full_month else f"{label} (đến {short_date(period.end)})"
    last = period.week_end
    if period.start.year == last.year:
        label = f"tuần {period.start:%d/%m}–{short_date(last)}"
    else:
        label = f"tuần {short_date(period.start)}–{short_date(last)}"
    return label if period.is_full_week else f"{label} (đến {short_date(period.end)})"


def digest_title(digest: Digest) -> str:
    kind = "Báo cáo tuần" if digest.period.kind is DigestKind.WEEK else "Báo cáo tháng"
    return f"{kind} — tỉnh {digest.province_name}"


def file_stem(digest: Digest, province_slug: str) -> str:
    """'bao-cao-tuan-phu-tho-2025-06-22' (ASCII: file names travel badly)."""
    kind = "tuan" if digest.period.kind is DigestKind.WEEK else "thang"
    return f"bao-cao-{kind}-{province_slug}-{digest.as_of.isoformat()}"


def headline(figures: Figures, *, tasks: int = 0, unassigned: int = 0) -> list[str]:
    """The province's figures in six short lines."""
    return [
        f"📁 {counts_line(tasks, figures, unassigned)}",
        f"Mốc đã đến hạn: <b>{figures.due_so_far}</b> · ✅ xong <b>{figures.done_due}</b> "
        f"(đúng hạn {figures.done_on_time_due}, quá hạn {figures.done_late})",
        f"⛔ Quá hạn chưa xong: <b>{figures.overdue}</b> "
        f"(&gt;{OVERDUE_LONG_DAYS} ngày: {figures.overdue_30}, &gt;{OVERDUE_VERY_LONG_DAYS} ngày: {figures.overdue_90})",
        f"⏳ Trong hạn: {figures.in_term} (đang thực hiện {figures.on_track}, chưa đến hạn {figures.not_due})"
        + (f" · xong trước hạn {figures.done_early}" if figures.done_early else ""),
        f"❔ Chưa xác định thời hạn: {figures.no_deadline}",
        *([apart] if (apart := apart_line(figures)) else []),
        rates_line(figures),
    ]


def apart_line(figures: Figures) -> str:
    """What is counted apart, never as overdue: '❓ Chưa cập nhật: 300 · ⏸ Tạm dừng nhắc: 2 ·
    🚫 Không thực hiện: 1' ("" when none)."""
    parts = []
    if figures.unconfirmed:
        parts.append(f"❓ Chưa cập nhật (hạn trước ngày bắt đầu theo dõi, chờ cơ quan xác nhận): {figures.unconfirmed}")
    if figures.held:
        parts.append(f"⏸ Tạm dừng nhắc: {figures.held}")
    if figures.waived:
        parts.append(f"🚫 Không thực hiện: {figures.waived}")
    return " · ".join(parts)


def agency_line(number: int, row: AgencyFigures) -> str:
    f = row.figures
    marker = "⛔" if f.overdue else "✅"
    parts = [f"quá hạn {f.overdue}" + (f" (&gt;{OVERDUE_VERY_LONG_DAYS} ngày: {f.overdue_90})" if f.overdue_90 else "")]
    parts.append(f"xong {f.done_due}/{f.due_so_far}")
    parts.append(f"trong hạn {f.in_term}")
    if f.no_deadline:
        parts.append(f"chưa có hạn {f.no_deadline}")
    if f.unconfirmed:
        parts.append(f"chưa cập nhật {f.unconfirmed}")
    if f.held:
        parts.append(f"tạm dừng nhắc {f.held}")
    if f.waived:
        parts.append(f"không thực hiện {f.waived}")
    parts.append(f"đúng hạn {percent(f.on_time_rate)}")
    return f"{number}. {marker} {escape(row.agency_name)}: " + " · ".join(parts)


def _item(event_line: str, details: Sequence[str]) -> str:
    return event_line + ("\n   " + " · ".join(details) if details else "")


def _who_what(line: DueLine) -> str:
    return (
        f"• {escape(short_title(line.title, TITLE_LIMIT))} <i>({task_code(line.task_id)})</i> — "
        f"{escape(line.agency_name)}"
    )


def _event(event: DigestEvent, kind: str) -> str:
    line = event.line
    details: list[str] = []
    if kind == "done":
        details.append(f"xong {short_date(event.on)}")
        if line.due_on is not None:
            late = (event.on - line.due_on).days
            details.append(f"hạn {short_date(line.due_on)}" + (f", trễ {late} ngày" if late > 0 else ""))
    elif kind == "blocked":
        details.append(f"báo {short_date(event.on)}")
        if line.due_on is not None:
            details.append(f"hạn {short_date(line.due_on)}")
    elif kind == "extension":
        details.append(f"đề nghị {short_date(event.on)}")
        if event.proposed_due_on is not None:
            details.append(f"xin đến {short_date(event.proposed_due_on)}")
        if line.due_on is not None:
            details.append(f"hạn hiện tại {short_date(line.due_on)}")
    elif kind == "overdue" and line.due_on is not None:
        details.append(f"hạn {short_date(line.due_on)}")
    text = _item(_who_what(line), details)
    if event.note:
        text += f"\n   “{escape(short_title(event.note, 160))}”"
    return text


def _events(heading: str, events: Sequence[DigestEvent], kind: str) -> list[str]:
    if not events:
        return []
    blocks = [f"\n<b>{heading}</b> ({len(events)})"]
    blocks += [_event(e, kind) for e in events[:LIST_LIMIT]]
    if len(events) > LIST_LIMIT:
        blocks.append(f"… và {len(events) - LIST_LIMIT} nhiệm vụ khác (xem tệp Excel).")
    return blocks


def _unassigned(tasks: Sequence[UnassignedTask]) -> list[str]:
    if not tasks:
        return []
    blocks = [f"\n❓ <b>Nhiệm vụ chưa giao cơ quan chủ trì</b> ({len(tasks)}) — chưa cơ quan nào được nhắc:"]
    for task in tasks[:LIST_LIMIT]:
        blocks.append(
            f"• {escape(short_title(task.title, TITLE_LIMIT))} <i>(KH {escape(task.plan_number)}, "
            f"mục {escape(task.task_ref)}, {task_code(task.task_id)})</i>"
        )
    if len(tasks) > LIST_LIMIT:
        blocks.append(f"… và {len(tasks) - LIST_LIMIT} nhiệm vụ khác (xem tệp Excel).")
    return blocks


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(escape(n) for n in names[:NAMES_LIMIT])
    return shown + (f" và {len(names) - NAMES_LIMIT} cơ quan khác" if len(names) > NAMES_LIMIT else "")


def quiet_text(digest: Digest) -> str:
    """The one line of a digest with nothing to say."""
    return (
        f"📊 <b>{escape(digest_title(digest))}</b>, {period_label(digest.period)}: "
        "không có nhiệm vụ nào quá hạn, sắp đến hạn hay thay đổi."
    )


def digest_messages(digest: Digest) -> list[str]:
    """The digest as messages, each under Telegram's limit."""
    if digest.quiet:
        return [quiet_text(digest)]
    blocks = [
        f"📊 <b>{escape(digest_title(digest))}</b>\n"
        f"{period_label(digest.period).capitalize()} · số liệu đến hết {long_date(digest.as_of)}",
        *headline(digest.total, tasks=digest.tasks, unassigned=len(digest.unassigned)),
    ]
    if len(digest.plans) > 1:
        blocks.append("\n<b>Theo kế hoạch</b>")
        for plan in digest.plans:
            f = plan.figures
            blocks.append(
                f"• KH {escape(plan.plan_number)}: {counts_line(plan.tasks, f, plan.unassigned)} · "
                f"hoàn thành {percent(f.completion_rate_all)} tổng số mốc, {percent(f.completion_rate)} số mốc "
                f"đã đến hạn · quá hạn {f.overdue} · trong hạn {f.in_term} · chưa có hạn {f.no_deadline}"
                + (f" · chưa cập nhật {f.unconfirmed}" if f.unconfirmed else "")
                + (f" · tạm dừng nhắc {f.held}" if f.held else "")
                + (f" · không thực hiện {f.waived}" if f.waived else "")
            )
    behind = [row for row in digest.agencies if row.figures.overdue]
    if digest.agencies:
        blocks.append("\n<b>Cơ quan chậm nhất</b>" if behind else "\n<b>Cơ quan</b>")
        for number, row in enumerate(digest.agencies[:TOP_AGENCIES], start=1):
            blocks.append(agency_line(number, row))
        rest = digest.agencies[TOP_AGENCIES:]
        if rest:
            rest_behind = sum(1 for row in rest if row.figures.overdue)
            blocks.append(
                f"… và {len(rest)} cơ quan khác"
                + (f" ({rest_behind} có nhiệm vụ quá hạn)" if rest_behind else " (không có nhiệm vụ quá hạn)")
                + " — xem biểu đồ và tệp Excel."
            )
    contacts = []
    if digest.unreachable:
        contacts.append(f"⚠️ Không liên lạc được (bot bị xóa khỏi nhóm hoặc bị chặn): {_names(digest.unreachable)}")
    if digest.unbound:
        contacts.append(f"📭 Chưa có nhóm nhận nhắc việc (chưa đăng ký /dangky): {_names(digest.unbound)}")
    if digest.silent:
        contacts.append(f"🔕 Không phản hồi nhắc việc {SILENT_DAYS} ngày qua: {_names(digest.silent)}")
    if contacts:
        blocks.append("\n" + contacts[0])
        blocks += contacts[1:]

    blocks += _unassigned(digest.unassigned)

    label = "trong tuần" if digest.period.kind is DigestKind.WEEK else "trong tháng"
    blocks += _events(f"✅ Hoàn thành {label}", digest.completed, "done")
    blocks += _events(f"🚧 Vướng mắc mới {label}", digest.new_blockers, "blocked")
    blocks += _events("📝 Đề nghị gia hạn chờ quyết định", digest.extension_requests, "extension")
    blocks += _events(f"⛔ Mới quá hạn {label}", digest.became_overdue, "overdue")
    if not digest.changed:
        blocks.append(f"\nKhông có thay đổi nào {label}.")

    if digest.due_soon:
        soon = by_task(digest.due_soon)
        blocks.append(f"\n<b>⏰ Đến hạn trong {digest.soon_days} ngày tới</b> ({len(soon)})")
        for group in soon[:LIST_LIMIT]:
            line = group.line
            who = (
                f"• {escape(short_title(line.title, TITLE_LIMIT))} <i>({task_code(line.task_id)})</i> — "
                + ", ".join(escape(name) for name in group.agency_names)
            )
            blocks.append(_item(who, [f"hạn {short_date(line.due_on)}" if line.due_on else ""]))
        if len(soon) > LIST_LIMIT:
            blocks.append(f"… và {len(soon) - LIST_LIMIT} nhiệm vụ khác (xem tệp Excel).")
    else:
        blocks.append(f"\nKhông có nhiệm vụ nào đến hạn trong {digest.soon_days} ngày tới.")
    return split_blocks(blocks)


def chart_caption(digest: Digest, shown: int) -> str:
    """Under the chart (≤ 1024 characters)."""
    total = len(digest.agencies)
    scope = f"{shown} cơ quan chậm nhất / {total}" if shown < total else f"{total} cơ quan"
    return _cap(f"📈 Tình trạng nhiệm vụ theo cơ quan ({scope}), {period_label(digest.period)}.")


def workbook_caption(digest: Digest) -> str:
    return _cap(
        f"📎 Số liệu chi tiết {period_label(digest.period)}: mỗi kế hoạch một trang, "
        "trang tổng hợp theo cơ quan."
    )


def report_caption(digest: Digest) -> str:
    return _cap(f"📝 Dự thảo báo cáo kết quả cải cách hành chính {period_label(digest.period)} (.docx).")


def _cap(text: str) -> str:
    return text if len(text) <= CAPTION_LIMIT else text[: CAPTION_LIMIT - 1] + "…"


def nothing_to_report(as_of: date) -> str:
    return f"📊 Chưa có kế hoạch nào để báo cáo ({short_date(as_of)}). Hãy nhập kế hoạch trước."


def chart_title(period: DigestPeriod) -> str:
    return f"Tình trạng nhiệm vụ theo cơ quan — {period_label(period)}"


# The error a leaders' report run left `sending` by a process that died carries.
STALE_RUN = "tiến trình dừng khi đang gửi"


def migrated_again(new_chat_id: int) -> str:
    """A leaders' chat that migrated twice in one send (tried again later)."""
    return f"nhóm đã chuyển sang {new_chat_id}"
