"""Vietnamese of the configuration checks (bot/config.py) and of the bot's start
(bot/app.py: `nhacviec run`): one line per problem, printed on stderr."""

from __future__ import annotations

from pathlib import Path

BAD_ADMIN_IDS = "cần các số id Telegram, cách nhau bởi dấu phẩy (vd. 12345,67890)"
BAD_REMINDER_DAYS = "cần các số ngày, cách nhau bởi dấu phẩy (vd. 30,14,7,3,1,0)"
BAD_WEEKDAY = "cần 0–6 (0 = thứ Hai) hoặc thu2 … thu7, cn"
MAIL_PAIR = "SMTP_URL và MAIL_FROM phải đặt cùng nhau (để gửi thư điện tử)"
BAD_MAIL_FROM = "MAIL_FROM: cần một địa chỉ thư, vd. nhacviec@sonoivu.gov.vn"
BAD_URL_SCHEME = "phải bắt đầu bằng http:// hoặc https://"
UNREADABLE_DATABASE_URL = "<không đọc được DATABASE_URL>"
NO_TOKEN = "Thiếu TELEGRAM_BOT_TOKEN: đặt token của bot (lấy từ @BotFather) vào biến môi trường hoặc tệp .env."
WEBHOOK_ON_CONSOLE_NEEDS_WEB = "WEBHOOK_ON_CONSOLE=true cần bảng điều khiển web: đặt WEB_PORT (khác 0)."


def bad_ladder(error: Exception) -> str:
    return (
        "cần các bậc số-ngày:bậc, ví dụ 1:agency,5:office,15:leaders (agency: cơ quan, office: "
        f"văn phòng/quản trị viên, leaders: lãnh đạo; số ngày làm việc quá hạn không giảm dần) — {error}"
    )


def no_data_dir(value: Path) -> str:
    return (
        f"không có danh mục cơ quan (agencies/standard.yaml) trong {value}; "
        "đặt DATA_DIR là thư mục data/ của mã nguồn (trong Docker: /app/data)"
    )


def no_ca_file(path: Path) -> str:
    return f"SMTP_CA_FILE: không có tệp {path}"


def bad_timezone(value: str) -> str:
    return f"múi giờ không hợp lệ: {value!r} (vd. Asia/Ho_Chi_Minh)"


def setting_error(name: str, message: str) -> str:
    return f"Cấu hình sai: {name} — {message}"


def unknown_admin_provinces(unknown: list[str], known: list[str]) -> str:
    return setting_error("PROVINCE_ADMINS", f"không có tỉnh {', '.join(unknown)} (có: {', '.join(known)}).")


def bad_webhook_url(url: str) -> str:
    return f"WEBHOOK_URL không hợp lệ: {url!r} (cần https://…)"


def webhook_on_console_mode(url: str) -> str:
    return f"webhook {url}, qua bảng điều khiển"


def token_refused(api_url: str) -> str:
    return f"TELEGRAM_BOT_TOKEN không hợp lệ: máy chủ {api_url} từ chối token (kiểm tra lại với @BotFather)."


def telegram_unreachable(api_url: str, message: str) -> str:
    return f"Không kết nối được tới {api_url}: {message}"


def database_unusable(masked_url: str, reason: str) -> str:
    return f"Không dùng được cơ sở dữ liệu {masked_url}: {reason}"


def bad_smtp_scheme(scheme: str) -> str:
    return f"SMTP_URL: cần smtp://, smtp+starttls:// hoặc smtps://, không phải {scheme}://"


SMTP_NO_HOST = "SMTP_URL: thiếu tên máy chủ"
