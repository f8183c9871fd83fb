"""Texts about channels and recipients (Vietnamese): the admins' notices when an e-mail
address or a Zalo account can no longer be reached, the answers of /email, and the
e-mail frame around a message rendered for Telegram."""

from __future__ import annotations

from html import escape

from bot.domain.addresses import EmailProblem
from bot.domain.channels import Channel
from bot.render.plain import html_to_text

CHANNEL_NAMES = {Channel.TELEGRAM: "Telegram", Channel.EMAIL: "thư điện tử", Channel.ZALO: "Zalo"}


def channel_name(channel: Channel) -> str:
    return CHANNEL_NAMES[channel]


def _who(name: str | None, agency_name: str | None) -> str:
    if agency_name and name and name != agency_name:
        return f"{escape(name)} ({escape(agency_name)})"
    if agency_name or name:
        return escape(agency_name or name or "")
    return "lãnh đạo tỉnh"


def recipient_unreachable_notice(
    *, channel: Channel, address: str, name: str | None, agency_name: str | None, error: str
) -> str:
    """Telegram HTML to each admin: an address refused for good and is no longer used."""
    return (
        f"⚠️ <b>Không gửi được qua {channel_name(channel)}</b>\n"
        f"Địa chỉ <code>{escape(address)}</code> của {_who(name, agency_name)} bị từ chối: {escape(error[:300])}\n\n"
        "Địa chỉ đã được đánh dấu không liên lạc được và không còn được dùng. "
        "Hãy kiểm tra và nhập lại địa chỉ đúng (lệnh /email)."
    )


def recipient_undeliverable_notice(
    *, channel: Channel, address: str, name: str | None, agency_name: str | None, error: str
) -> str:
    """Telegram HTML to each admin: one message could never go (the address stays in use)."""
    return (
        f"⚠️ <b>Một tin không gửi được qua {channel_name(channel)}</b>\n"
        f"Tới <code>{escape(address)}</code> của {_who(name, agency_name)}.\n"
        f"Lỗi: {escape(error[:300])}"
    )


def email_from_telegram_html(body: str, *, title: str, footer: str | None = None) -> tuple[str, str]:
    """A message rendered for Telegram → (HTML part, plain-text part) of an e-mail.

    Telegram's HTML subset (b, i, u, s, code, pre, a) is valid HTML; its line breaks are
    newlines, which an e-mail's HTML shows with `white-space: pre-wrap`.
    """
    footer_html = f'<hr><p style="color:#555">{footer}</p>' if footer else ""
    document = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px">'
        f'<div style="white-space:pre-wrap">{body}</div>{footer_html}</body></html>'
    )
    text = html_to_text(body) + (f"\n\n-- \n{html_to_text(footer)}" if footer else "")
    return document, text


# --- /email (and `nhacviec email`) --------------------------------------------------------

EMAIL_USAGE = (
    "Cách dùng:\n"
    "<code>/email &lt;cơ quan&gt; &lt;địa chỉ&gt;</code> — hộp thư của cơ quan (nhận nhắc việc khi cơ quan "
    "chưa có nhóm Telegram), ví dụ <code>/email Sở Tư pháp vanthu@stp.phutho.gov.vn</code>\n"
    "<code>/email &lt;cơ quan&gt; &lt;địa chỉ&gt; luon</code> — nhận nhắc việc qua thư cả khi đã có nhóm Telegram\n"
    "<code>/email lanhdao &lt;địa chỉ&gt; [họ tên]</code> — thư của lãnh đạo (nhận báo cáo tuần, tháng)\n"
    "<code>/email xoa &lt;địa chỉ&gt;</code> — ngừng gửi tới địa chỉ\n"
    "<code>/email</code> — danh sách địa chỉ"
)
EMAIL_ADMINS_ONLY = "Chỉ quản trị viên (Văn phòng UBND tỉnh / Sở Nội vụ) được đặt địa chỉ thư."
EMAIL_OFF = "\n\n<i>Lưu ý: máy chủ thư chưa được cấu hình (SMTP_URL, MAIL_FROM): thư sẽ chờ tới khi có.</i>"


