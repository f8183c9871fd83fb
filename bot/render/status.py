"""Vietnamese texts of status updates: task cards, confirmations, questions, extension requests.

HTML; everything that comes from people or plans is escaped here. Texts for callback
answers (alerts) stay under Telegram's 200 characters and are plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape

from bot.domain.codes import task_code
from bot.domain.replies import AskReason, ChangeKind, Chatter, DocumentRef, Intent
from bot.domain.status import Category, Reason, Status, UndoReason, category
from bot.render.format import days_phrase, short_date
from bot.render.progress import short_title

TITLE_LIMIT = 120
ALERT_LIMIT = 190

# Button labels (callback data: bot.domain.callbacks, built by bot.services.status).
BTN_DONE = "✅ Hoàn thành"
BTN_PROGRESS = "⏳ Đang thực hiện"
BTN_BLOCKED = "⚠️ Vướng mắc"
BTN_EXTENSION = "📅 Xin gia hạn"
BTN_BACK = "◀ Quay lại"
BTN_CANCEL = "✖ Huỷ"
BTN_UNDO = "↩️ Hoàn tác"
BTN_NONE_OF_THESE = "✖ Không phải"
BTN_APPROVE = "✅ Đồng ý gia hạn"
BTN_REJECT = "✖ Từ chối"
PROGRESS_STEPS = (25, 50, 75)


@dataclass(frozen=True)
class ItemView:
    """One due item as the status texts show it."""

    due_item_id: int
    task_id: int
    title: str
    plan_number: str
    agency_name: str
    due_on: date
    original_due_on: date
    status: Status
    progress: int
    completed_on: date | None
    number: int | None = None  # its number in the message answered; None: refer by code

    @property
    def ref(self) -> str:
        """"nhiệm vụ 2" (as numbered in the reminder) or "nhiệm vụ NV12"."""
        if self.number is not None:
            return f"nhiệm vụ {self.number}"
        return f"nhiệm vụ {task_code(self.task_id)}"


def when(at: datetime) -> str:
    """'09:12 23/06/2025' (pass a local time)."""
    return at.strftime("%H:%M %d/%m/%Y")


def state_phrase(
    status: Status,
    progress: int,
    *,
    due_on: date,
    completed_on: date | None,
    today: date,
    proposed: date | None = None,
) -> str:
    """'Đang thực hiện 60%', 'Đã hoàn thành đúng hạn', 'Đã gia hạn đến 15/12/2025' …"""
    if status is Status.DONE:
        cat = category(status, due_on, completed_on, today)
        return cat.label if cat in (Category.DONE_ON_TIME, Category.DONE_LATE) else status.label
    if status is Status.IN_PROGRESS:
        return f"Đang thực hiện {progress}%" if progress else "Đang thực hiện"
    if status is Status.EXTENSION_REQUESTED:
        return f"Đề nghị gia hạn đến {short_date(proposed)}" if proposed else status.label
    if status is Status.EXTENDED:
        return f"Đã gia hạn đến {short_date(due_on)}"
    if status is Status.BLOCKED and progress:
        return f"Vướng mắc (đã làm {progress}%)"
    return status.label


def _item_state(item: ItemView, today: date, proposed: date | None = None) -> str:
    return state_phrase(
        item.status, item.progress, due_on=item.due_on, completed_on=item.completed_on, today=today,
        proposed=proposed,
    )


def _item_line(item: ItemView) -> str:
    return f"<i>{task_code(item.task_id)} · {escape(short_title(item.title, TITLE_LIMIT))}</i>"


def _due_line(item: ItemView, today: date) -> str:
    text = f"Hạn {short_date(item.due_on)}"
    if item.status is not Status.DONE:
        text += f" · {days_phrase(item.due_on, today)}"
    if item.original_due_on != item.due_on:
        text += f" · hạn gốc {short_date(item.original_due_on)}"
    return text


# --- the task card: tap 1 --------------------------------------------------------------------


def card_text(item: ItemView, today: date, *, proposed: date | None = None) -> str:
    """The card under which the four choices sit."""
    head = f"✏️ <b>Cập nhật {escape(item.ref)}</b>"
    if item.number is not None:
        head += f" ({task_code(item.task_id)})"
    return "\n".join(
        [
            head,
            escape(short_title(item.title, 300)),
            f"<i>KH {escape(item.plan_number)} · {escape(item.agency_name)}</i>",
            f"{_due_line(item, today)} · Hiện tại: {escape(_item_state(item, today, proposed))}",
            "",
            "Chọn trạng thái mới, hoặc trả lời tin nhắn này (vd. “đang làm 60%”).",
        ]
    )


def card_progress_text(item: ItemView, today: date) -> str:
    return card_text(item, today).rsplit("\n", 1)[0] + "\nĐang thực hiện: chọn mức tiến độ."


def ask_note_text(item: ItemView, today: date) -> str:
    return (
        card_text(item, today).rsplit("\n", 1)[0]
        + f"\n⚠️ <b>Vướng mắc</b>: hãy <b>trả lời tin nhắn này</b> bằng một dòng nêu vướng mắc của {escape(item.ref)}."
    )


def ask_date_text(item: ItemView, today: date, *, problem: str | None = None) -> str:
    text = card_text(item, today).rsplit("\n", 1)[0]
    if problem:
        text += f"\n❗ {escape(problem)}"
    return (
        text
        + "\n📅 <b>Xin gia hạn</b>: hãy <b>trả lời tin nhắn này</b> với ngày đề nghị và lý do, "
        "vd. “15/12/2025 vì chờ hướng dẫn của Bộ”."
    )


def prompt_closed_text(item: ItemView, today: date, note: str) -> str:
    return card_text(item, today).rsplit("\n", 1)[0] + f"\n<i>{escape(note)}</i>"


# --- what was recorded -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedView:
    """One change the bot recorded."""

    item: ItemView  # after the change
    kind: ChangeKind
    actor: str
    at: datetime  # local time
    note: str | None = None
    documents: tuple[DocumentRef, ...] = ()
    files: tuple[str, ...] = ()  # names of the files attached as evidence
    proposed: date | None = None  # an extension request's date
    unchanged: bool = False  # a note (or evidence) only


def _document(doc: DocumentRef) -> str:
    parts = [doc.kind] if doc.kind else []
    parts.append(doc.number or doc.text)
    if doc.issued_on:
        parts.append(f"ngày {short_date(doc.issued_on)}")
    return " ".join(parts)


def recorded_line(view: RecordedView, today: date) -> str:
    who = f"({escape(view.actor)}, {when(view.at)})"
    item = view.item
    if view.kind is ChangeKind.EXTENSION:
        head = (
            f"📅 Đã gửi đề nghị gia hạn: {escape(item.ref)} — đến {short_date(view.proposed)} "
            f"(hạn hiện tại {short_date(item.due_on)}) {who}."
            if view.proposed
            else f"📅 Đã gửi đề nghị gia hạn: {escape(item.ref)} {who}."
        )
    elif view.unchanged:
        what = "tệp minh chứng" if view.files and not view.note else "ghi chú"
        head = f"📝 Đã lưu {what} cho {escape(item.ref)} {who}; trạng thái giữ nguyên: {escape(_item_state(item, today))}."
    else:
        head = f"✅ Đã ghi nhận: {escape(item.ref)} — {escape(_item_state(item, today))} {who}."
    lines = [head, _item_line(item)]
    if view.note:
        label = "Lý do" if view.kind is ChangeKind.EXTENSION else ("Vướng mắc" if view.kind is ChangeKind.BLOCKED else "Ghi chú")
        lines.append(f"{label}: {escape(view.note)}")
    if view.documents:
        lines.append("Văn bản: " + "; ".join(escape(_document(d)) for d in view.documents))
    if view.files:
        lines.append("📎 Tệp: " + ", ".join(escape(f) for f in view.files))
    return "\n".join(lines)


def recorded_text(views: Sequence[RecordedView], today: date, *, refused: Sequence[str] = (), undo_minutes: int = 15) -> str:
    blocks = [recorded_line(v, today) for v in views]
    blocks += [f"❗ {escape(r)}" for r in refused]
    text = "\n\n".join(blocks)
    if views and any(not v.unchanged for v in views):
        extension = any(v.kind is ChangeKind.EXTENSION for v in views)
        tail = f"Bấm “Hoàn tác” trong {undo_minutes} phút nếu ghi nhận nhầm."
        if extension:
            tail = "Đề nghị đã được chuyển tới lãnh đạo tỉnh để xem xét. " + tail
        text += f"\n\n<i>{tail}</i>"
    return text


def undo_label(number: int | None, several: bool) -> str:
    return f"{BTN_UNDO} {number}" if several and number is not None else BTN_UNDO


def undone_text(item: ItemView, today: date, *, actor: str, at: datetime) -> str:
    return (
        f"↩️ Đã hoàn tác: {escape(item.ref)} trở lại “{escape(_item_state(item, today))}” "
        f"({escape(actor)}, {when(at)}).\n{_item_line(item)}"
    )


def refused_text(reason: str) -> str:
    return f"❗ {escape(reason)}"


# --- questions ---------------------------------------------------------------------------------

_KIND_LABELS = {
    ChangeKind.DONE: "Hoàn thành",
    ChangeKind.PROGRESS: "Đang thực hiện",
    ChangeKind.BLOCKED: "Vướng mắc",
    ChangeKind.EXTENSION: "Xin gia hạn",
    ChangeKind.NOTE: "Chỉ lưu ghi chú",
}
_KIND_ICONS = {
    ChangeKind.DONE: "✅",
    ChangeKind.PROGRESS: "⏳",
    ChangeKind.BLOCKED: "⚠️",
    ChangeKind.EXTENSION: "📅",
    ChangeKind.NOTE: "📝",
}


def intent_label(intent: Intent) -> str:
    """'Đang thực hiện 60%', 'Xin gia hạn đến 15/12/2025' (no icon)."""
    label = _KIND_LABELS[intent.kind]
    if intent.kind is ChangeKind.PROGRESS and intent.progress is not None:
        label += f" {intent.progress}%"
    if intent.kind is ChangeKind.EXTENSION and intent.new_due_on:
        label += f" đến {short_date(intent.new_due_on)}"
    return label


def option_label(ref: str, intent: Intent, *, show_ref: bool, show_kind: bool) -> str:
    """A button: '✅ 2: Hoàn thành' — short (Telegram shows about 30 characters)."""
    icon = _KIND_ICONS[intent.kind]
    parts = []
    if show_ref:
        parts.append(ref)
    if show_kind or not show_ref:
        parts.append(intent_label(intent))
    return f"{icon} " + ": ".join(parts)


_QUESTIONS = {
    AskReason.WHICH_ITEM: "Tin nhắn này có nhiều nhiệm vụ. Anh/chị cập nhật nhiệm vụ nào?",
    AskReason.UNKNOWN_NUMBER: "Tin nhắn này không có nhiệm vụ số {detail}. Anh/chị muốn cập nhật nhiệm vụ nào?",
    AskReason.AMBIGUOUS_NUMBER: "“{detail}” có thể là số thứ tự hoặc mã nhiệm vụ. Anh/chị muốn cập nhật nhiệm vụ nào?",
    AskReason.WHICH_STATUS: "Bot chưa rõ trạng thái. Anh/chị chọn trạng thái đúng:",
    AskReason.CONFLICT: "Bot chưa chắc ý anh/chị. Anh/chị chọn trạng thái đúng:",
}


def question_text(reason: AskReason, raw: str, detail: str | None, *, item_lines: Sequence[str] = ()) -> str:
    question = _QUESTIONS.get(reason, _QUESTIONS[AskReason.CONFLICT]).format(detail=escape(detail or ""))
    lines = [f"❓ Bot hiểu: “{escape(raw)}”" if raw else "❓", question]
    lines += [escape(line) for line in item_lines]
    lines.append("<i>Chưa có gì được ghi nhận cho tới khi anh/chị chọn.</i>")
    return "\n".join(lines)


def question_closed_text(raw: str, outcome: str) -> str:
    return f"❓ “{escape(raw)}”\n<i>{escape(outcome)}</i>"


def which_due_text(code: str, intent: Intent) -> str:
    return (
        f"❓ Nhiệm vụ {escape(code)} có nhiều mốc hạn chưa hoàn thành. “{escape(intent_label(intent))}” "
        "cho mốc hạn nào?\n<i>Chưa có gì được ghi nhận cho tới khi anh/chị chọn.</i>"
    )


def other_dates_text(count: int) -> str:
    return (
        f"<i>Nhiệm vụ còn {count} mốc hạn khác chưa hoàn thành; thẻ này là mốc sớm nhất. "
        "Dùng /capnhat để chọn mốc khác.</i>"
    )


NO_ITEMS = (
    "Bot chưa biết anh/chị nói về nhiệm vụ nào. Hãy trả lời đúng tin nhắn nhắc việc, "
    "hoặc ghi mã nhiệm vụ, vd. <code>/capnhat NV12 xong</code>."
)


def chatter_text(chatter: Chatter, *, has_items: bool) -> str:
    """A polite answer to a reply that is not a status."""
    example = "“1 xong”, “2 đang làm 60%”, “3 vướng mắc do …”, “xin gia hạn nhiệm vụ 2 đến 15/12”"
    if chatter is Chatter.THANKS:
        return "Dạ, cảm ơn anh/chị. Khi có tiến độ mới, anh/chị cứ trả lời tin nhắn nhắc việc để bot ghi nhận."
    if chatter is Chatter.ACK:
        return f"Dạ, bot đã nhận. Khi có tiến độ, anh/chị trả lời tin nhắn nhắc việc, ví dụ: {example}."
    if chatter is Chatter.GREETING:
        return f"Xin chào anh/chị! Để báo cáo tiến độ, hãy trả lời tin nhắn nhắc việc, ví dụ: {example}."
    if chatter is Chatter.QUESTION:
        return (
            "Bot chỉ ghi nhận báo cáo tiến độ nên chưa trả lời được câu hỏi này. Xem chi tiết nhiệm vụ bằng "
            "<code>/nhiemvu NV12</code>, tiến độ bằng /tiendo; câu hỏi nghiệp vụ xin gửi Văn phòng UBND tỉnh/Sở Nội vụ."
        )
    tail = " hoặc bấm nút bên dưới" if has_items else ""
    return f"Xin lỗi, bot chưa hiểu nội dung này. Anh/chị hãy trả lời theo mẫu: {example}{tail}."


# --- evidence -----------------------------------------------------------------------------


def which_item_for_file_text(file_name: str) -> str:
    return (
        f"📎 Tệp “{escape(file_name)}” là minh chứng cho nhiệm vụ nào? "
        "<i>Chưa có gì được lưu cho tới khi anh/chị chọn.</i>"
    )


# --- extension requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionView:
    request_id: int
    item: ItemView
    current_due_on: date
    proposed_due_on: date
    reason: str | None
    requested_by: str
    requested_at: datetime  # local
    decided_by: str | None = None
    decided_at: datetime | None = None  # local
    approved: bool | None = None  # None: pending or withdrawn
    withdrawn: str | None = field(default=None)  # why it no longer stands


def extension_request_text(view: ExtensionView) -> str:
    """To the leaders' chat (or the admins), with Approve / Reject."""
    item = view.item
    lines = [
        f"📅 <b>Đề nghị gia hạn — {escape(item.agency_name)}</b>",
        f"Nhiệm vụ {task_code(item.task_id)}: {escape(short_title(item.title, 300))}",
        f"<i>KH {escape(item.plan_number)}</i>",
        f"Hạn hiện tại: {short_date(view.current_due_on)}"
        + (f" (hạn gốc {short_date(item.original_due_on)})" if item.original_due_on != view.current_due_on else ""),
        f"Đề nghị gia hạn đến: <b>{short_date(view.proposed_due_on)}</b>",
        f"Lý do: {escape(view.reason) if view.reason else '(không nêu)'}",
        f"Người đề nghị: {escape(view.requested_by)}, {when(view.requested_at)}",
    ]
    if view.approved is True and view.decided_by and view.decided_at:
        lines.append(f"\n✅ <b>Đã đồng ý</b> ({escape(view.decided_by)}, {when(view.decided_at)}).")
    elif view.approved is False and view.decided_by and view.decided_at:
        lines.append(f"\n✖ <b>Đã từ chối</b> ({escape(view.decided_by)}, {when(view.decided_at)}).")
    elif view.withdrawn:
        lines.append(f"\n<i>{escape(view.withdrawn)}</i>")
    return "\n".join(lines)


