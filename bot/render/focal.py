"""Vietnamese texts of /daumoi (focal points) and the @mention line of reminders (HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.domain.focal import FocalOutcome


def mention(user_id: int, name: str) -> str:
    """An @mention by user id: works without a username, notifies the person in a group."""
    return f'<a href="tg://user?id={int(user_id)}">{escape(name)}</a>'


def mention_line(people: Sequence[tuple[int, str]]) -> str:
    """'👤 Đầu mối: A, B' — empty when the agency has none registered."""
    if not people:
        return ""
    return "👤 Đầu mối: " + ", ".join(mention(uid, name) for uid, name in people)


USAGE = (
    "Cách dùng trong nhóm của cơ quan:\n"
    "<code>/daumoi</code> — đăng ký bạn là đầu mối (được nhắc tên trong tin nhắc việc)\n"
    "<code>/daumoi rieng</code> — đồng thời nhận tin nhắc việc trong tin nhắn riêng\n"
    "<code>/daumoi nhom</code> — thôi nhận tin riêng\n"
    "<code>/daumoi bo</code> — thôi làm đầu mối"
)
NOT_BOUND = (
    "Nhóm này chưa được đăng ký cho cơ quan nào nên chưa thể đăng ký đầu mối. "
    "Gõ <code>/dangky tên cơ quan</code> trước."
)


def _people(people: Sequence[tuple[int, str]]) -> str:
    if not people:
        return "Cơ quan hiện chưa có đầu mối nào."
    return "Đầu mối hiện nay: " + ", ".join(escape(name) for _, name in people) + "."


def registered(agency: str, name: str, people: Sequence[tuple[int, str]], *, again: bool) -> str:
    head = (
        f"{escape(name)} đã là đầu mối của <b>{escape(agency)}</b>."
        if again
        else f"✅ Đã đăng ký {escape(name)} là đầu mối của <b>{escape(agency)}</b>: "
        "bạn sẽ được nhắc tên trong tin nhắc việc hằng ngày của cơ quan."
    )
    return f"{head}\n{_people(people)}\nMuốn nhận thêm tin nhắc việc trong tin nhắn riêng: <code>/daumoi rieng</code>."


def private_on(agency: str, name: str, bot_username: str | None) -> str:
    start = f" (mở @{escape(bot_username)} và bấm “Bắt đầu” nếu chưa từng nhắn cho bot)" if bot_username else ""
    return (
        f"✅ {escape(name)} là đầu mối của <b>{escape(agency)}</b> và sẽ nhận thêm tin nhắc việc "
        f"trong tin nhắn riêng{start}. Trả lời tin đó như trong nhóm. Thôi nhận: <code>/daumoi nhom</code>."
    )


PRIVATE_TAKEN = (
    "Tin nhắn riêng của bạn đang nhận nhắc việc cho một cơ quan khác nên không thể nhận thêm; "
    "bạn vẫn là đầu mối và được nhắc tên trong nhóm."
)


def private_off(agency: str) -> str:
    return f"Đã thôi gửi tin nhắc việc của <b>{escape(agency)}</b> vào tin nhắn riêng của bạn."


def left(agency: str, name: str, people: Sequence[tuple[int, str]]) -> str:
    return f"{escape(name)} không còn là đầu mối của <b>{escape(agency)}</b>.\n{_people(people)}"


NOT_ONE = "Bạn chưa đăng ký là đầu mối của cơ quan này (gõ <code>/daumoi</code> để đăng ký)."


def daumoi_answer(
    outcome: FocalOutcome, *, agency: str, name: str, people: Sequence[tuple[int, str]], bot_username: str | None
) -> str:
    """What /daumoi answers in the group, from what it did."""
    match outcome:
        case FocalOutcome.NOT_BOUND:
            return NOT_BOUND
        case FocalOutcome.REGISTERED | FocalOutcome.ALREADY:
            return registered(agency, name, people, again=outcome is FocalOutcome.ALREADY)
        case FocalOutcome.PRIVATE_ON:
            return private_on(agency, name, bot_username)
        case FocalOutcome.PRIVATE_TAKEN:
            return PRIVATE_TAKEN
        case FocalOutcome.PRIVATE_OFF:
            return private_off(agency)
        case FocalOutcome.LEFT:
            return left(agency, name, people)
        case _:
            return NOT_ONE


def private_chat_title(name: str) -> str:
    """The stored title of a focal point's private chat (plain text: lists escape it)."""
    return f"Đầu mối {name}"
