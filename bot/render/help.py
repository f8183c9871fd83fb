"""Vietnamese texts of /start, /help, the command menus and the bot's short answers.

HTML; anything that comes from people or plans is escaped by the caller's arguments here.
"""

from __future__ import annotations

from html import escape

# (command, description) — registered with setMyCommands per scope.
MENU_PRIVATE: tuple[tuple[str, str], ...] = (
    ("start", "Giới thiệu bot nhắc việc"),
    ("help", "Hướng dẫn sử dụng"),
)
MENU_GROUP: tuple[tuple[str, str], ...] = (
    ("tiendo", "Tiến độ nhiệm vụ của cơ quan"),
    ("quahan", "Nhiệm vụ quá hạn"),
    ("sapden", "Nhiệm vụ sắp đến hạn, vd. /sapden 30"),
    ("nhiemvu", "Chi tiết một nhiệm vụ theo mã, vd. /nhiemvu NV12"),
    ("capnhat", "Cập nhật tiến độ, vd. /capnhat NV12 xong"),
    ("baocao", "Báo cáo tuần/tháng (nhóm lãnh đạo), vd. /baocao thang"),
    ("dangky", "Đăng ký nhóm cho cơ quan, vd. /dangky Sở Tư pháp"),
    ("zalo", "Mã liên kết để đầu mối nhận nhắc việc qua Zalo"),
    ("help", "Hướng dẫn sử dụng"),
)
MENU_ADMIN: tuple[tuple[str, str], ...] = (
    ("tiendo", "Tiến độ toàn tỉnh, hoặc /tiendo <cơ quan>"),
    ("quahan", "Nhiệm vụ quá hạn toàn tỉnh"),
    ("sapden", "Nhiệm vụ sắp đến hạn, vd. /sapden 30"),
    ("nhiemvu", "Chi tiết một nhiệm vụ theo mã, vd. /nhiemvu NV12"),
    ("capnhat", "Cập nhật tiến độ, vd. /capnhat NV12 xong"),
    ("dathan", "Đặt hạn cho nhiệm vụ chờ sự kiện, vd. /dathan NV6 30/09/2025"),
    ("ngaynghi", "Thêm ngày nghỉ (hoặc xem các ngày đã thêm), vd. /ngaynghi 02/09/2027 Nghỉ bù"),
    ("ngaylambu", "Thêm ngày làm bù, vd. /ngaylambu 10/01/2026 Làm bù cho 02/01"),
    ("giahan", "Đề nghị gia hạn đang chờ quyết định"),
    ("baocao", "Báo cáo tuần/tháng, vd. /baocao thang"),
    ("coquan", "Danh sách cơ quan, nhóm đã đăng ký, số nhiệm vụ"),
    ("moi", "Liên kết mời bot vào nhóm của một cơ quan"),
    ("zalo", "Mã liên kết Zalo cho đầu mối của một cơ quan"),
    ("email", "Địa chỉ thư của cơ quan, lãnh đạo, vd. /email STP vanthu@…"),
    ("help", "Hướng dẫn sử dụng"),
)

INTRO = (
    "🤖 <b>Bot nhắc việc cải cách hành chính</b>\n"
    "Bot theo dõi các nhiệm vụ trong kế hoạch cải cách hành chính của tỉnh, nhắc từng cơ quan "
    "trước và khi đến hạn, ghi nhận báo cáo tiến độ và tổng hợp cho lãnh đạo tỉnh."
)
HOW_TO_REGISTER = (
    "Để cơ quan nhận nhắc việc: thêm bot vào nhóm Telegram của cơ quan rồi gõ "
    "<code>/dangky tên cơ quan</code> trong nhóm (vd. <code>/dangky Sở Tư pháp</code>). "
    "Đề nghị sẽ được Văn phòng UBND tỉnh/Sở Nội vụ (quản trị viên) duyệt."
)
DATA_COMMANDS = (
    "/tiendo — tiến độ các nhiệm vụ\n"
    "/quahan — nhiệm vụ quá hạn\n"
    "/sapden [số ngày] — nhiệm vụ sắp đến hạn (mặc định 14 ngày)\n"
    "/nhiemvu &lt;mã&gt; — chi tiết một nhiệm vụ, vd. /nhiemvu NV12 (mã in trong mọi danh sách)\n"
    "/capnhat &lt;mã&gt; &lt;trạng thái&gt; [ghi chú] — cập nhật, vd. /capnhat NV12 đang làm 60%\n"
    "Hoặc trả lời (reply) tin nhắc việc: “1 xong”, “2 đang làm 60%”, “xin gia hạn nhiệm vụ 3 đến 15/12”."
)