def extension_outcome_text(view: ExtensionView) -> str:
    """Posted back to the agency chat."""
    item = view.item
    who = f"({escape(view.decided_by or '')}, {when(view.decided_at)})" if view.decided_at else ""
    if view.approved:
        return (
            f"✅ <b>Đã được gia hạn</b>: nhiệm vụ {task_code(item.task_id)} — hạn mới {short_date(view.proposed_due_on)} "
            f"(hạn trước {short_date(view.current_due_on)}) {who}.\n{_item_line(item)}\n"
            "Nhắc việc sẽ theo hạn mới."
        )
    return (
        f"✖ <b>Đề nghị gia hạn bị từ chối</b>: nhiệm vụ {task_code(item.task_id)} — hạn vẫn là "
        f"{short_date(view.current_due_on)} {who}.\n{_item_line(item)}"
    )


def pending_extensions_text(count: int) -> str:
    if not count:
        return "Không có đề nghị gia hạn nào đang chờ duyệt."
    return f"Có {count} đề nghị gia hạn đang chờ duyệt:"


NO_LEADERS = (
    "Chưa có nhóm lãnh đạo tỉnh và chưa gửi được tới quản trị viên: đề nghị đã được lưu, "
    "quản trị viên xem bằng lệnh /giahan."
)


