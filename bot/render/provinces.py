"""Vietnamese lines about provinces: an unknown --province / PROVINCE value, a plan refused
because it belongs to another province."""

from __future__ import annotations

from collections.abc import Sequence


def unknown_province(value: str, suggestions: Sequence[tuple[str, str]]) -> str:
    """One line. `suggestions`: (slug, full name) of the closest units, best first."""
    closest = ", ".join(f"{name} ({slug})" for slug, name in suggestions)
    hint = f" Gần nhất: {closest}." if closest else ""
    return (
        f"Không có tỉnh, thành phố “{value}”: nhập mã (vd. dak-lak, ho-chi-minh) "
        f"hoặc tên (vd. Đắk Lắk, TP HCM).{hint}"
    )


FORCE_HINT_CLI = " Nếu đúng là kế hoạch cần nhập vào tỉnh này, thêm --force-province."
UNKNOWN_HINT_CLI = " Chỉ rõ tỉnh bằng --province."
FORCE_HINT_BOT = (
    "\nNếu đúng là kế hoạch cần nhập vào tỉnh này, gửi lại tệp với chú thích “buộc nhập”."
)
