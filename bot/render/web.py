"""Vietnamese texts of the `/web` command (the console's sign-in link)."""

from __future__ import annotations

from html import escape

OPEN_BUTTON = "Mở bảng điều khiển"
PRIVATE_ONLY = "Liên kết đăng nhập chỉ gửi trong chat riêng: hãy nhắn /web cho bot."
CONSOLE_OFF = "Bảng điều khiển web chưa được bật trên máy chủ này (WEB_PORT=0)."


def login_text(url: str, minutes: int) -> str:
    return (
        "🔐 <b>Đăng nhập bảng điều khiển</b>\n"
        f'<a href="{escape(url, quote=True)}">{escape(url)}</a>\n'
        f"Liên kết dùng một lần, hết hạn sau {minutes} phút. Đừng chuyển tiếp cho người khác."
    )
