"""The "chưa cập nhật" section: items due before the bot began following their plan, listed
once for the agency to confirm (HTML, escaped), and the texts of the answers.

The section goes at the end of the day's reminder (one message per chat per day), grouped by
plan and task, a task's dates on one line, each date numbered so that a reply such as
“5 xong từ 20/12/2021” answers one item. Buttons (bot.domain.callbacks.ConfirmUnknown):

    uk:a        Đã xong cả — every item still unknown in the message, done on time
    uk:p        Chọn từng việc — one button per item still unknown
    uk:d:<id>   (while choosing) this item done on time
    uk:n        Chưa xong — every item still unknown in the message: not done, overdue from now
    uk:b        (while choosing) back to the three choices
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from itertools import groupby

from bot.domain.callbacks import ConfirmUnknown, UnknownAction, encode
from bot.domain.codes import task_code
from bot.domain.follow import AnswerProblem, Closed, CloseProblem
from bot.domain.reminders import AgencyReminders, ReminderItem
from bot.render.format import long_date, short_date
from bot.render.help import BAD_BUTTON
from bot.render.progress import short_title
from bot.render.reminders import MessagePart
from bot.render.split import SAFE_LIMIT

# --- the history notes of unknown items (stored with the status change, shown in the history) --

CONFIRMED_DONE_NOTE = "Xác nhận đã hoàn thành đúng hạn (hạn trước khi bot bắt đầu theo dõi)."
CONFIRMED_NOT_DONE_NOTE = "Xác nhận chưa hoàn thành: từ nay tính quá hạn."
FOLLOWED_AGAIN_NOTE = "Theo dõi từ đầu kế hoạch: hạn được nhắc như thường."


def unknown_since_note(follow_from: date | None) -> str:
    label = f"{follow_from:%d/%m/%Y}" if follow_from else ""
    return f"Hạn trước ngày bắt đầu theo dõi {label}: chưa cập nhật, chờ cơ quan xác nhận."


def admin_closed_note(completed_on: date) -> str:
    return f"Quản trị viên đóng việc chưa cập nhật: hoàn thành ngày {completed_on:%d/%m/%Y}."

TITLE_LIMIT = 70
MAX_ITEMS = 80  # "Chọn từng việc" shows one button per item (Telegram allows 100)
PICK_PER_ROW = 4

BTN_ALL = "✅ Đã xong cả"
BTN_PICK = "☑️ Chọn từng việc"
BTN_NOT_DONE = "⏳ Chưa xong"
BTN_BACK = "↩️ Quay lại"
BTN_REST_NOT_DONE = "⏳ Còn lại: chưa xong"
CB_ALL, CB_PICK, CB_NOT_DONE, CB_BACK = (
    encode(ConfirmUnknown(a))
    for a in (UnknownAction.ALL_DONE, UnknownAction.PICK, UnknownAction.NOT_DONE, UnknownAction.BACK)
)

HEADING = "❓ <b>Chưa cập nhật</b> — hạn đã qua trước khi bot bắt đầu theo dõi kế hoạch"


def done_callback(due_item_id: int) -> str:
    return encode(ConfirmUnknown(UnknownAction.ONE_DONE, due_item_id))


def choice_row() -> tuple[tuple[str, str], ...]:
    return ((BTN_ALL, CB_ALL), (BTN_PICK, CB_PICK), (BTN_NOT_DONE, CB_NOT_DONE))


def pick_rows(items: Sequence[tuple[int, int]]) -> list[list[tuple[str, str]]]:
    """One "✅ n" button per (number, due item id) still unknown, then rest-not-done / back."""
    buttons = [(f"✅ {n}", done_callback(i)) for n, i in items]
    rows = [buttons[k : k + PICK_PER_ROW] for k in range(0, len(buttons), PICK_PER_ROW)]
    rows.append([(BTN_REST_NOT_DONE, CB_NOT_DONE), (BTN_BACK, CB_BACK)])
    return rows


def _footer(first: int) -> str:
    return (
        "Các việc trên đã hoàn thành chưa? Bấm “Đã xong cả” nếu tất cả đã xong đúng hạn, "
        "“Chưa xong” nếu chưa xong, hoặc “Chọn từng việc”. Việc xong trễ hạn: trả lời tin này "
        f"kèm ngày, ví dụ “{first} xong từ 20/12/2021”."
    )


def section(items: Sequence[ReminderItem], first_number: int, *, room: int) -> tuple[str, list[int]]:
    """The section's HTML and the ids it numbers (from `first_number`), at most `room`
    characters: whole tasks are left out from the end when it would be longer (they are
    asked another day). ("", []) when not even one task fits."""
    head = HEADING
    footer = _footer(first_number)
    size = len(head) + len(footer) + 4
    lines: list[str] = []
    ids: list[int] = []
    number = first_number
    plan: str | None = None
    for (plan_number, task_id), group in groupby(items[:MAX_ITEMS], key=lambda i: (i.plan_number, i.task_id)):
        dated = list(group)
        block: list[str] = []
        if plan_number != plan:
            block.append(f"<i>KH {escape(plan_number)}</i>")
        dates = " · ".join(f"{number + k}) {short_date(i.due_on)}" for k, i in enumerate(dated))
        block.append(f"• {escape(short_title(dated[0].title, TITLE_LIMIT))} ({task_code(task_id)}): {dates}")
        cost = sum(len(b) + 1 for b in block)
        if size + cost > room:
            break
        size += cost
        lines += block
        plan = plan_number
        ids += [i.due_item_id for i in dated]
        number += len(dated)
    if not ids:
        return "", []
    return "\n".join([head, *lines, "", _footer(first_number)]), ids


def with_confirmation(
    part: MessagePart | None, group: AgencyReminders, today: date, *, limit: int = SAFE_LIMIT
) -> MessagePart | None:
    """The day's message with the "chưa cập nhật" section at its end (or as the whole message
    when there is no reminder): what does not fit is asked another day."""
    if part is not None:
        first = part.first_number + len(part.due_item_ids)
        text, ids = section(group.unknown, first, room=limit - len(part.text) - 2)
        if not ids:
            return part
        return MessagePart(
            f"{part.text}\n\n{text}", (*part.buttons, choice_row()), (*part.due_item_ids, *ids), part.first_number
        )
    title = standalone_title(group, today)
    text, ids = section(group.unknown, 1, room=limit - len(title) - 2)
    if not ids:
        return None
    return MessagePart(f"{title}\n\n{text}", (choice_row(),), tuple(ids), 1)


def standalone_title(group: AgencyReminders, today: date) -> str:
    """Header of a day's message that only asks for confirmation (no reminder that day)."""
    return f"🔔 <b>Nhắc việc — {escape(group.agency_name)}</b>\n{long_date(today)}"