# --- reasons from the status rules (bot.domain.status) → Vietnamese -----------------------

GONE = "Nhiệm vụ này không còn được theo dõi (đã bị huỷ hoặc bỏ khỏi kế hoạch)."
NOT_YOURS = "Chỉ nhóm của cơ quan chủ trì và quản trị viên được cập nhật nhiệm vụ này."
SUPPORT_ONLY = "Cơ quan phối hợp chỉ thêm được ghi chú (vd. “ghi chú: …”), không thay đổi được trạng thái."
NOT_LEADER = "Chỉ nhóm lãnh đạo tỉnh hoặc quản trị viên mới duyệt được đề nghị gia hạn."


def report_refusal_text(
    reason: Reason,
    *,
    ref: str,
    state: str,
    completed_on: date | None = None,
    pending_to: date | None = None,
) -> str:
    """Why a report changed nothing (refused reasons of `bot.domain.status.decide`)."""
    ref = ref.capitalize()
    if reason is Reason.GONE:
        return GONE
    if reason is Reason.NOT_YOURS:
        return NOT_YOURS
    if reason is Reason.SUPPORT_ONLY:
        return SUPPORT_ONLY
    if reason is Reason.STALE:
        return f"Nhiệm vụ vừa được cập nhật ({state}); tin nhắn đã được làm mới, xin bấm lại."
    if reason is Reason.ALREADY_DONE:
        done_on = f" ngày {short_date(completed_on)}" if completed_on else ""
        return f"{ref} đã được ghi nhận hoàn thành{done_on}."
    if reason is Reason.EMPTY_NOTE:
        return "Ghi chú trống: không có gì để lưu."
    if reason is Reason.DONE_NEEDS_NO_EXTENSION:
        return f"{ref} đã hoàn thành: không cần gia hạn."
    if reason is Reason.EXTENSION_PENDING:
        return f"{ref} đang chờ lãnh đạo duyệt đề nghị gia hạn đến {short_date(pending_to) if pending_to else '…'}."
    if reason is Reason.NOTHING_CHANGED:
        return f"{ref} đã ở trạng thái “{state}”: không có gì thay đổi."
    if reason is Reason.COMPLETED_IN_FUTURE:
        return f"{ref}: ngày hoàn thành không thể sau hôm nay. Xin gửi lại ngày đã hoàn thành."
    if reason is Reason.NOT_UNKNOWN:
        return f"{ref} đang ở trạng thái “{state}”: không cần xác nhận."
    raise ValueError(f"not a refusal: {reason}")