def answer_hint(*, reads_all: bool) -> str:
    """How a group answers the bot. With privacy mode on (the default) the bot receives only
    commands and replies to its own messages; as a group admin it reads plain messages too."""
    if reads_all:
        return (
            "💬 <b>Cách trả lời:</b> trả lời (reply) tin nhắc việc, hoặc gõ thẳng trong nhóm "
            "“5 xong”, “NV12 đang làm 60%” (số theo tin nhắc việc gần nhất): bot là quản trị viên "
            "nhóm nên đọc được, và chỉ phản hồi tin bắt đầu bằng số hoặc mã nhiệm vụ."
        )
    return (
        "💬 <b>Cách trả lời:</b> bấm “Trả lời” (reply) vào tin nhắc việc của bot rồi gõ, ví dụ "
        "“1 xong”, “2 đang làm 60%”; hoặc <code>/capnhat NV12 xong</code>. Tin gõ thẳng mà không "
        "trả lời tin của bot thì bot KHÔNG nhận được (chế độ riêng tư của Telegram). Muốn gõ thẳng "
        "“5 xong”: đặt bot làm quản trị viên nhóm (không cần quyền nào khác)."
    )


def stranger_text() -> str:
    """For anyone not registered: what the bot is and how to get registered — no data."""
    return f"{INTRO}\n\n{HOW_TO_REGISTER}"


def unbound_group_text(*, is_admin: bool) -> str:
    text = f"{INTRO}\n\nNhóm này chưa được đăng ký cho cơ quan nào.\n{HOW_TO_REGISTER}"
    if is_admin:
        text += (
            "\n\nQuản trị viên: <code>/dangky tên cơ quan</code> đăng ký ngay; "
            "/lanhdao đặt nhóm này làm nhóm lãnh đạo tỉnh."
        )
    return text


def agency_group_text(agency_name: str, *, is_admin: bool) -> str:
    text = (
        f"{INTRO}\n\nNhóm này nhận nhắc việc của <b>{escape(agency_name)}</b>.\n\n{DATA_COMMANDS}\n"
        "/zalo — mã để đầu mối nhận nhắc việc và trả lời qua Zalo"
    )
    if is_admin:
        text += "\n\nQuản trị viên: /huydangky hủy đăng ký nhóm này."
    return text


def leaders_group_text(province_name: str, *, is_admin: bool) -> str:
    text = (
        f"{INTRO}\n\nĐây là nhóm lãnh đạo tỉnh {escape(province_name)}: xem tiến độ toàn tỉnh.\n\n"
        f"{DATA_COMMANDS}\n/tiendo &lt;cơ quan&gt; — tiến độ của một cơ quan\n"
        "/baocao [tuan|thang] — báo cáo tổng hợp kèm biểu đồ và tệp Excel\n"
        "/giahan — đề nghị gia hạn đang chờ quyết định"
    )
    if is_admin:
        text += "\n\nQuản trị viên: /huydangky hủy đăng ký nhóm này."
    return text


def admin_private_text() -> str:
    return (
        f"{INTRO}\n\n<b>Quản trị viên</b>\n"
        "/tiendo — tiến độ toàn tỉnh; /tiendo &lt;cơ quan&gt; — một cơ quan\n"
        "/quahan, /sapden [số ngày] — quá hạn, sắp đến hạn toàn tỉnh\n"
        "/nhiemvu &lt;mã&gt; — chi tiết một nhiệm vụ\n"
        "/coquan — cơ quan, nhóm đã đăng ký, số nhiệm vụ\n"
        "/baocao [tuan|thang] — báo cáo tổng hợp; /giahan — đề nghị gia hạn chờ duyệt\n"
        "/dathan &lt;mã&gt; &lt;ngày&gt; — đặt hạn cho nhiệm vụ chờ sự kiện\n"
        "/ngaynghi, /ngaylambu &lt;ngày&gt; [lý do] — thêm ngày nghỉ, ngày làm bù (nhắc việc theo lịch này)\n"
        "/dongcu &lt;ngày&gt; [cơ quan] — đóng các việc “chưa cập nhật” (hạn trước ngày bắt đầu theo dõi) "
        "là đã hoàn thành ngày đó\n"
        "/moi &lt;cơ quan&gt; — liên kết mời bot vào nhóm của cơ quan (dùng một lần)\n"
        "/zalo &lt;cơ quan&gt; — mã liên kết Zalo cho đầu mối của cơ quan (dùng một lần, 24 giờ)\n"
        "/email &lt;cơ quan&gt; &lt;địa chỉ&gt; — hộp thư nhận nhắc việc; /email lanhdao &lt;địa chỉ&gt; [tên] — "
        "thư nhận báo cáo; /email — danh sách\n\n"
        "<b>Nhập kế hoạch:</b> gửi tệp .docx, .pdf hoặc .txt vào đây; bot đọc, báo tóm tắt và "
        "chỉ lưu khi bạn bấm “Nhập kế hoạch”.\n\n"
        "<b>Trong nhóm:</b> <code>/dangky tên cơ quan</code> đăng ký nhóm cho cơ quan, "
        "/lanhdao đặt làm nhóm lãnh đạo tỉnh, /huydangky hủy đăng ký."
    )


