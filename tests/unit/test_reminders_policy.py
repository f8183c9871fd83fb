"""The reminder policy over real Vietnamese calendars: Tết, swapped days, local overrides.

Days off used below (official schedules for officials):
- Tết Ất Tỵ 2025: Sat 25/01 – Sun 02/02;
- 30/4 – 1/5/2025: Wed 30/04, Thu 01/05, Fri 02/05 off, Sat 26/04 worked (làm bù);
- Quốc khánh 2025: Mon 01/09 and Tue 02/09 off.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar
from bot.domain.reminders import (
    Holds,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderPolicy,
    Urgency,
    due_reminders,
    escalation_cutoff,
    group_by_recipient,
    hold_active,
    is_escalated,
    one_line_per_task,
    overdue_days,
    parse_days_before,
    pre_due_days,
    recipient_agency,
    reminder_kind,
    select_due_dates,
    sort_reminders,
    succession_chain,
    summarize_day,
    summarize_escalation,
    urgency,
    without_held,
)
from bot.domain.status import Status

CAL = WorkCalendar(years=range(2024, 2028))
POLICY = ReminderPolicy()
D = date


def kind(due: date, today: date, cal: WorkCalendar = CAL, policy: ReminderPolicy = POLICY):
    return reminder_kind(due, today, calendar=cal, policy=policy)


def reminded_on(due: date, first: date, last: date, cal: WorkCalendar = CAL, policy: ReminderPolicy = POLICY):
    """Every day in [first, last] with a reminder for an item due on `due`."""
    return [
        first + timedelta(n)
        for n in range((last - first).days + 1)
        if kind(due, first + timedelta(n), cal, policy) is not None
    ]


# --- before the due date ---------------------------------------------------------------------


def test_default_offsets_on_ordinary_weeks():
    # Due Wed 30/07/2025: 30, 14, 7, 3 (Sun 27/07 → Fri 25/07), 1 days before and the day.
    assert pre_due_days(D(2025, 7, 30), calendar=CAL, policy=POLICY) == [
        D(2025, 6, 30), D(2025, 7, 16), D(2025, 7, 23), D(2025, 7, 25), D(2025, 7, 29), D(2025, 7, 30),
    ]


def test_due_on_saturday_reminded_once_on_friday():
    # Sat 28/06/2025: "1 day before" and "on the day" both land on Fri 27/06.
    days = pre_due_days(D(2025, 6, 28), calendar=CAL, policy=POLICY)
    assert days[-1] == D(2025, 6, 27) and days.count(D(2025, 6, 27)) == 1
    assert kind(D(2025, 6, 28), D(2025, 6, 27)) is ReminderKind.DUE_SOON
    assert kind(D(2025, 6, 28), D(2025, 6, 28)) is None  # Saturday: nobody is reminded


def test_tet_reminders_move_before_the_break():
    # Due Mon 03/02/2025, right after Tết: 1, 3 and 7 days before fall in Tết → Fri 24/01.
    assert pre_due_days(D(2025, 2, 3), calendar=CAL, policy=POLICY) == [
        D(2025, 1, 3),  # 30 days before is Sat 04/01
        D(2025, 1, 20),
        D(2025, 1, 24),
        D(2025, 2, 3),
    ]
    assert reminded_on(D(2025, 2, 3), D(2025, 1, 21), D(2025, 2, 3)) == [D(2025, 1, 24), D(2025, 2, 3)]


def test_due_in_tet_is_reminded_before_tet():
    # Due Thu 30/01/2025 (mùng 2 Tết): the day itself and 1, 3, 7 days before → Fri 24/01.
    assert reminded_on(D(2025, 1, 30), D(2024, 12, 1), D(2025, 1, 30)) == [
        D(2024, 12, 31), D(2025, 1, 16), D(2025, 1, 23), D(2025, 1, 24),
    ]


def test_swapped_days_around_30_april_2025():
    # Due Fri 02/05/2025 (swapped day off): the day and 1 and 3 days before → Tue 29/04.
    assert pre_due_days(D(2025, 5, 2), calendar=CAL, policy=POLICY) == [
        D(2025, 4, 2), D(2025, 4, 18), D(2025, 4, 25), D(2025, 4, 29),
    ]
    # Due Tue 29/04: 3 days before is the make-up Saturday 26/04, a working day.
    assert kind(D(2025, 4, 29), D(2025, 4, 26)) is ReminderKind.DUE_SOON
    assert D(2025, 4, 26) in pre_due_days(D(2025, 4, 29), calendar=CAL, policy=POLICY)


def test_quoc_khanh_2025():
    # Due Tue 02/09/2025 (holiday): day, 1 and 3 days before → Fri 29/08.
    assert pre_due_days(D(2025, 9, 2), calendar=CAL, policy=POLICY)[-1] == D(2025, 8, 29)
    assert kind(D(2025, 9, 2), D(2025, 9, 1)) is None


def test_no_reminder_on_any_day_off():
    for day in (D(2025, 6, 28), D(2025, 6, 29), D(2025, 1, 29), D(2025, 9, 2), D(2025, 5, 2)):
        assert not select_due_dates(day, calendar=CAL, policy=POLICY, earliest=D(2020, 1, 1))
        for due in (day, day + timedelta(7), day - timedelta(3)):
            assert kind(due, day) is None


def test_extra_day_off_from_configuration():
    # An announced bridge day (Mon 30/06/2025, illustrative) moves Monday's reminders to Friday.
    cal = WorkCalendar(extra_days_off=[D(2025, 6, 30)])
    assert kind(D(2025, 7, 7), D(2025, 6, 30), cal) is None
    assert kind(D(2025, 7, 7), D(2025, 6, 27), cal) is ReminderKind.DUE_SOON
    assert kind(D(2025, 7, 7), D(2025, 6, 27)) is None  # without the override: Monday


def test_make_up_saturday_from_configuration():
    # A make-up Saturday (illustrative 28/06/2025) is a working day: reminders go out on it.
    cal = WorkCalendar(extra_working_days=[D(2025, 6, 28)])
    assert kind(D(2025, 6, 28), D(2025, 6, 28), cal) is ReminderKind.DUE_SOON
    assert kind(D(2025, 6, 28), D(2025, 6, 27), cal) is ReminderKind.DUE_SOON  # 1 day before
    assert kind(D(2025, 7, 1), D(2025, 6, 28), cal) is ReminderKind.DUE_SOON  # 3 days before


def test_holidays_file_overrides_are_used():
    cal = WorkCalendar.from_file(__import__("pathlib").Path(__file__).parents[2] / "data" / "holidays.yaml")
    assert kind(D(2025, 4, 29), D(2025, 4, 26), cal) is ReminderKind.DUE_SOON


# --- overdue ---------------------------------------------------------------------------------


def test_overdue_every_three_working_days():
    # Due Fri 13/06/2025: working days after it: 16(1) 17 18 19(4) 20 23 24(7) 25 26 27(10).
    assert reminded_on(D(2025, 6, 13), D(2025, 6, 14), D(2025, 6, 27)) == [
        D(2025, 6, 16), D(2025, 6, 19), D(2025, 6, 24), D(2025, 6, 27),
    ]
    assert kind(D(2025, 6, 13), D(2025, 6, 16)) is ReminderKind.OVERDUE


def test_overdue_count_skips_tet():
    # Due Wed 22/01/2025: 23/01 (1), 24/01 (2), Tết, 03/02 (3), 04/02 (4) → 23/01 and 04/02.
    assert reminded_on(D(2025, 1, 22), D(2025, 1, 23), D(2025, 2, 6)) == [D(2025, 1, 23), D(2025, 2, 4)]


def test_due_on_weekend_first_overdue_reminder_is_monday():
    assert reminded_on(D(2025, 6, 29), D(2025, 6, 27), D(2025, 7, 3)) == [
        D(2025, 6, 27), D(2025, 6, 30), D(2025, 7, 3),
    ]


def test_custom_policy_daily_overdue_and_fewer_offsets():
    policy = ReminderPolicy(days_before=(7, 0), overdue_every=1, escalate_after=30)
    assert reminded_on(D(2025, 6, 20), D(2025, 6, 1), D(2025, 6, 26), policy=policy) == [
        D(2025, 6, 13), D(2025, 6, 20), D(2025, 6, 23), D(2025, 6, 24), D(2025, 6, 25), D(2025, 6, 26),
    ]


def test_escalation_after_fourteen_days():
    today = D(2025, 6, 23)
    assert not is_escalated(today - timedelta(14), today, policy=POLICY)
    assert is_escalated(today - timedelta(15), today, policy=POLICY)
    assert escalation_cutoff(today, policy=POLICY) == today - timedelta(15)
    assert overdue_days(D(2025, 1, 30), today) == 144  # DESIGN.md's example
    assert overdue_days(today + timedelta(3), today) == 0


# --- the inverse used by the SQL selection ----------------------------------------------------


def test_selection_for_a_friday_covers_the_weekend():
    sel = select_due_dates(D(2025, 6, 27), calendar=CAL, policy=POLICY, earliest=None)
    # Nominal days Fri 27, Sat 28, Sun 29 plus each offset.
    assert D(2025, 6, 28) in sel.due_soon and D(2025, 6, 29) in sel.due_soon
    assert D(2025, 7, 2) in sel.due_soon  # Sun 29/06 + 3
    assert D(2025, 7, 29) in sel.due_soon  # Sun 29/06 + 30
    # 0..2 days ahead plus each offset: 0-5, 7-9, 14-16, 30-32 days from today.
    offsets = [*range(0, 6), *range(7, 10), *range(14, 17), *range(30, 33)]
    assert sel.due_soon == {D(2025, 6, 27) + timedelta(n) for n in offsets}
    assert sel.overdue == frozenset()


def test_selection_overdue_stops_at_earliest():
    sel = select_due_dates(D(2025, 6, 27), calendar=CAL, policy=POLICY, earliest=D(2025, 6, 1))
    assert min(sel.overdue) >= D(2025, 6, 1)
    assert D(2025, 6, 26) in sel.overdue  # first working day overdue is today
    assert D(2025, 6, 25) not in sel.overdue and D(2025, 6, 23) in sel.overdue


DAYS = st.integers(min_value=0, max_value=3 * 365).map(lambda n: D(2024, 1, 1) + timedelta(n))


@settings(max_examples=300, deadline=None)
@given(today=DAYS, delta=st.integers(min_value=-120, max_value=45), every=st.integers(1, 4))
def test_selection_agrees_with_the_per_item_rule(today: date, delta: int, every: int):
    policy = ReminderPolicy(overdue_every=every)
    due = today + timedelta(delta)
    sel = select_due_dates(today, calendar=CAL, policy=policy, earliest=due)
    assert sel.kind(due) is reminder_kind(due, today, calendar=CAL, policy=policy)


@settings(max_examples=100, deadline=None)
@given(due=DAYS)
def test_every_due_date_gets_a_reminder_on_or_before_it(due: date):
    days = pre_due_days(due, calendar=CAL, policy=POLICY)
    assert days and all(CAL.is_working_day(d) and d <= due for d in days)
    assert days[-1] == CAL.previous_working_day(due)


# --- items, ordering, recipients ---------------------------------------------------------------


def item(n: int, due: date, *, agency: int = 1, status: Status = Status.PENDING, original: date | None = None):
    return ReminderItem(
        due_item_id=n, task_id=100 + n, task_ref=str(n), plan_number="1782/KH-UBND",
        title=f"Nhiệm vụ {n}", agency_id=agency, agency_name={1: "Sở Tư pháp", 2: "Sở TT&TT", 3: "Sở KH&CN"}[agency],
        due_on=due, original_due_on=original or due, status=status,
    )


def test_due_reminders_skip_done_and_order_most_urgent_first():
    today = D(2025, 6, 23)
    items = [
        item(1, D(2025, 6, 30)),  # 7 days left
        item(2, D(2025, 1, 22)),  # overdue, and today is on its every-3-working-days cadence
        item(6, D(2025, 1, 30)),  # 144 days overdue, 98 working days: (98 - 1) % 3 != 0 → not today
        item(3, D(2025, 6, 20)),  # Fri → Mon 23 is w=1
        item(4, D(2025, 6, 24), status=Status.DONE),  # 1 day left but done
        item(5, D(2025, 6, 24)),  # 1 day left
    ]
    found = due_reminders(items, today=today, calendar=CAL, policy=POLICY)
    # Overdue, the most recently due first (20/06 before 22/01), then upcoming.
    assert [r.item.due_item_id for r in found] == [3, 2, 5, 1]
    assert [r.days for r in found if r.item.due_item_id in (3, 5, 1)] == [3, 1, 7]
    sel = select_due_dates(today, calendar=CAL, policy=POLICY, earliest=D(2025, 1, 1))
    assert due_reminders(items, today=today, calendar=CAL, policy=POLICY, selection=sel) == found


def test_extended_item_is_reminded_against_the_new_date():
    today = D(2025, 6, 23)
    extended = item(1, D(2025, 6, 30), status=Status.EXTENDED, original=D(2025, 3, 31))
    [r] = due_reminders([extended], today=today, calendar=CAL, policy=POLICY)
    assert r.kind is ReminderKind.DUE_SOON and r.days == 7 and r.item.extended


def test_succession_chain_is_cycle_safe():
    assert succession_chain(1, {1: 2, 2: 3, 3: None}) == [1, 2, 3]
    assert succession_chain(1, {1: 2, 2: 1}) == [1, 2]
    assert succession_chain(7, {}) == [7]


def test_recipient_prefers_current_successor_then_an_old_chat():
    successors = {2: 3, 3: None}
    assert recipient_agency(2, successors, lambda a: a in {2, 3}) == (3, True)
    assert recipient_agency(2, successors, lambda a: a == 2) == (2, True)
    assert recipient_agency(2, successors, lambda a: False) == (3, False)


def test_group_by_recipient_gives_predecessor_items_to_successor():
    today = D(2025, 6, 23)
    found = due_reminders(
        [item(1, D(2025, 6, 30), agency=2), item(2, D(2025, 6, 24), agency=3), item(3, D(2025, 6, 30), agency=1)],
        today=today, calendar=CAL, policy=POLICY,
    )
    groups = group_by_recipient(
        found, successor_of={2: 3}, names={1: "Sở Tư pháp", 3: "Sở KH&CN"}, reachable=lambda a: a in {1, 3}
    )
    assert [(g.agency_name, [r.item.due_item_id for r in g.ordered]) for g in groups] == [
        ("Sở KH&CN", [2, 1]), ("Sở Tư pháp", [3]),
    ]
    assert [r.inherited_from for r in groups[0].ordered] == [None, "Sở TT&TT"]


def test_policy_validation_and_parsing():
    assert ReminderPolicy(days_before=(1, 30, 1, 0)).days_before == (30, 1, 0)
    with pytest.raises(ValueError):
        ReminderPolicy(days_before=(-1,))
    with pytest.raises(ValueError):
        ReminderPolicy(overdue_every=0)
    assert parse_days_before("30, 14,7;3,1,0") == (30, 14, 7, 3, 1, 0)
    with pytest.raises(ValueError):
        parse_days_before("30,x")


# --- one message per chat and day: order, twins, summary, escalation ------------------------


def _r(n: int, due: date, *, task: int | None = None, agency: int = 1, today: date = D(2025, 6, 23)) -> Reminder:
    it = item(n, due, agency=agency)
    if task is not None:
        it = replace(it, task_id=task, task_ref=str(task))
    if due < today:
        return Reminder(it, ReminderKind.OVERDUE, (today - due).days)
    return Reminder(it, ReminderKind.DUE_SOON, (due - today).days)


@pytest.mark.parametrize(
    ("reminders", "expected"),
    [
        # due today first, then overdue (most recent first), then upcoming (nearest first)
        ([("a", D(2025, 6, 30)), ("b", D(2025, 1, 1)), ("c", D(2025, 6, 23)), ("d", D(2025, 6, 20))], "cdba"),
        # within a day: NV2 before NV11 (natural order of the numbering and codes, not text order)
        ([("a", D(2025, 6, 30), 11), ("b", D(2025, 6, 30), 2), ("c", D(2025, 6, 30), 101)], "bac"),
        ([("a", D(2024, 6, 30), 11), ("b", D(2024, 6, 30), 2), ("c", D(2025, 6, 22), 30)], "cba"),
        ([("a", D(2025, 6, 23), 11), ("b", D(2025, 6, 23), 9)], "ba"),
        ([], ""),
    ],
)
def test_urgency_order(reminders, expected):
    built = {}
    for n, spec in enumerate(reminders, 1):
        name, due, *task = spec
        built[n] = name
        reminders[n - 1] = _r(n, due, task=task[0] if task else None)
    assert "".join(built[r.item.due_item_id] for r in sort_reminders(reminders)) == expected


def test_urgency_sections():
    assert urgency(_r(1, D(2025, 6, 23))) is Urgency.TODAY
    assert urgency(_r(1, D(2025, 6, 22))) is Urgency.OVERDUE
    assert urgency(_r(1, D(2025, 6, 24))) is Urgency.UPCOMING


def test_a_task_reaching_one_agency_twice_is_one_line_led_by_the_agencys_own_item():
    """Sở KH&ĐT (2) merged into Sở Tài chính (3): a task led by both (or matched under two
    names) is listed once for Sở Tài chính, its own item first, the other a twin."""
    same_task = [_r(1, D(2025, 6, 30), task=7, agency=2), _r(2, D(2025, 6, 30), task=7, agency=3)]
    other = [_r(3, D(2025, 6, 30), task=8, agency=2), _r(4, D(2025, 7, 23), task=9, agency=2)]
    [group] = group_by_recipient(
        [*same_task, *other], successor_of={2: 3}, names={3: "Sở KH&CN"}, reachable=lambda a: a == 3
    )
    lines = [(r.item.task_id, r.item.due_item_id, r.twin_ids, r.inherited_from) for r in group.ordered]
    assert lines == [(7, 2, (1,), None), (8, 3, (), "Sở TT&TT"), (9, 4, (), "Sở TT&TT")]
    assert group.ordered[0].due_item_ids == (2, 1)
    # Order of arrival does not matter.
    [again] = group_by_recipient(
        list(reversed([*same_task, *other])), successor_of={2: 3}, names={3: "Sở KH&CN"}, reachable=lambda a: a == 3
    )
    assert [(r.item.due_item_id, r.twin_ids) for r in again.ordered] == [(2, (1,)), (3, ()), (4, ())]
    # Two inherited items of one task (two predecessors): one line, the first its lead.
    [both] = group_by_recipient(
        [_r(1, D(2025, 6, 30), task=7, agency=2), _r(5, D(2025, 6, 30), task=7, agency=1)],
        successor_of={2: 3, 1: 3}, names={3: "Sở KH&CN"}, reachable=lambda a: a == 3,
    )
    assert [(r.item.due_item_id, r.twin_ids) for r in both.ordered] == [(1, (5,))]


@pytest.mark.parametrize(("count", "max_shown", "shown", "hidden"), [
    (0, 10, 0, 0), (1, 10, 1, 0), (10, 10, 10, 0), (11, 10, 11, 0), (12, 10, 10, 2), (300, 10, 10, 290), (5, 1, 1, 4),
])
def test_summarize_day_shows_the_most_urgent_and_counts_the_rest(count, max_shown, shown, hidden):
    reminders = [_r(n, D(2025, 6, 24) + timedelta(days=n % 40)) for n in range(1, count + 1)]
    summary = summarize_day(reminders, max_shown=max_shown)
    assert (len(summary.shown), len(summary.hidden), summary.total) == (shown, hidden, count)
    assert list(summary.shown) + list(summary.hidden) == sort_reminders(reminders)


def test_hidden_counts_by_section():
    reminders = [_r(1, D(2025, 6, 23)), *[_r(n, D(2025, 6, 1)) for n in range(2, 5)], *[_r(n, D(2025, 7, 1)) for n in range(5, 9)]]
    summary = summarize_day(reminders, max_shown=2)
    assert summary.hidden_by_urgency() == {Urgency.OVERDUE: 2, Urgency.UPCOMING: 4}


def test_summarize_escalation_counts_per_agency_and_worst_first():
    rs = [
        _r(1, D(2025, 1, 1), task=11, agency=1), _r(2, D(2025, 1, 1), task=2, agency=1),
        _r(3, D(2025, 3, 1), task=3, agency=2), _r(4, D(2024, 1, 1), task=4, agency=3),
    ]
    s = summarize_escalation(rs, worst=3)
    assert s.total == 4
    assert s.by_agency == (("Sở Tư pháp", 2), ("Sở KH&CN", 1), ("Sở TT&TT", 1))
    assert [r.item.task_id for r in s.worst] == [4, 2, 11]
    assert [r.item.task_id for r in s.reminders] == [4, 2, 11, 3]
    assert summarize_escalation([]).total == 0
    with pytest.raises(ValueError):
        ReminderPolicy(max_shown=0)


def test_a_yearly_task_overdue_for_several_years_is_one_line_with_its_other_dates():
    rs = [
        _r(1, D(2023, 1, 30), task=7), _r(2, D(2025, 1, 30), task=7), _r(3, D(2024, 1, 30), task=7),
        _r(4, D(2025, 6, 30), task=7), _r(5, D(2025, 6, 30), task=8),
    ]
    [group] = group_by_recipient(rs, successor_of={}, names={1: "Sở Tư pháp"}, reachable=lambda a: True)
    assert [(r.item.due_item_id, r.other_due) for r in group.reminders] == [
        (2, (D(2023, 1, 30), D(2024, 1, 30), D(2025, 6, 30))), (5, ()),
    ]
    assert one_line_per_task([]) == []


@pytest.mark.parametrize(("until", "today", "active"), [
    (None, D(2025, 6, 23), True), (D(2025, 6, 30), D(2025, 6, 29), True),
    (D(2025, 6, 30), D(2025, 6, 30), False), (D(2025, 6, 30), D(2025, 7, 1), False),
])
def test_a_hold_lasts_until_the_day_named(until, today, active):
    assert hold_active(until, today) is active


def test_without_held_drops_snoozed_items_and_paused_agencies():
    rs = [_r(1, D(2025, 6, 30), task=7, agency=2), _r(2, D(2025, 6, 30), task=8, agency=3), _r(3, D(2025, 6, 30), task=9, agency=1)]
    groups = group_by_recipient(rs, successor_of={2: 3}, names={1: "Sở Tư pháp", 3: "Sở KH&CN"}, reachable=lambda a: True)
    assert without_held(groups, Holds()) == groups
    kept = without_held(groups, Holds(items=frozenset({2})))
    assert [(g.agency_id, [r.item.due_item_id for r in g.reminders]) for g in kept] == [(3, [1]), (1, [3])]
    # Sở TT&TT (2) paused: its inherited item goes too; Sở KH&CN's own stays.
    kept = without_held(groups, Holds(agencies=frozenset({2})))
    assert [(g.agency_id, [r.item.due_item_id for r in g.reminders]) for g in kept] == [(3, [2]), (1, [3])]
    # The recipient paused: nothing for it at all.
    assert [g.agency_id for g in without_held(groups, Holds(agencies=frozenset({3})))] == [1]