def date_problem_text(reason: Reason, *, typed: str | None, proposed: date | None, due_on: date) -> str | None:
    """Why an extension's date cannot be used (asked again), or None when none was given."""
    if reason is Reason.DATE_INVALID:
        return f"Ngày “{typed}” không hợp lệ hoặc đã qua."
    if reason is Reason.DATE_PAST and proposed is not None:
        return f"Ngày đề nghị ({short_date(proposed)}) đã qua."
    if reason is Reason.DATE_NOT_AFTER_DUE and proposed is not None:
        return f"Ngày đề nghị ({short_date(proposed)}) phải sau hạn hiện tại ({short_date(due_on)})."
    return None


_UNDO_REFUSALS = {
    UndoReason.UNKNOWN: "Không hoàn tác được thay đổi này.",
    UndoReason.ALREADY_UNDONE: "Thay đổi này đã được hoàn tác.",
    UndoReason.NOT_THE_AUTHOR: "Chỉ người đã cập nhật (hoặc quản trị viên) mới hoàn tác được.",
    UndoReason.GONE: GONE,
    UndoReason.NOT_YOURS: NOT_YOURS,
    UndoReason.NEWER_CHANGE: "Nhiệm vụ đã có cập nhật mới hơn: không hoàn tác được thay đổi cũ.",
}


