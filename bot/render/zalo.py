"""Vietnamese texts for Zalo: plain text (the platform shows no HTML and no buttons), each
message at most 2,000 characters, long ones split cleanly (between paragraphs, then lines,
then words — never inside a word unless one word alone is longer than a message).

The length is counted in UTF-16 code units, the stricter reading of the platform's
"1 to 2,000 characters" (an emoji counts two): a part that fits here fits there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

from bot.domain.kinds import PromptKind
from bot.domain.replies import Chatter
from bot.render.plain import html_to_text
from bot.render.reminders import MessagePart

ZALO_LIMIT = 2000


def units(text: str) -> int:
    """Length as the platform may count it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain(text_html: str) -> str:
    """An HTML text of the Telegram renderers as plain text (bot.render.plain.html_to_text:
    tags dropped, entities decoded, a link's address kept)."""
    return html_to_text(text_html).strip()


_TELEGRAM_FOOTER = "Bấm số nhiệm vụ bên dưới"
_PART_SUFFIX = re.compile(r" \(phần \d+/\d+\)$")


def reminder_texts(parts: Sequence[MessagePart], *, limit: int = ZALO_LIMIT, console_url: str | None = None) -> list[str]:
    """A day's reminder (bot.render.reminders.reminder_messages, rendered as ONE part so the
    numbers run 1…n) as Zalo messages: plain text, the Telegram footer ("bấm số … bên dưới")
    replaced by how to answer on Zalo, split under `limit`."""
    lines: list[str] = []
    for index, part in enumerate(parts):
        kept = [line for line in plain(part.text).split("\n") if not line.startswith(_TELEGRAM_FOOTER)]
        if index == 0:
            kept[0] = _PART_SUFFIX.sub("", kept[0])
        else:  # a continuation: its title and date repeat the first part's
            kept = kept[kept.index("") + 1 :] if "" in kept else kept
        lines.append("\n".join(kept).strip())
    numbers = [p.first_number + i for p in parts for i in range(len(p.due_item_ids))] or [1]
    a, b = numbers[0], numbers[1] if len(numbers) > 1 else numbers[0]
    footer = f"Trả lời tin nhắn này để cập nhật, ví dụ: “{a} xong”, “{b} đang làm 60%”, “xin gia hạn {a} đến 15/12”."
    if console_url:  # what Zalo cannot carry: files as evidence, choosing among options
        footer += f"\nGửi tệp minh chứng, xem chi tiết: {console_url}"
    return split_plain("\n\n".join(lines) + "\n\n" + footer, limit=limit)


def split_plain(text: str, *, limit: int = ZALO_LIMIT) -> list[str]:
    """`text` as messages of at most `limit` units, cut at the widest boundary that fits:
    blank lines (paragraphs), then line ends, then spaces; a word longer than a message is
    cut inside (nothing is ever dropped). Empty text: no message."""
    text = text.strip()
    if not text:
        return []
    return [part for part in _split(text, limit, ("\n\n", "\n", " ")) if part]


def _split(text: str, limit: int, separators: Sequence[str]) -> list[str]:
    if units(text) <= limit:
        return [text.strip()]
    if not separators:
        return _hard_cut(text, limit)
    sep, rest = separators[0], separators[1:]
    pieces = text.split(sep)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{sep}{piece}" if current else piece
        if units(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current.strip())
        if units(piece) <= limit:
            current = piece
        else:
            sub = _split(piece, limit, rest)
            parts.extend(sub[:-1])
            current = sub[-1] if sub else ""
    if current.strip():
        parts.append(current.strip())
    return parts


