"""Vietnamese HTML for the admins' side: uploaded plans, binding, the agencies list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from bot.domain.kinds import BindDecision, LeadersRefusal
from bot.domain.plans.draft import PlanDraft
from bot.render import help as help_texts
from bot.render.format import plan_period, short_date
from bot.render.labels import review_label
from bot.render.progress import short_title
from bot.render.split import split_blocks

REVIEW_SHOWN = 60


# --- uploaded plans --------------------------------------------------------------------


def upload_summary_line(draft: PlanDraft) -> str:
    """Plain text, stored with the pending upload."""
    flagged = sum(1 for t in draft.tasks if t.needs_review)
    return (
        f"{draft.meta.number or '?'} ({draft.meta.province or '?'}): "
        f"{len(draft.tasks)} nhiệm vụ, {flagged} cần rà soát"
    )


def follow_choice_text(*, past: int, agencies: int, today: date) -> str:
    """The follow-from question under an upload summary of a plan already under way."""
    return (
        f"\n⏳ <b>{past}</b> mốc thời hạn ({agencies} cơ quan) đã qua trước hôm nay {short_date(today)}.\n"
        "• “Theo dõi từ hôm nay”: các mốc này là “chưa cập nhật” — bot hỏi mỗi cơ quan một lần để "
        "xác nhận, không tính quá hạn.\n"
        "• “Từ đầu kế hoạch”: các mốc đã qua tính là quá hạn nếu chưa báo cáo.\n"
        "• Theo dõi từ một ngày khác: gõ <code>/theodoitu 01/12/2026</code>."
    )


def upload_summary_messages(
    draft: PlanDraft, *, names: Mapping[str, str], province_name: str | None, follow: str | None = None
) -> list[str]:
    """What the admin sees before confirming an uploaded plan (nothing stored yet)."""
    meta = draft.meta
    due = sum(len(t.due_dates) * len(set(t.lead)) for t in draft.tasks)
    flagged = [t for t in draft.tasks if t.needs_review]
    blocks = [f"📄 <b>Kế hoạch {escape(meta.number or '(không rõ số hiệu)')}</b>"]
    if meta.title:
        blocks.append(escape(short_title(meta.title, 300)))
    facts = []
    if province_name:
        facts.append(f"Tỉnh: {escape(province_name)}")
    if meta.issued_on:
        facts.append(f"Ban hành {short_date(meta.issued_on)}")
    if meta.period:
        facts.append(f"Thời kỳ: {plan_period(meta.period)}")
    if facts:
        blocks.append(" · ".join(facts))
    blocks.append(
        f"<b>{len(draft.tasks)}</b> nhiệm vụ, <b>{due}</b> mốc thời hạn; "
        f"<b>{len(flagged)}</b> nhiệm vụ cần rà soát."
    )
    blocks.extend(f"⚠️ {escape(w)}" for w in draft.warnings)
    if flagged:
        blocks.append("\n<b>Cần rà soát</b>")
        for t in flagged[:REVIEW_SHOWN]:
            lead = ", ".join(names.get(c, c) for c in t.lead) or (t.lead_text or "—")
            reasons = ", ".join(review_label(r) for r in t.needs_review)
            blocks.append(
                f"• Mục {escape(t.ref)}: {escape(short_title(t.title, 90))} — "
                f"{escape(lead)} — <i>{escape(reasons)}</i>"
            )
        if len(flagged) > REVIEW_SHOWN:
            blocks.append(f"… và {len(flagged) - REVIEW_SHOWN} nhiệm vụ khác.")
    if follow:
        blocks.append(follow)
        blocks.append("\nChưa lưu gì. Chọn cách theo dõi để lưu, hoặc “Hủy”.")
    else:
        blocks.append("\nChưa lưu gì. Bấm “Nhập kế hoạch” để lưu, hoặc “Hủy”.")
    return split_blocks(blocks)


def import_result_messages(summary: str, details: Sequence[str]) -> list[str]:
    blocks = [f"✅ {escape(summary)}", *(escape(line) for line in details)]
    return split_blocks(blocks)


READING = "⏳ Đang đọc tệp…"
DEFAULT_PLAN_NAME = "kế hoạch"  # a document sent without a file name
BTN_IMPORT = "✅ Nhập kế hoạch"
BTN_CANCEL_UPLOAD = "✖ Hủy"


def download_failed(reason: str) -> str:
    """Telegram would not hand the file over (bots download at most 20 MB)."""
    return upload_error(f"Không tải được tệp từ Telegram: {reason}")
UPLOAD_ADMIN_ONLY = "Chỉ quản trị viên mới được nhập kế hoạch. Tệp này không được lưu."
UPLOAD_CANCELLED = "Đã hủy, không lưu kế hoạch này."


def upload_other_province(province_name: str) -> str:
    return (
        f"Đây là kế hoạch của <b>{escape(province_name)}</b>; bạn không phải quản trị viên của tỉnh này "
        "nên kế hoạch không được lưu."
    )
UPLOAD_IMPORTING = "Đang nhập kế hoạch…"
UPLOAD_STALE = "Tệp này đã được xử lý trước đó (đã nhập hoặc đã hủy)."
ALLOWED_SUFFIXES = (".docx", ".pdf", ".txt")


def upload_bad_type(file_name: str) -> str:
    return (
        f"Không đọc được tệp “{escape(file_name)}”: chỉ nhận kế hoạch dạng .docx, .pdf hoặc .txt."
    )


def upload_too_big(file_name: str, max_mb: int) -> str:
    return f"Tệp “{escape(file_name)}” quá lớn: chỉ nhận tệp tối đa {max_mb} MB."


def upload_error(message: str) -> str:
    return f"❌ {escape(message)}"


# --- binding ---------------------------------------------------------------------------


def bound_agency(agency_name: str) -> str:
    return (
        f"✅ Nhóm này đã được đăng ký nhận nhắc việc của <b>{escape(agency_name)}</b>.\n"
        "Gõ /tiendo để xem tiến độ, /help để xem các lệnh."
    )


def bound_leaders(province_name: str) -> str:
    return (
        f"✅ Nhóm này là nhóm lãnh đạo tỉnh {escape(province_name)}: nhận báo cáo tổng hợp. "
        "Gõ /tiendo để xem tiến độ toàn tỉnh."
    )


def unbound() -> str:
    return "Đã hủy đăng ký: nhóm này không còn nhận nhắc việc."


NOT_BOUND = "Nhóm này chưa được đăng ký."


def choose_agency(query: str) -> str:
    return f"Có nhiều cơ quan khớp với “{escape(query)}”. Chọn cơ quan:"


def suggest_agency(query: str, *, any_suggestion: bool) -> str:
    text = f"Không tìm thấy cơ quan “{escape(query)}”."
    if any_suggestion:
        return text + " Có phải một trong các cơ quan sau?"
    return text + " Hãy gõ tên đầy đủ hoặc viết tắt, vd. <code>/dangky Sở Tư pháp</code>."


def request_sent(agency_name: str, *, reached: bool) -> str:
    if not reached:
        return (
            f"Đã ghi nhận đề nghị đăng ký nhóm cho <b>{escape(agency_name)}</b>, nhưng bot chưa "
            "liên lạc được quản trị viên. Vui lòng báo Văn phòng UBND tỉnh/Sở Nội vụ mở bot và duyệt."
        )
    return (
        f"Đã gửi đề nghị đăng ký nhóm cho <b>{escape(agency_name)}</b> tới quản trị viên. "
        "Nhóm sẽ nhận thông báo khi đề nghị được duyệt."
    )


def request_for_admin(
    *, agency_name: str, chat_title: str | None, chat_id: int, user_name: str | None, user_id: int
) -> str:
    return (
        "📝 <b>Đề nghị đăng ký nhóm</b>\n"
        f"Nhóm: {escape(chat_title or str(chat_id))} (id {chat_id})\n"
        f"Cơ quan: <b>{escape(agency_name)}</b>\n"
        f"Người đề nghị: {escape(user_name or '')} (id {user_id})"
    )


BTN_APPROVE = "✅ Duyệt"
BTN_REJECT = "❌ Từ chối"


def request_decided(text: str, decision: BindDecision, *, admin_name: str) -> str:
    """The admin's copy of a request once decided: what the service recorded, not the button."""
    mark = {
        BindDecision.APPROVED: "✅ Đã duyệt",
        BindDecision.MERGED: "❌ Không duyệt được (cơ quan đã được sáp nhập)",
    }.get(decision, "❌ Đã từ chối")
    return f"{text}\n\n{mark} bởi {escape(admin_name)}."


