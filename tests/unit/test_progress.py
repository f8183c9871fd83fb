from datetime import date, timedelta

from bot.domain.digest import DueLine, agency_progress, overdue, province_summary, upcoming
from bot.domain.status import Category, Status
from bot.render.format import days_phrase, long_date
from bot.render.progress import agency_progress_messages, province_summary_messages
from bot.render.split import SAFE_LIMIT, split_blocks

TODAY = date(2025, 6, 23)


def line(ref, due, status=Status.PENDING, agency="so-tu-phap", name="Sở Tư pháp", **kw):
    return DueLine(
        task_id=int(ref), task_ref=ref, plan_number="1782/KH-UBND", title=f"Nhiệm vụ {ref} <b>&",
        agency_code=agency, agency_name=name, due_on=due, status=status, **kw,
    )


def test_agency_progress_groups_by_state():
    lines = [
        line("1", date(2025, 1, 30)),  # overdue
        line("2", date(2025, 6, 30)),  # due in 7 days
        line("3", date(2025, 12, 31), Status.IN_PROGRESS, progress=60),
        line("4", date(2025, 3, 31), Status.DONE, completed_on=date(2025, 3, 30)),
        line("5", None),
        line("6", date(2026, 6, 30)),
    ]
    progress = agency_progress(lines, today=TODAY)
    assert [l.task_ref for l in progress.overdue] == ["1"]
    assert [l.task_ref for l in progress.due_soon] == ["2"]
    assert [l.task_ref for l in progress.in_progress] == ["3"]
    assert [l.task_ref for l in progress.done] == ["4"]
    assert [l.task_ref for l in progress.no_deadline] == ["5"]
    assert [l.task_ref for l in progress.later] == ["6"]


def test_overdue_includes_blocked_but_not_done():
    lines = [line("1", date(2025, 1, 1), Status.BLOCKED), line("2", date(2025, 1, 1), Status.DONE)]
    assert [l.task_ref for l in overdue(lines, today=TODAY)] == ["1"]


def test_upcoming_window_is_inclusive():
    lines = [line(str(i), TODAY + timedelta(days=i)) for i in range(0, 10)]
    assert [l.task_ref for l in upcoming(lines, today=TODAY, days=7)] == [str(i) for i in range(8)]


def test_province_summary_worst_first_and_rates():
    lines = [
        line("1", date(2025, 1, 1), agency="a", name="A"),
        line("2", date(2025, 1, 1), Status.DONE, agency="b", name="B", completed_on=date(2025, 1, 1)),
        line("3", date(2025, 1, 1), Status.DONE, agency="b", name="B", completed_on=date(2025, 2, 1)),
    ]
    rows = province_summary(lines, today=TODAY)
    assert [r.agency_code for r in rows] == ["a", "b"]
    assert rows[1].counts == {Category.DONE_ON_TIME: 1, Category.DONE_LATE: 1}
    assert rows[1].on_time_rate == 0.5
    assert rows[0].on_time_rate == 0.0


def test_days_phrase_and_dates():
    assert days_phrase(date(2025, 6, 30), TODAY) == "còn 7 ngày"
    assert days_phrase(date(2025, 1, 30), TODAY) == "quá hạn 144 ngày"
    assert days_phrase(TODAY, TODAY) == "đến hạn hôm nay"
    assert long_date(date(2025, 6, 30)) == "Thứ Hai, 30/06/2025"


def test_agency_message_escapes_plan_text_and_reads_vietnamese():
    text = "\n".join(agency_progress_messages("Sở Tư pháp & <X>", agency_progress([line("1", date(2025, 1, 30))], today=TODAY), TODAY))
    assert "Sở Tư pháp &amp; &lt;X&gt;" in text
    assert "Nhiệm vụ 1 &lt;b&gt;&amp;" in text
    assert "Hạn 30/01/2025 · quá hạn 144 ngày" in text
    assert "⛔ Quá hạn" in text


def test_long_lists_are_split_under_the_limit_and_nothing_is_lost():
    lines = [line(str(i), date(2025, 1, 1) + timedelta(days=i % 100)) for i in range(1, 400)]
    messages = agency_progress_messages("Sở Tư pháp", agency_progress(lines, today=TODAY), TODAY)
    assert len(messages) > 1
    assert all(len(m) <= SAFE_LIMIT for m in messages)
    joined = "\n".join(messages)
    assert all(f"mục {i}, mã NV{i})" in joined for i in range(1, 400))


