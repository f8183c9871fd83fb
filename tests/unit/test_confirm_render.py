"""The "chưa cập nhật" section of the day's reminder (bot.render.confirm): grouped by task,
numbered after the reminders, within the message limit (what does not fit waits a day)."""

from __future__ import annotations

from datetime import date

from bot.domain.reminders import AgencyReminders, Reminder, ReminderItem, ReminderKind
from bot.domain.status import Status
from bot.render import confirm
from bot.render.reminders import plain_text, reminder_messages

TODAY = date(2026, 12, 7)


def unknown(item_id: int, task_id: int, due: date, title: str = "Kế hoạch CCHC năm") -> ReminderItem:
    return ReminderItem(
        due_item_id=item_id, task_id=task_id, task_ref=str(task_id), plan_number="1782/KH-UBND", title=title,
        agency_id=1, agency_name="Sở Tư pháp", due_on=due, original_due_on=due, status=Status.UNKNOWN,
    )


ITEMS = [unknown(10 + y, 3, date(2020 + y, 12, 31)) for y in range(1, 5)] + [unknown(20, 7, date(2022, 6, 30), "Đề án <số hóa>")]


def test_alone_it_is_the_days_message_with_the_three_choices() -> None:
    [part] = reminder_messages(AgencyReminders(1, "Sở Tư pháp", unknown=list(ITEMS)), TODAY)
    text = plain_text(part.text)
    assert text.startswith("🔔 Nhắc việc — Sở Tư pháp\nThứ Hai, 07/12/2026\n\n❓ Chưa cập nhật")
    assert "• Kế hoạch CCHC năm (NV3): 1) 31/12/2021 · 2) 31/12/2022 · 3) 31/12/2023 · 4) 31/12/2024" in text
    assert "• Đề án <số hóa> (NV7): 5) 30/06/2022" in text and "&lt;số hóa&gt;" in part.text
    assert part.due_item_ids == (11, 12, 13, 14, 20) and part.first_number == 1
    assert part.buttons == (confirm.choice_row(),)
    assert [d for _, d in confirm.choice_row()] == ["uk:a", "uk:p", "uk:n"]


def test_after_the_reminders_numbering_continues_in_the_same_message() -> None:
    followed = ReminderItem(
        due_item_id=99, task_id=9, task_ref="9", plan_number="18/KH-UBND", title="Số hóa hồ sơ", agency_id=1,
        agency_name="Sở Tư pháp", due_on=date(2026, 12, 10), original_due_on=date(2026, 12, 10),
    )
    group = AgencyReminders(1, "Sở Tư pháp", reminders=[Reminder(followed, ReminderKind.DUE_SOON, 3)], unknown=list(ITEMS))
    [part] = reminder_messages(group, TODAY)
    assert part.due_item_ids[0] == 99 and part.due_item_ids[1:] == (11, 12, 13, 14, 20)
    assert "• Kế hoạch CCHC năm (NV3): 2) 31/12/2021" in plain_text(part.text)
    assert part.buttons[-1] == confirm.choice_row() and len(part.buttons) == 2


def test_what_does_not_fit_is_left_for_another_day_whole_tasks_only() -> None:
    full, _ = confirm.section(ITEMS, 1, room=10_000)
    text, ids = confirm.section(ITEMS, 1, room=len(full) - 10)
    assert ids == [11, 12, 13, 14] and "NV7" not in text
    assert confirm.section(ITEMS, 1, room=50) == ("", [])


def test_pick_rows_one_button_per_item_then_rest_and_back() -> None:
    rows = confirm.pick_rows([(1, 11), (2, 12), (3, 13), (4, 14), (5, 20)])
    assert rows[0] == [("✅ 1", "uk:d:11"), ("✅ 2", "uk:d:12"), ("✅ 3", "uk:d:13"), ("✅ 4", "uk:d:14")]
    assert rows[1] == [("✅ 5", "uk:d:20")]
    assert [d for _, d in rows[-1]] == ["uk:n", "uk:b"]
