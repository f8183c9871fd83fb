"""Items due the same day are listed in the plan's natural order (issue 18): 1, 2, 3, 11, 13,
not the text order 1, 11, 13, 2, 3."""

from __future__ import annotations

from datetime import date

from bot.domain.digest import DueLine, overdue
from bot.domain.reminders import Reminder, ReminderItem, ReminderKind, sort_reminders
from bot.domain.text import natural_key

DAY = date(2025, 6, 30)


def test_natural_key_orders_numbers_by_value_and_keeps_words_apart() -> None:
    refs = ["11", "3", "1", "13", "2", "II.10", "II.2.b", "II.2.a", "a", "10a"]
    assert sorted(refs, key=natural_key) == ["1", "2", "3", "10a", "11", "13", "a", "II.2.a", "II.2.b", "II.10"]


def _item(n: int, ref: str) -> ReminderItem:
    return ReminderItem(
        due_item_id=n, task_id=n, task_ref=ref, plan_number="1782/KH-UBND", title=f"Nhiệm vụ {ref}",
        agency_id=1, agency_name="Sở Tư pháp", due_on=DAY, original_due_on=DAY,
    )


def test_reminders_due_the_same_day_come_in_natural_order() -> None:
    refs = ["1", "11", "13", "3", "2", "21"]
    reminders = [Reminder(_item(n, ref), ReminderKind.DUE_SOON, 7) for n, ref in enumerate(refs)]
    assert [r.item.task_ref for r in sort_reminders(reminders)] == ["1", "2", "3", "11", "13", "21"]


def test_overdue_lines_come_in_natural_order() -> None:
    lines = [
        DueLine(task_id=int(ref), task_ref=ref, plan_number="1782/KH-UBND", title=ref, agency_code="so-tu-phap",
                agency_name="Sở Tư pháp", due_on=date(2025, 6, 2))
        for ref in ("1", "11", "3", "2")
    ]
    assert [line.task_ref for line in overdue(lines, today=DAY)] == ["1", "2", "3", "11"]