# --- short answers ---------------------------------------------------------------------

NOT_REGISTERED_GROUP = (
    "Nhóm này chưa được đăng ký nên bot không hiển thị dữ liệu. "
    "Gõ <code>/dangky tên cơ quan</code> để đăng ký."
)
ADMIN_ONLY = "Chỉ quản trị viên (Văn phòng UBND tỉnh/Sở Nội vụ) mới dùng được lệnh này."
PROVINCE_WIDE_ONLY = "Lệnh này chỉ dùng trong nhóm lãnh đạo tỉnh hoặc tin nhắn riêng của quản trị viên."
GROUP_ONLY = "Lệnh này dùng trong nhóm Telegram của cơ quan."
PRIVATE_ONLY = "Lệnh này dùng trong tin nhắn riêng với bot."
NO_PROVINCE = (
    "Chưa có kế hoạch nào trong hệ thống nên chưa có danh sách cơ quan. "
    "Quản trị viên cần nhập kế hoạch trước (gửi tệp kế hoạch cho bot trong tin nhắn riêng)."
)
THROTTLED = "Bạn gửi quá nhanh, vui lòng thử lại sau ít phút."


def _wait(seconds: float) -> str:
    seconds = max(1, int(seconds + 0.999))
    return f"{seconds} giây" if seconds < 120 else f"{(seconds + 59) // 60} phút"


def throttled(seconds: float) -> str:
    """A command or button refused by the flood throttle, with when to retry."""
    return f"Bạn gửi quá nhanh, vui lòng thử lại sau {_wait(seconds)}."


def throttled_status(seconds: float) -> str:
    """A status reply refused by the flood throttle: said every time, so none is lost unseen."""
    return f"Bạn gửi quá nhanh: tin cập nhật này CHƯA được ghi nhận, vui lòng gửi lại sau {_wait(seconds)}."
def stale_edit(numbers: list[str]) -> str:
    """An edited reply not applied to items that have a later update."""
    shown = ", ".join(str(n) for n in numbers)
    return (
        f"Tin nhắn đã sửa không được áp dụng cho nhiệm vụ {shown} vì đã có cập nhật mới hơn; "
        "nếu cần thay đổi, vui lòng gửi tin nhắn mới."
    )


NOT_A_MEMBER = "Bạn không còn là thành viên của nhóm này nên không thể cập nhật nhiệm vụ của nhóm."
APOLOGY = "Xin lỗi, bot gặp lỗi khi xử lý yêu cầu này. Vui lòng thử lại sau."
BAD_BUTTON = "Nút này không hợp lệ hoặc đã hết hạn."
NOT_ALLOWED_BUTTON = "Bạn không có quyền dùng nút này."
STALE = "Yêu cầu này đã được xử lý trước đó."


def usage(command: str, example: str) -> str:
    return f"Cách dùng: <code>/{command} {escape(example)}</code>"


BAOCAO_USAGE = usage("baocao", "tuan") + " hoặc <code>/baocao thang</code>"
AGENCY_EXAMPLE = "Sở Tư pháp"  # the agency named in a command's usage line
BTN_PREVIOUS_PAGE = "◀ Trước"
BTN_NEXT_PAGE = "Sau ▶"
PAGE_FOOTER = "\n\n<i>Trang {page}/{total}</i>"


def sapden_usage(max_days: int) -> str:
    return usage("sapden", "30") + f" (1–{max_days} ngày)"
