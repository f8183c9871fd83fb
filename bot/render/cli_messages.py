"""Vietnamese of `nhacviec`'s own commands: the help texts of its options and arguments, and
the lines the commands print (rich markup included where the console shows colour).

bot/cli.py only wires these to Typer and the services; the frame Typer/Click writes itself
("Usage:", panel titles, usage errors) is in bot/render/cli_texts.py."""

from __future__ import annotations

from pathlib import Path

# --- help texts ---------------------------------------------------------------------------

APP_HELP = "nhacviec — bot nhắc việc kế hoạch cải cách hành chính."
DB_HELP = "Quản lý cơ sở dữ liệu."
CALENDAR_HELP = "Ngày nghỉ, ngày làm bù do quản trị viên thêm (thắng lịch nghỉ lễ chung và data/holidays.yaml)."
EMAIL_HELP = "Địa chỉ thư điện tử của cơ quan (nhắc việc) và lãnh đạo (báo cáo)."

PROVINCE_HELP = "Tỉnh, thành phố của kế hoạch: mã (dak-lak, ho-chi-minh) hoặc tên (Đắk Lắk, TP HCM)"
FORCE_PROVINCE_HELP = "Nhập vào tỉnh đã chọn dù đầu văn bản ghi tỉnh khác (quản trị viên)"
PARSE_FILE_HELP = "Tệp kế hoạch (.docx, .pdf, .txt)"
JSON_HELP = "In kết quả dạng JSON"
IMPORT_FILES_HELP = "Một hoặc nhiều tệp kế hoạch"
FOLLOW_FROM_HELP = (
    "Bot theo dõi kế hoạch từ ngày này (dd/mm/yyyy hoặc yyyy-mm-dd; “dau-ky”: từ đầu kế hoạch). "
    "Các hạn trước ngày này là “chưa cập nhật”: hỏi cơ quan xác nhận, không tính quá hạn. "
    "Mặc định: hôm nay với kế hoạch đã bắt đầu; nhập lại giữ ngày đã lưu"
)
AGENCY_HELP = "Tên hoặc viết tắt cơ quan"
DUE_BEFORE_HELP = "Hạn trước ngày (dd/mm/yyyy hoặc yyyy-mm-dd)"
PLAN_HELP = "Số hiệu kế hoạch, vd. 1782/KH-UBND"
DIGEST_DATE_HELP = "Số liệu đến hết ngày này (mặc định: hôm nay)"
DIGEST_KIND_HELP = "week: 7 ngày đến --date; month: tháng đến --date"
DIGEST_SEND_HELP = "Gửi ngay vào các nhóm lãnh đạo tỉnh"
DIGEST_OUT_HELP = "Ghi văn bản, biểu đồ PNG, tệp Excel vào thư mục"
CLOSE_UNKNOWN_DATE_HELP = "Ngày hoàn thành thật (dd/mm/yyyy)"
WEBHOOK_URL_HELP = "URL webhook công khai (mặc định: long polling)"
PORT_HELP = "Cổng webhook nội bộ"
PREVIEW_FROM_HELP = "Ngày bắt đầu (dd/mm/yyyy; mặc định hôm nay)"
PREVIEW_DAYS_HELP = "Số ngày xem trước"
TICK_DATE_HELP = "Ngày nhắc (dd/mm/yyyy; mặc định hôm nay)"
RESEND_UNCERTAIN_HELP = "Gửi lại cả các tin không rõ đã đến hay chưa"
RETRY_FAILED_HELP = "Thử lại các tin đã lỗi"
DB_CHECK_HELP = "Thoát mã 1 nếu chưa ở phiên bản mới nhất"
EXPORT_FILE_HELP = "Tệp sao lưu: .json (khôi phục được) hoặc .xlsx (để xem)"
RESTORE_FILE_HELP = "Tệp sao lưu .json (từ nhacviec export)"
NOTE_HELP = "Lý do, vd. Nghỉ bù Quốc khánh"
DAY_OFF_HELP = "Ngày nghỉ (dd/mm/yyyy)"
WORKDAY_HELP = "Ngày làm bù (dd/mm/yyyy)"
REMOVE_DAY_HELP = "Ngày đã thêm (dd/mm/yyyy)"
EMAIL_AGENCY_HELP = "Cơ quan: mã hoặc tên"
EMAIL_ADDRESS_HELP = "Địa chỉ thư"
EMAIL_PROVINCE_HELP = "Tỉnh (khi phục vụ nhiều tỉnh)"
EMAIL_ALWAYS_HELP = "Nhận nhắc việc qua thư cả khi cơ quan đã có nhóm Telegram"
EMAIL_NAME_HELP = "Họ tên, chức vụ"

# --- printed lines ------------------------------------------------------------------------

