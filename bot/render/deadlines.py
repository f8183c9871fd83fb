"""Vietnamese texts of /dathan (an admin gives an undated task a due date)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from bot.domain.codes import task_code
from bot.render.format import long_date, short_date

USAGE = (
    "Cách dùng: <code>/dathan &lt;mã nhiệm vụ&gt; &lt;ngày&gt;</code>, "
    "ví dụ <code>/dathan NV123 30/09/2025</code>.\n"
    "Mã nhiệm vụ có trong /nhiemvu và /tiendo (NV…)."
)
ADMINS_ONLY = "Chỉ quản trị viên (Văn phòng UBND tỉnh / Sở Nội vụ) được đặt hạn nhiệm vụ."


def deadline_set(
    *,
    task_id: int,
    due_on: date,
    today: date,
    plan_number: str | None,
    task_title: str | None,
    created: Sequence[str],
    existing: Sequence[str],
    replaced: Sequence[date],
) -> str:
    """What /dathan did (HTML, escaped): for whom the date now counts, what it replaced, and
    whether it is already past."""
    lines = [
        f"🗓 <b>Đặt hạn {short_date(due_on)}</b> cho {task_code(task_id)} "
        f"(KH {escape(plan_number or '')}): {escape(task_title or '')}"
    ]
    if created:
        lines.append("Cơ quan chủ trì sẽ được nhắc theo hạn này: " + ", ".join(escape(n) for n in created) + ".")
    if existing:
        lines.append("Đã có hạn này từ trước: " + ", ".join(escape(n) for n in existing) + ".")
    if replaced:
        lines.append("Thay cho hạn cũ: " + ", ".join(short_date(d) for d in replaced) + ".")
    if due_on < today:
        lines.append(f"Hạn này đã qua (hôm nay {long_date(today)}): nhiệm vụ được tính là quá hạn.")
    return "\n".join(lines)