def undo_refusal_text(reason: UndoReason, *, window_minutes: int) -> str:
    if reason is UndoReason.TOO_LATE:
        return (
            f"Đã quá {window_minutes} phút: không hoàn tác được nữa. Hãy cập nhật lại trạng thái đúng."
        )
    return _UNDO_REFUSALS[reason]


EXTENSION_OVERTAKEN = "Đề nghị không còn hiệu lực: nhiệm vụ đã được cập nhật sau khi gửi đề nghị."
_DECIDED = {"approved": "đã được đồng ý", "rejected": "đã bị từ chối", "cancelled": "đã được rút hoặc không còn hiệu lực"}


def extension_decided_text(state: str, decided_by: str | None) -> str:
    """An extension request answered twice: who answered it first (a withdrawal has no one)."""
    who = f" ({decided_by})" if decided_by and state != "cancelled" else ""
    return f"Đề nghị này {_DECIDED[state]}{who}."


# --- answers of the status use cases (bot.services.status) ------------------------------------

RECORDED = "Đã ghi nhận."
UNDONE = "Đã hoàn tác."
CANCELLED = "Đã huỷ."
APPROVED = "Đã đồng ý gia hạn."
REJECTED = "Đã từ chối."
CARD_REFRESHED = "Nhiệm vụ vừa được cập nhật; đây là thông tin mới nhất."
QUESTION_ANSWERED = "Câu hỏi này đã được trả lời."
NOTHING_RECORDED = "Không ghi nhận gì."
CHOSEN_NEXT = "Đã chọn; xin trả lời câu hỏi tiếp theo."
ANSWER_RECEIVED = "Đã nhận trả lời, xem tin nhắn bên dưới."
ASK_NOTE_AGAIN = "Xin nêu vướng mắc bằng một dòng chữ (trả lời tin nhắn câu hỏi)."
ASK_DATE_AGAIN = "Bot chưa đọc được ngày đề nghị. Ví dụ: “15/12/2025 vì chờ hướng dẫn của Bộ”."
NOT_A_STATUS = "Bot chưa hiểu trạng thái."
FILE_NAME = "tệp"  # a document sent without a name
CAPNHAT_USAGE = (
    "Cách dùng: <code>/capnhat NV12 xong</code> · <code>/capnhat NV12 đang làm 60%</code> · "
    "<code>/capnhat NV12 vướng mắc do …</code> · <code>/capnhat NV12 xin gia hạn đến 15/12 vì …</code> · "
    "<code>/capnhat NV12 ghi chú: …</code>. Chỉ ghi mã để chọn bằng nút."
)