# --- answers ---------------------------------------------------------------------------------


def answered_text(*, done: int, not_done: int, refused: int, actor: str, at: str) -> str:
    """Posted after a press on the confirmation buttons."""
    parts = []
    if done:
        parts.append(f"{done} việc đã hoàn thành đúng hạn")
    if not_done:
        parts.append(f"{not_done} việc chưa xong (từ nay tính quá hạn và được nhắc)")
    text = "✅ Đã ghi nhận: " + "; ".join(parts) + f" ({escape(actor)}, {escape(at)})." if parts else ""
    if refused:
        text += ("\n" if text else "") + f"❗ {refused} việc không cập nhật được (đã có cập nhật khác hoặc không thuộc nhóm này)."
    return text or NOTHING_LEFT


NOTHING_LEFT = "Các việc trong tin này đã được xác nhận hết."
NOT_ALLOWED = "Chỉ nhóm của cơ quan chủ trì và quản trị viên xác nhận được các việc này."
PICK_HINT = "Bấm số của từng việc đã xong (đúng hạn); việc xong trễ hạn: trả lời tin kèm ngày."
ALERT_CHARS = 190  # a button's answer (Telegram allows 200)


def problem_text(problem: AnswerProblem) -> str:
    """The alert of a press that changes nothing."""
    return NOT_ALLOWED if problem is AnswerProblem.NOT_ALLOWED else BAD_BUTTON


def rows_after(action: UnknownAction, remaining: Sequence[tuple[int, int]]) -> list[list[tuple[str, str]]]:
    """The confirmation buttons after a press: none once nothing is left, one per item while
    choosing, else the three choices."""
    if not remaining:
        return []
    if action in (UnknownAction.PICK, UnknownAction.ONE_DONE):
        return pick_rows(remaining)
    return [list(choice_row())]


def pressed_texts(
    action: UnknownAction, *, remaining: bool, counts: tuple[int, int, int] | None, actor: str, at: str
) -> tuple[str | None, str | None]:
    """(the button's answer, a message to the chat) after a press; `counts` is (done, not
    done, refused) of an answer, None for a pick or back."""
    if counts is None:
        return (PICK_HINT if action is UnknownAction.PICK and remaining else None), None
    done, not_done, refused = counts
    text = answered_text(done=done, not_done=not_done, refused=refused, actor=actor, at=at)
    if action is UnknownAction.ONE_DONE:
        return text[:ALERT_CHARS], None
    return None, text


# --- /dongcu and `nhacviec close-unknown` -------------------------------------------------------

CLOSE_USAGE = (
    "Cách dùng: <code>/dongcu 20/12/2021 [cơ quan]</code> — đánh dấu các việc “chưa cập nhật” "
    "(của cơ quan, hoặc của nhóm này) là đã hoàn thành ngày đó."
)
CLOSE_ADMIN_ONLY = "Chỉ quản trị viên đóng được các việc chưa cập nhật."


def closed_line(closed: Closed) -> str:
    """What /dongcu did in one province (HTML, escaped)."""
    if closed.problem is CloseProblem.FUTURE:
        return f"Ngày hoàn thành {short_date(closed.completed_on)} chưa tới: không đóng việc nào." if closed.completed_on else ""
    if closed.problem is CloseProblem.NO_PLAN:
        return f"Không có kế hoạch {escape(closed.plan_number or '')}."
    if closed.problem is CloseProblem.NO_AGENCY:
        return "Không tìm thấy cơ quan này trong danh mục."
    if closed.problem is CloseProblem.SEVERAL_AGENCIES:
        return "Có nhiều cơ quan trùng tên, xin ghi rõ hơn: " + "; ".join(escape(n) for n in closed.agency_names[:8])
    total = closed.on_time + closed.late
    who = f" của {escape(closed.agency_names[0])}" if closed.agency_names else ""
    plan = f" (KH {escape(closed.plan_number)})" if closed.plan_number else ""
    if not total:
        return f"Không còn việc chưa cập nhật nào{who}{plan}."
    assert closed.completed_on is not None
    return (
        f"Đã đóng {total} việc chưa cập nhật{who}{plan}: hoàn thành ngày {short_date(closed.completed_on)} — "
        f"{closed.on_time} đúng hạn, {closed.late} quá hạn."
    )


def closed_text(results: Sequence[Closed]) -> str:
    return "\n".join(line for r in results if (line := closed_line(r))) or "Không có việc chưa cập nhật nào."