def request_rejected(agency_name: str) -> str:
    return f"Đề nghị đăng ký nhóm cho {escape(agency_name)} đã bị từ chối."


def request_merged(agency_name: str) -> str:
    return (
        f"Đề nghị đăng ký nhóm cho {escape(agency_name)} chưa được duyệt: cơ quan này đã được sáp nhập. "
        "Gõ /dangky với tên cơ quan mới để đăng ký lại."
    )


def decision_for_group(decision: BindDecision, agency_name: str) -> str:
    """What the group that asked hears of an admin's decision (APPROVED, REJECTED or MERGED)."""
    if decision is BindDecision.APPROVED:
        return bound_agency(agency_name)
    if decision is BindDecision.MERGED:
        return request_merged(agency_name)
    return request_rejected(agency_name)


def invite_link(agency_name: str, link: str, days: int) -> str:
    return (
        f"🔗 Liên kết mời bot vào nhóm của <b>{escape(agency_name)}</b> (dùng một lần, "
        f"hết hạn sau {days} ngày):\n{escape(link)}\n\n"
        "Gửi liên kết cho đầu mối của cơ quan: mở liên kết, chọn nhóm của cơ quan; "
        "nhóm được đăng ký ngay khi bot vào nhóm."
    )


INVITE_INVALID = (
    "Liên kết mời này đã được dùng hoặc đã hết hạn. Đề nghị quản trị viên tạo liên kết mới (/moi)."
)