ACTOR_NAME = "dòng lệnh"  # who changed a calendar day, in its history
IMPORTING = "Đang nhập"
DRAFT_COLUMNS = ("Mã", "Nhiệm vụ", "Chủ trì", "Thời hạn", "Hạn", "Cần rà soát")
TASK_COLUMNS = ("Kế hoạch", "Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn", "Tình trạng")
EMAIL_COLUMNS = ("Cơ quan / lãnh đạo", "Địa chỉ", "Tình trạng")
SEND_OR_OUT = "Chọn một trong hai: --send hoặc --out"
DIGEST_NEEDS_TOKEN = "Thiếu TELEGRAM_BOT_TOKEN để gửi báo cáo."
TICK_NEEDS_TOKEN = "Cần TELEGRAM_BOT_TOKEN để gửi tin nhắc việc."
NO_PLANS = "Chưa có kế hoạch nào của tỉnh trong cơ sở dữ liệu (nhập bằng: nhacviec import …)."
NO_PROVINCE = "Chưa có tỉnh nào (nhập một kế hoạch hoặc đặt PROVINCE)"
DB_UP_TO_DATE = "Cơ sở dữ liệu đã ở phiên bản mới nhất."
NO_GROUP_YET = "chưa có nhóm — sẽ không gửi được"
NO_REMINDERS = "   (không có nhắc việc)"


def error_line(message: str) -> str:
    return f"Lỗi: {message}"


def file_not_found(path: Path) -> str:
    return f"Không tìm thấy tệp: {path}"


def draft_meta_line(issued: str, signer: str, period: str) -> str:
    return f"Ban hành: {issued} · Người ký: {signer} · Thời kỳ: {period}"


def draft_summary(tasks: int, flagged: int) -> str:
    return f"{tasks} nhiệm vụ, {flagged} cần rà soát."


def bad_follow_from(value: str) -> str:
    return f"--theo-doi-tu: ngày không hợp lệ {value!r} (dùng dd/mm/yyyy, hoặc “dau-ky”)"


def bad_date(text: str) -> str:
    return f"Ngày không hợp lệ: {text!r} (dùng dd/mm/yyyy)"


def row_count(rows: int) -> str:
    return f"{rows} dòng."


def bad_kind(kind: str) -> str:
    return f"--kind không hợp lệ: {kind!r} (week hoặc month)"


def digest_no_leader_chat(province_name: str) -> str:
    return f"[yellow]⚠[/yellow] {province_name}: chưa có nhóm lãnh đạo tỉnh (gõ /lanhdao trong nhóm)."


def digest_sent(province_name: str, chats: int) -> str:
    return f"[green]✓[/green] {province_name}: đã gửi tới {chats} nhóm lãnh đạo."


def preview_day_off(day: str, holiday: str | None) -> str:
    return f"[dim]{day} — nghỉ ({holiday or 'cuối tuần'}), không nhắc.[/dim]"


def preview_day(day: str, at: str, agencies: int, items: int) -> str:
    return f"[bold]═══ {day} lúc {at}: {agencies} cơ quan, {items} nhiệm vụ ═══[/bold]"


def preview_escalations(count: int, threshold: str) -> str:
    return f"[yellow]⚠ {count} nhiệm vụ quá hạn {threshold} sẽ được báo nhóm lãnh đạo.[/yellow]"


def rearmed(count: int, day: str) -> str:
    return f"Gửi lại {count} tin của ngày {day}."


def tick_summary(
    *, sent: int, retry_after: int, migrated: int, day: str, delivered: int, uncertain: int, failed: int, waiting: int
) -> str:
    return (
        f"Lượt này đã gửi {sent} tin (429: {retry_after}, nhóm đổi mã: {migrated}). "
        f"Ngày {day}: đã gửi {delivered}, "
        f"không rõ {uncertain}, lỗi {failed}, "
        f"đang chờ {waiting}."
    )


def db_unreachable(error_type: str) -> str:
    return f"Không kết nối được cơ sở dữ liệu: {error_type}"


def db_revision(current: str | None, head: str | None) -> str:
    return f"Hiện tại: {current or '(trống)'} · Mới nhất: {head}"


def unsupported_backup_format(name: str) -> str:
    return f"Định dạng tệp không hỗ trợ: {name} (dùng .json hoặc .xlsx)"


def exported(tables: int, rows: int, revision: str, file: Path) -> str:
    return f"[green]✓[/green] Đã sao lưu {tables} bảng, {rows} dòng (phiên bản {revision}) vào {file}"


def restored(rows: int, tables: int, revision: str) -> str:
    return f"[green]✓[/green] Đã khôi phục {rows} dòng vào {tables} bảng (phiên bản {revision})."


def agency_email_set(agency_name: str, address: str, always: bool) -> str:
    return f"{agency_name}: {address}" + (" (luôn nhận nhắc việc)" if always else "")


def leader_email_set(person_name: str | None, address: str) -> str:
    return f"Lãnh đạo{' ' + person_name if person_name else ''}: {address}"


def email_stopped(address: str) -> str:
    return f"Đã ngừng: {address}"


def email_who(agency_name: str | None, person_name: str | None) -> str:
    return agency_name or ("Lãnh đạo" + (f" — {person_name}" if person_name else ""))


def email_state(*, active: bool, unreachable_reason: str | None, agency: bool, always: bool) -> str:
    state = "đang dùng" if active else (f"không liên lạc được: {unreachable_reason}" if unreachable_reason else "đã ngừng")
    if agency and active:
        state += "; nhắc việc: luôn" if always else "; nhắc việc: khi chưa có nhóm Telegram"
    return state


def email_count(count: int) -> str:
    return f"{count} địa chỉ."
