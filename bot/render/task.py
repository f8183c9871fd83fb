"""/nhiemvu: one task in full, as Vietnamese HTML (every piece of plan text escaped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.domain.codes import task_code
from bot.domain.plans.draft import ReviewReason
from bot.domain.status import ChangeSource, Status, category
from bot.render.format import days_phrase, short_date
from bot.render.labels import review_label
from bot.render.split import split_blocks

SOURCE_LABELS = {
    ChangeSource.IMPORT: "nhập kế hoạch",
    ChangeSource.CHAT: "trả lời tin nhắn",
    ChangeSource.BUTTON: "nút bấm",
    ChangeSource.COMMAND: "lệnh",
    ChangeSource.ADMIN: "quản trị viên",
    ChangeSource.SYSTEM: "hệ thống",
}
HISTORY_SHOWN = 15


@dataclass(frozen=True)
class ItemView:
    due_on: date
    original_due_on: date
    agency_name: str
    status: Status
    progress: int
    completed_on: date | None


@dataclass(frozen=True)
class HistoryView:
    at: datetime
    due_on: date
    agency_name: str
    source: ChangeSource
    new_status: Status
    progress: int | None
    actor: str | None
    note: str | None


@dataclass(frozen=True)
class TaskView:
    task_id: int
    ref: str
    plan_number: str
    plan_title: str | None
    section: str | None
    title: str
    product: str | None
    lead: tuple[str, ...]  # agency names ("Sở TT&TT (nay: Sở KH&CN)")
    support: tuple[str, ...]
    lead_text: str | None
    support_text: str | None
    deadline_text: str
    needs_review: tuple[str, ...]
    removed: bool
    items: tuple[ItemView, ...]
    history: tuple[HistoryView, ...]
    own_items_only: bool  # an agency chat sees its own due items only


def _review(value: str) -> str:
    try:
        return review_label(ReviewReason(value))
    except ValueError:
        return value


def _item(item: ItemView, today: date) -> str:
    cat = category(item.status, item.due_on, item.completed_on, today)
    parts = [f"• {short_date(item.due_on)} — {escape(item.agency_name)}: {cat.label}"]
    if item.status is Status.DONE:
        if item.completed_on:
            parts.append(f"xong {short_date(item.completed_on)}")
    else:
        if item.status is not Status.PENDING:
            label = item.status.label
            if item.progress:
                label += f" {item.progress}%"
            parts.append(label)
        parts.append(days_phrase(item.due_on, today))
    if item.original_due_on != item.due_on:
        parts.append(f"hạn gốc {short_date(item.original_due_on)}")
    return " · ".join(parts)


def _history(row: HistoryView, tz: ZoneInfo) -> str:
    when = row.at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
    what = row.new_status.label
    if row.progress and row.new_status is Status.IN_PROGRESS:
        what += f" {row.progress}%"
    text = f"• {when} — hạn {short_date(row.due_on)}: {what}"
    if row.note:
        text += f" — {escape(row.note)}"
    who = escape(row.actor) if row.actor else SOURCE_LABELS.get(row.source, str(row.source))
    return f"{text} <i>({who})</i>"


def task_messages(view: TaskView, today: date, tz: ZoneInfo) -> list[str]:
    head = f"📌 <b>Nhiệm vụ {task_code(view.task_id)}</b>"
    plan = f"Kế hoạch {escape(view.plan_number)}"
    if view.plan_title:
        plan += f" — {escape(view.plan_title)}"
    blocks = [head, plan]
    if view.removed:
        blocks.append("⚠️ Nhiệm vụ này không còn trong bản kế hoạch mới nhất.")
    if view.section:
        blocks.append(f"<b>Mục:</b> {escape(view.section)}")
    blocks.append(f"<b>Số thứ tự trong kế hoạch:</b> {escape(view.ref)}")
    blocks.append(f"<b>Nội dung:</b> {escape(view.title)}")
    if view.product:
        blocks.append(f"<b>Sản phẩm:</b> {escape(view.product)}")
    lead = ", ".join(escape(n) for n in view.lead) or escape(view.lead_text or "—")
    blocks.append(f"<b>Cơ quan chủ trì:</b> {lead}")
    support = ", ".join(escape(n) for n in view.support) or escape(view.support_text or "")
    if support:
        blocks.append(f"<b>Cơ quan phối hợp:</b> {support}")
    blocks.append(f"<b>Thời hạn (theo kế hoạch):</b> {escape(view.deadline_text or '—')}")
    if view.needs_review:
        blocks.append("⚠️ Cần rà soát: " + ", ".join(_review(r) for r in view.needs_review))

    heading = "Các mốc hạn của cơ quan" if view.own_items_only else "Các mốc hạn"
    blocks.append(f"\n<b>{heading}</b>")
    if view.items:
        blocks.extend(_item(item, today) for item in view.items)
    elif view.own_items_only:
        blocks.append("Cơ quan tham gia phối hợp; tiến độ do cơ quan chủ trì báo cáo.")
    else:
        blocks.append("Chưa có mốc hạn cụ thể (chưa xác định thời hạn).")

    blocks.append("\n<b>Lịch sử cập nhật</b>")
    if view.history:
        shown = view.history[-HISTORY_SHOWN:]
        if len(shown) < len(view.history):
            blocks.append(f"… {len(view.history) - len(shown)} cập nhật cũ hơn không hiển thị.")
        blocks.extend(_history(row, tz) for row in shown)
    else:
        blocks.append("Chưa có cập nhật nào.")
    return split_blocks(blocks)


def task_not_found(code_text: str) -> str:
    return (
        f"Không tìm thấy nhiệm vụ “{escape(code_text)}” trong phạm vi của nhóm này. "
        "Mã nhiệm vụ có dạng NV12, in trong các danh sách /tiendo, /quahan, /sapden."
    )
