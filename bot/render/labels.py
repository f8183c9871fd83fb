"""Vietnamese labels for domain values shown to people."""

from __future__ import annotations

from bot.domain.plans.draft import ReviewReason

REVIEW_LABELS: dict[ReviewReason, str] = {
    ReviewReason.NO_LEAD: "chưa có cơ quan chủ trì",
    ReviewReason.UNKNOWN_AGENCY: "cơ quan không có trong danh bạ",
    ReviewReason.LOW_CONFIDENCE_AGENCY: "tên cơ quan khớp chưa chắc chắn",
    ReviewReason.DEADLINE_UNPARSED: "không hiểu thời hạn",
    ReviewReason.DEADLINE_ASSUMED: "thời hạn suy từ kỳ kế hoạch",
    ReviewReason.NO_DEADLINE: "không có thời hạn",
    ReviewReason.EVENT_DEADLINE: "chờ sự kiện, cần đặt hạn",
}


def review_label(reason: ReviewReason) -> str:
    return REVIEW_LABELS[reason]


# Why an item is not reminded (bot.db.models.HoldKind values): shown beside its status in
# reports and lists, "as such" — a dropped item is not "quá hạn", a snoozed one says until when.
HOLD_LABELS: dict[str, str] = {
    "snooze": "Tạm dừng nhắc",
    "pause": "Cơ quan tạm dừng nhắc",
    "waive": "Không thực hiện",
}


def hold_label(kind: str, until_text: str | None = None) -> str:
    """'Không thực hiện', 'Tạm dừng nhắc đến 15/01/2027'."""
    label = HOLD_LABELS[kind]
    return f"{label} đến {until_text}" if until_text and kind != "waive" else label


# The tasks page's status filter beyond the VPCP categories (bot.db.web_queries.HELD, WAIVED).
HOLD_FILTER_LABELS: dict[str, str] = {
    "held": "Tạm dừng nhắc",
    "waived": "Không thực hiện",
}