def date_again_text(problem: str | None) -> str:
    """The date answered cannot be used: why, and answer again."""
    return refused_text(problem or "Bot chưa đọc được ngày đề nghị.") + "\nXin trả lời lại tin nhắn câu hỏi với ngày khác."


def due_option_label(agency_name: str | None, due_on: date) -> str:
    """A button choosing one due date of a task (with its agency when several lead it)."""
    label = f"hạn {due_on:%d/%m/%Y}"
    return f"{agency_name} · {label}" if agency_name else label[0].upper() + label[1:]


def photo_name(at: datetime) -> str:
    """The name given to a photo sent as evidence (photos have none)."""
    return f"ảnh {at.strftime('%d%m%Y-%H%M%S')}.jpg"


def twin_note(code: str) -> str:
    """History note of an item answered together with its twin (one line of the reminder)."""
    return f"Ghi nhận cùng {code}: cùng nhiệm vụ và thời hạn, nay do một cơ quan thực hiện (sáp nhập hoặc trùng tên)."


# --- history notes and refusals written by the status use case (bot/services/status.py) ----

FILE_FALLBACK_NAME = "tệp"  # an evidence file Telegram sent without a name
EXTENSION_WITHDRAWN = "Đề nghị đã được rút hoặc không còn hiệu lực (nhiệm vụ đã được cập nhật)."
EXTENSION_MISSING = "Đề nghị gia hạn không tồn tại."
EXTENSION_TAKEN = "Đề nghị này vừa được người khác xử lý."
PROMPT_STALE = "Câu hỏi này không còn hiệu lực."
PROMPT_CLOSED = "Câu hỏi này đã được trả lời hoặc đã huỷ."
PROMPT_EXPIRED = "Câu hỏi này đã hết hạn; xin cập nhật lại."