def email_set(
    *, address: str, agency_name: str | None, person_name: str | None, created: bool, moved_from: str | None,
    always: bool = False, moved: bool = False,
) -> str:
    who = escape(agency_name) if agency_name else ("lãnh đạo " + escape(person_name) if person_name else "lãnh đạo tỉnh")
    if agency_name:
        what = (
            "nhắc việc qua thư, cả khi cơ quan đã có nhóm Telegram" if always
            else "nhắc việc qua thư khi cơ quan chưa có nhóm Telegram liên lạc được "
            "(thêm <code>luon</code> sau địa chỉ để nhận cả khi có nhóm)"
        )
        what += ", và thông báo cập nhật tiến độ, gia hạn của cơ quan"
    else:
        what = "báo cáo tuần, báo cáo tháng qua thư"
    text = f"📧 Đã {'thêm' if created else 'cập nhật'} địa chỉ <code>{escape(address)}</code> cho {who}: sẽ nhận {what}."
    if moved or moved_from:
        text += f"\n(Địa chỉ này trước đây dùng cho {escape(moved_from or 'lãnh đạo tỉnh')}.)"
    return text


def email_removed(address: str) -> str:
    return f"Đã ngừng gửi thư tới <code>{escape(address)}</code>."


def email_problem_line(problem: EmailProblem, detail: str) -> str:
    """Why an address was not set or removed, in one line (HTML)."""
    match problem:
        case EmailProblem.INVALID:
            return f"Địa chỉ thư không hợp lệ: {escape(detail)}"
        case EmailProblem.AMBIGUOUS:
            return f"Có nhiều cơ quan khớp “{escape(detail)}”: ghi rõ hơn (hoặc dùng mã cơ quan)."
        case EmailProblem.NOT_FOUND:
            return f"Không tìm thấy cơ quan “{escape(detail)}” trong tỉnh bạn quản trị."
        case EmailProblem.MANY_PROVINCES:
            return "Cần đúng một tỉnh: bạn quản trị nhiều tỉnh (đặt PROVINCE hoặc dùng lệnh dòng lệnh với --province)."
        case EmailProblem.NO_PROVINCE:
            return "Cần đúng một tỉnh: bạn quản trị không tỉnh nào."
        case EmailProblem.NOT_IN_USE:
            return f"Không có địa chỉ {escape(detail)} đang dùng trong tỉnh bạn quản trị."


def email_problem(problem: EmailProblem, detail: str, candidates: list[str]) -> str:
    text = email_problem_line(problem, detail)
    if candidates:
        text += "\n" + "\n".join(f"• {escape(name)}" for name in candidates[:10])
    return text


def email_list(lines: list[tuple[str, str | None, str | None, bool, str | None, bool]]) -> str:
    """(address, agency name or None for a leader, person, active, unreachable reason, always)."""
    if not lines:
        return "Chưa có địa chỉ thư nào.\n\n" + EMAIL_USAGE
    out = ["📧 <b>Địa chỉ thư điện tử</b>"]
    for address, agency, person, active, reason, always in lines:
        who = escape(agency) if agency else "Lãnh đạo" + (f" — {escape(person)}" if person else "")
        state = "" if active else (f" ⚠️ không liên lạc được: {escape(reason[:120])}" if reason else " (đã ngừng)")
        if agency and active:
            state += " — nhắc việc: luôn" if always else " — nhắc việc: khi chưa có nhóm Telegram"
        out.append(f"• {who}: <code>{escape(address)}</code>{state}")
    return "\n".join(out)


def channel_drained(channel: Channel, *, sent: int, retried: int, failed: int, down: bool) -> str:
    """One line of `nhacviec tick` per channel beside Telegram (plain text)."""
    text = f"{channel_name(channel).capitalize()}: đã gửi {sent} tin"
    if retried:
        text += f", {retried} tin chờ gửi lại"
    if failed:
        text += f", {failed} tin lỗi"
    if down:
        text += " (kênh đang không gửi được: sẽ thử lại)"
    return text + "."


def chat_migrated(new_chat_id: int) -> str:
    """Why a send is retried: the group became a supergroup (kept as the outbox row's error)."""
    return f"nhóm đã chuyển thành siêu nhóm {new_chat_id}"


def email_session_name(agency_name: str) -> str:
    """Who a console session opened from an agency's e-mail link is (plain text)."""
    return f"{agency_name} (thư điện tử)"
