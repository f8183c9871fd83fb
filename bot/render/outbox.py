"""Vietnamese of the outbox's delivery (bot/services/outbox.py, sender.py, channel_sender.py):
the error a row keeps (shown by `nhacviec tick` and the console) and the event lines the
senders log for the operators."""

from __future__ import annotations

from typing import Any

# The error a row left `sending` by a process that died carries when it goes back to pending.
LEASE_LOST = "tiến trình gửi đã dừng khi đang gửi: gửi lại (có thể trùng một lần)"
CHAT_INACTIVE = "nhóm đã ngừng hoạt động"
RECIPIENT_INACTIVE = "địa chỉ đã ngừng sử dụng"
TEMPORARY_ERROR = "lỗi tạm thời"
SENT = "Đã gửi tin"
SENT_CHANNEL = "Đã gửi"
LOST_CLAIM = "Tin đã gửi nhưng dòng hàng đợi đã sang tiến trình khác"
LOST_CLAIM_CHANNEL = "Đã gửi nhưng dòng hàng đợi đã sang tiến trình khác"
# An edit of a message that was never sent (its row failed): nothing to rewrite.
EDIT_TARGET_LOST = "tin cần sửa chưa từng được gửi: không có gì để sửa"
EDITED = "Đã sửa tin"


def edit_refused_error(error: str) -> str:
    return f"Telegram không cho sửa tin: {error}"


def migrated_note(new_tg_chat_id: int) -> str:
    return f"nhóm đã chuyển thành siêu nhóm {new_tg_chat_id}"


def superseded_error(note: str, owner_chat_id: int) -> str:
    return f"{note}, đã được đăng ký riêng (chat {owner_chat_id})"


def chat_unreachable_error(error: str) -> str:
    return f"nhóm không liên lạc được: {error}"


def chat_unreachable_event(tg_chat_id: int, reason: str) -> str:
    return f"Nhóm {tg_chat_id} không còn liên lạc được ({reason}); đã ngừng nhắc"


def recipient_unreachable_error(error: str) -> str:
    return f"địa chỉ không liên lạc được: {error}"


def recipient_unreachable_event(channel: Any, address: str) -> str:
    return f"Địa chỉ {channel} {address} không còn liên lạc được; đã ngừng gửi"


def inactive_chat_event() -> str:
    return f"Không gửi: {CHAT_INACTIVE}"


def retry_after_event(seconds: float) -> str:
    return f"Telegram yêu cầu chờ {seconds:g} giây (429): gửi lại sau"


def chat_migrated_event(address: Any, new_chat_id: Any, outcome: str) -> str:
    return f"Nhóm {address} đã chuyển thành siêu nhóm {new_chat_id} ({outcome})"


def sent_part_event(part: int, parts: int) -> str:
    return f"Đã gửi tin {part}/{parts}" if parts > 1 else SENT


def gave_up_error(attempts: int, error: str) -> str:
    return f"bỏ sau {attempts} lần thử: {error}"


def retry_event(attempts: int, delay: float) -> str:
    return f"Chưa gửi được (lần {attempts}): thử lại sau {delay:g} giây"


def failed_event(error: str) -> str:
    return f"Không gửi được: {error}"


def unreachable_event(message: str) -> str:
    return f"Nhóm không liên lạc được: {message}"


def address_unreachable_event(error: str) -> str:
    return f"Địa chỉ không liên lạc được: {error}"