def test_split_blocks_cuts_an_oversized_block_without_breaking_entities():
    block = "<b>" + ("a &amp; b " * 1000) + "</b>"
    parts = split_blocks([block], limit=500)
    assert all(len(p) <= 500 for p in parts)
    assert all("<b>" not in p for p in parts)
    assert all(p.count("&") == p.count("&amp;") for p in parts)


def test_province_summary_message_has_totals():
    rows = province_summary([line("1", date(2025, 1, 1), agency="a", name="Sở A")], today=TODAY)
    text = "\n".join(
        province_summary_messages("Tiến độ toàn tỉnh", rows, TODAY, unreachable=["Sở B"], unbound=["Sở C"])
    )
    assert "Quá hạn chưa xong: 1" in text
    assert "1. ⛔ Sở A: 1 · 0 · 0 · 0%" in text
    # A chat lost and a chat never registered are told apart.
    assert "⚠️ Không liên lạc được (bot bị xóa khỏi nhóm hoặc bị chặn): Sở B\n" in text
    assert "📭 Chưa có nhóm nhận nhắc việc: Sở C" in text


def test_admins_see_the_unassigned_tasks_listed_leaders_only_counted():
    from bot.domain.digest import Figures, UnassignedTask
    from bot.render.progress import UNASSIGNED_SHOWN

    tasks = [
        UnassignedTask(100 + n, "18/KH-UBND", f"II.{n}", f"Nhiệm vụ <{n}> & chưa giao", "Năm 2025")
        for n in range(UNASSIGNED_SHOWN + 5)
    ]
    rows = province_summary([line("1", date(2025, 1, 1), agency="a", name="Sở A")], today=TODAY)
    figures = Figures(overdue=1)
    admin = "\n".join(
        province_summary_messages("Tiến độ", rows, TODAY, figures=figures, tasks=36, unassigned=tasks)
    )
    assert "36 nhiệm vụ, 1 mốc thời hạn · 35 nhiệm vụ chưa giao cơ quan chủ trì" in admin
    assert "❓ <b>Nhiệm vụ chưa giao cơ quan chủ trì</b> (35)" in admin
    assert "• Nhiệm vụ &lt;0&gt; &amp; chưa giao <i>(KH 18/KH-UBND, mục II.0, mã NV100)</i>" in admin
    assert "… và 5 nhiệm vụ khác." in admin
    leaders = "\n".join(
        province_summary_messages(
            "Tiến độ", rows, TODAY, figures=figures, tasks=36, unassigned=tasks, list_unassigned=False
        )
    )
    assert "35 nhiệm vụ chưa giao cơ quan chủ trì" in leaders and "mã NV100" not in leaders
    # A province whose every task is unassigned still gets the list, not "no tasks".
    only = "\n".join(province_summary_messages("Tiến độ", [], TODAY, figures=Figures(), tasks=35, unassigned=tasks))
    assert "Chưa có nhiệm vụ nào" not in only and "(35)" in only


def test_unknown_items_are_neither_overdue_nor_due_soon_and_are_counted_apart():
    """Items due before the bot followed the plan ("chưa cập nhật"): not in /quahan, not in
    /sapden, not "sắp đến hạn" in /tiendo — one line saying how many wait for confirmation."""
    lines = [
        line("1", date(2021, 12, 31), Status.UNKNOWN),
        line("2", TODAY + timedelta(days=3), Status.UNKNOWN),  # followed from a later day
        line("3", date(2025, 1, 30)),  # overdue
    ]
    progress = agency_progress(lines, today=TODAY)
    assert [l.task_ref for l in progress.unknown] == ["1", "2"]
    assert [l.task_ref for l in progress.overdue] == ["3"] and not progress.due_soon
    assert [l.task_ref for l in overdue(lines, today=TODAY)] == ["3"]
    assert upcoming(lines, today=TODAY, days=30) == []
    text = "\n".join(agency_progress_messages("Sở Tư pháp", progress, TODAY))
    assert "❓ 2 hạn đã qua trước khi bot bắt đầu theo dõi, chưa cập nhật" in text
    assert "Nhiệm vụ 1 " not in text and "Nhiệm vụ 3 " in text