def _hard_cut(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in text:  # by code point: a surrogate pair is never split
        if units(current + ch) > limit:
            parts.append(current)
            current = ""
        current += ch
    if current:
        parts.append(current)
    return parts


# --- linking a person's Zalo account to an agency -------------------------------------------


def link_code_text(*, agency_name: str, code: str, expires_at_local: datetime, bot_name: str | None) -> str:
    """Telegram (HTML): the one-time code an agency's focal point sends the Zalo bot."""
    who = f" <b>{html.escape(bot_name)}</b>" if bot_name else ""
    return (
        f"🔗 Liên kết Zalo cho <b>{html.escape(agency_name)}</b>\n"
        f"Mã một lần: <code>{code}</code> (dùng được đến {expires_at_local:%H:%M %d/%m/%Y}).\n\n"
        f"Đầu mối mở Zalo, nhắn cho bot{who} nội dung:\n<code>/lienket {code}</code>\n"
        "Sau đó nhắc việc của cơ quan sẽ đến Zalo của người đó, và người đó trả lời ngay trên Zalo "
        "(vd. “1 xong”, “2 đang làm 60%”)."
    )


NOT_CONFIGURED = "Zalo chưa được cấu hình cho bot này (cần ZALO_BOT_TOKEN)."
LINK_USAGE = (
    "Cách dùng: trong nhóm Telegram của cơ quan gõ /zalo; "
    "quản trị viên nhắn riêng cho bot: /zalo <tên cơ quan>."
)


def linked_text(*, agency_name: str, person: str) -> str:
    """Zalo: the account is now the agency's recipient."""
    return (
        f"✅ Đã liên kết Zalo của {person or 'bạn'} với {agency_name}.\n"
        "Từ nay bot nhắc việc của cơ quan qua Zalo. Trả lời bằng tin nhắn, ví dụ:\n"
        "• 1 xong\n• 2 đang làm 60%\n• 3 vướng mắc do chờ hướng dẫn\n• xin gia hạn 3 đến 15/12\n"
        "Số thứ tự là số trong tin nhắc việc gần nhất; cũng dùng được mã nhiệm vụ (vd. NV12 xong)."
    )


def linked_notice_text(*, agency_name: str, person: str) -> str:
    """Telegram (HTML), to the group of the agency: someone linked their Zalo."""
    return f"🔗 {html.escape(person or 'Một đầu mối')} đã liên kết Zalo để nhận nhắc việc của {html.escape(agency_name)}."


BAD_CODE = "Mã liên kết không đúng, đã dùng hoặc đã hết hạn. Xin lấy mã mới: gõ /zalo trong nhóm Telegram của cơ quan hoặc nhờ quản trị viên."
NOT_LINKED = (
    "Tài khoản Zalo này chưa liên kết với cơ quan nào.\n"
    "Xin gửi mã liên kết, ví dụ: /lienket ABCD-2345 (lấy mã bằng lệnh /zalo trong nhóm Telegram "
    "của cơ quan, hoặc nhờ quản trị viên)."
)
UNLINKED = "Đã huỷ liên kết: Zalo này không còn nhận nhắc việc."
NO_CONTEXT = (
    "Bot chưa biết số thứ tự này thuộc nhiệm vụ nào (chưa có tin nhắc việc gần đây). "
    "Xin ghi mã nhiệm vụ, ví dụ: NV12 xong."
)
ZALO_HELP = (
    "Trả lời nhắc việc bằng tin nhắn, ví dụ:\n"
    "• 1 xong\n• 2 đang làm 60%\n• 3 vướng mắc do chờ hướng dẫn\n• xin gia hạn 3 đến 15/12 vì …\n"
    "• NV12 xong (theo mã nhiệm vụ)\n"
    "/huylienket: thôi nhận nhắc việc qua Zalo."
)


def console_link_text(reason: str, url: str) -> str:
    """What Zalo cannot carry (a file, a choice among buttons): the signed console link."""
    return f"{reason}\nMở trang của cơ quan để làm việc này: {url}"


def needs_more_text(ref: str, example: str) -> str:
    return f"Để cập nhật {ref}, xin gửi lại kèm thông tin, ví dụ: “{example}”."


def which_text(lines: Sequence[str]) -> str:
    body = "\n".join(f"• {line}" for line in lines)
    return f"Bot chưa rõ nhiệm vụ nào. Xin gửi lại, ghi rõ số thứ tự hoặc mã nhiệm vụ:\n{body}"


_NEEDS_EXAMPLE = {
    PromptKind.NOTE: "{ref} vướng mắc do chờ hướng dẫn của Bộ",
    PromptKind.EXTENSION: "xin gia hạn {ref} đến 15/12 vì chờ ý kiến các sở",
}


def needs_more_example(kind: PromptKind, ref: str) -> str:
    """A sample reply giving what a change of `kind` still needs (a note, a date)."""
    return _NEEDS_EXAMPLE.get(kind, "{ref} xong").format(ref=ref)


def recorded_tail(extension: bool) -> str:
    """The line after the changes a Zalo message recorded."""
    tail = "Nếu ghi nhận nhầm, xin gửi lại trạng thái đúng (vd. “1 đang làm 50%”)."
    if extension:
        tail = "Đề nghị đã được chuyển tới lãnh đạo tỉnh để xem xét. " + tail
    return tail


def chatter_text(chatter: Chatter | None, *, has_items: bool) -> str:
    """The answer to a Zalo message that reports nothing."""
    example = "“1 xong”, “2 đang làm 60%”, “3 vướng mắc do …”, “xin gia hạn 2 đến 15/12”"
    if chatter is Chatter.THANKS:
        return "Dạ, cảm ơn anh/chị. Khi có tiến độ mới, anh/chị cứ nhắn để bot ghi nhận."
    if chatter in (Chatter.ACK, Chatter.GREETING):
        return f"Dạ, bot đã nhận. Để báo cáo tiến độ, anh/chị nhắn theo mẫu: {example}."
    if chatter is Chatter.QUESTION:
        return "Bot chỉ ghi nhận báo cáo tiến độ nên chưa trả lời được câu hỏi này; câu hỏi nghiệp vụ xin gửi Văn phòng UBND tỉnh/Sở Nội vụ."
    if not has_items:
        return NO_CONTEXT
    return f"Xin lỗi, bot chưa hiểu nội dung này. Anh/chị nhắn theo mẫu: {example}."


NO_MEDIA = (
    "Bot chưa nhận ảnh hay tệp qua Zalo. Tệp minh chứng xin gửi trong nhóm Telegram của cơ quan "
    "hoặc trên trang của cơ quan trên bảng điều khiển."
)