def extension_request_note(proposed: date, note: str | None) -> str:
    return f"Đề nghị gia hạn đến {short_date(proposed)}" + (f": {note}" if note else "")


def evidence_note(names: Sequence[str]) -> str:
    return "📎 Minh chứng: " + ", ".join(names)


def undo_note(old_label: str) -> str:
    return f"Hoàn tác cập nhật “{old_label}”"


def undo_log(code: str, old_label: str, new_label: str, actor: str) -> str:
    return f"{code}: hoàn tác “{old_label}” → {new_label} ({actor})"


def extension_approved_note(proposed: date, current: date) -> str:
    return f"Đồng ý gia hạn đến {short_date(proposed)} (hạn trước {short_date(current)})"


def extension_rejected_note(proposed: date, current: date) -> str:
    return f"Từ chối gia hạn đến {short_date(proposed)}; hạn vẫn là {short_date(current)}"


def extension_decided_log(code: str, approve: bool, proposed: date, actor: str) -> str:
    return f"{code}: {'đồng ý' if approve else 'từ chối'} gia hạn đến {short_date(proposed)} ({actor})"


def prompt_for_someone_else(actor_name: str | None) -> str:
    return f"Câu hỏi này dành cho {actor_name or 'người đã gửi'}."


def task_not_in_scope(task_id: int) -> str:
    return f"Không tìm thấy nhiệm vụ {task_code(task_id)} trong phạm vi của nhóm này."


def task_without_due(task_id: int) -> str:
    return f"Nhiệm vụ {task_code(task_id)} chưa có mốc hạn (chưa xác định thời hạn) nên chưa cập nhật được."