def leaders_need_province(names: Sequence[str]) -> str:
    return "Hệ thống phục vụ nhiều tỉnh; gõ /lanhdao &lt;tỉnh&gt;, vd. /lanhdao " + escape(names[0])


def leaders_answer(refusal: LeadersRefusal | None, *, province_name: str, slugs: Sequence[str]) -> str:
    """What /lanhdao answers: bound, or why not."""
    if refusal is LeadersRefusal.NOT_ADMIN:
        return help_texts.ADMIN_ONLY
    if refusal is LeadersRefusal.NO_PROVINCE:
        return help_texts.NO_PROVINCE
    if refusal is LeadersRefusal.WHICH_PROVINCE:
        return leaders_need_province(slugs)
    return bound_leaders(province_name)


# --- /coquan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyRow:
    name: str
    active: bool
    successor_name: str | None
    tasks: int
    open_items: int
    chats: tuple[str, ...]  # chat titles


def agencies_messages(province_name: str, rows: Sequence[AgencyRow]) -> list[str]:
    blocks = [f"🏛 <b>Cơ quan — {escape(province_name)}</b>"]
    shown = [r for r in rows if r.tasks or r.chats]
    hidden = len(rows) - len(shown)
    if not shown:
        blocks.append("Chưa có cơ quan nào có nhiệm vụ hoặc nhóm đăng ký.")
    bound = sum(1 for r in shown if r.chats)
    if shown:
        blocks.append(f"{len(shown)} cơ quan có nhiệm vụ hoặc nhóm; {bound} đã có nhóm đăng ký.")
    for number, row in enumerate(shown, start=1):
        text = f"{number}. <b>{escape(row.name)}</b>"
        if not row.active and row.successor_name:
            text += f" <i>(đã hợp nhất vào {escape(row.successor_name)})</i>"
        text += f" — {row.tasks} nhiệm vụ chủ trì, {row.open_items} hạn chưa xong"
        if row.chats:
            text += "\n   Nhóm: " + ", ".join(escape(t) for t in row.chats)
        elif row.active:
            text += "\n   ⚠️ Chưa có nhóm đăng ký"
        blocks.append(text)
    if hidden:
        blocks.append(f"\n{hidden} cơ quan khác trong danh bạ chưa có nhiệm vụ hay nhóm.")
    return split_blocks(blocks)

FOLLOW_USAGE = (
    "Cách dùng: <code>/theodoitu 01/12/2026</code> — nhập kế hoạch vừa gửi, bot theo dõi từ ngày đó "
    "(các hạn trước ngày đó là “chưa cập nhật”)."
)
BTN_FOLLOW_TODAY = "✅ Theo dõi từ hôm nay"
BTN_FOLLOW_START = "📜 Từ đầu kế hoạch"
