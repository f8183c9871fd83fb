"""The escalation ladder (agency → office → leaders by working days overdue) and the nudge of
items in progress nobody reports on, over the real Vietnamese calendar.

Days used below: Quốc khánh 2025 — Mon 01/09 and Tue 02/09 off; Tết Bính Ngọ 2026 — Sat 14/02
to Sun 22/02 off (Mon 16 – Fri 20 are the working days lost).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar
from bot.domain.escalation import (
    EscalationLadder,
    Rung,
    Step,
    format_ladder,
    legacy_ladder,
    overdue_working_days,
    parse_ladder,
    working_cutoff,
)
from bot.domain.reminders import (
    ReminderItem,
    ReminderKind,
    ReminderPolicy,
    Urgency,
    due_nudges,
    escalation_cutoff,
    is_escalated,
    nudge_days,
    reminder_kind,
    select_due_dates,
    summarize_day,
    urgency,
)
from bot.domain.status import Status

CAL = WorkCalendar(years=range(2024, 2028))
D = date
LADDER = parse_ladder("1:agency,5:office,15:leaders")


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("1:agency,5:office,15:leaders", ((1, Rung.AGENCY, True), (5, Rung.OFFICE, True), (15, Rung.LEADERS, True))),
        (" 15:leaders ; 2:agency ", ((2, Rung.AGENCY, True), (15, Rung.LEADERS, True))),  # any order, ';'
        ("3:coquan,7:vanphong,10:lanhdao", ((3, Rung.AGENCY, True), (7, Rung.OFFICE, True), (10, Rung.LEADERS, True))),
        ("1:agency,15d:leaders", ((1, Rung.AGENCY, True), (15, Rung.LEADERS, False))),  # calendar days
        ("5:office", ((5, Rung.OFFICE, True),)),  # no leaders' rung: leaders never alerted
    ],
)
def test_parse_ladder(text: str, steps: tuple[tuple[int, Rung, bool], ...]) -> None:
    ladder = parse_ladder(text)
    assert tuple((s.after, s.rung, s.working) for s in ladder.steps) == steps
    assert parse_ladder(format_ladder(ladder)) == ladder


@pytest.mark.parametrize(
    "text",
    ["", "agency", "1:boss", "x:agency", "0:agency", "1:agency,1:agency", "1:agency,15:office,5:leaders", "400:leaders"],
)
def test_parse_ladder_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ladder(text)


@pytest.mark.parametrize(
    ("due", "today", "worked"),
    [
        (D(2025, 6, 20), D(2025, 6, 20), 0),  # the due date itself
        (D(2025, 6, 20), D(2025, 6, 22), 0),  # Friday → Sunday: the weekend does not count
        (D(2025, 6, 20), D(2025, 6, 23), 1),
        (D(2025, 8, 29), D(2025, 9, 3), 1),  # Fri → Wed over Quốc khánh (Mon 1, Tue 2 off)
        (D(2026, 2, 13), D(2026, 2, 23), 1),  # Fri before Tết → the Monday after it
        (D(2025, 6, 20), D(2025, 6, 15), 0),  # not due yet
    ],
)
def test_overdue_working_days(due: date, today: date, worked: int) -> None:
    assert overdue_working_days(due, today, CAL) == worked


# (due date, today) → the highest rung reached, on the 1:agency,5:office,15:leaders ladder.
@pytest.mark.parametrize(
    ("due", "today", "top"),
    [
        (D(2025, 6, 23), D(2025, 6, 23), None),  # due today
        (D(2025, 6, 20), D(2025, 6, 23), Rung.AGENCY),  # 1 working day overdue
        (D(2025, 6, 20), D(2025, 6, 26), Rung.AGENCY),  # 4
        (D(2025, 6, 20), D(2025, 6, 27), Rung.OFFICE),  # 5
        (D(2025, 6, 20), D(2025, 7, 10), Rung.OFFICE),  # 14
        (D(2025, 6, 20), D(2025, 7, 11), Rung.LEADERS),  # 15
        (D(2025, 8, 29), D(2025, 9, 8), Rung.AGENCY),  # 4: Quốc khánh's two days do not count
        (D(2025, 8, 29), D(2025, 9, 9), Rung.OFFICE),  # 5
        (D(2026, 2, 13), D(2026, 2, 27), Rung.OFFICE),  # 14 calendar days, 5 working (Tết)
    ],
)
def test_top_rung(due: date, today: date, top: Rung | None) -> None:
    assert LADDER.top(due, today, CAL) is top


def test_legacy_ladder_is_the_old_rule() -> None:
    """REMINDER_ESCALATE_AFTER=14 (no ESCALATION_LADDER): leaders after more than 14 calendar days."""
    policy = ReminderPolicy()
    assert policy.escalation == legacy_ladder(14)
    assert policy.escalation.step(Rung.OFFICE) is None
    today = D(2025, 6, 23)
    assert not is_escalated(today - timedelta(14), today, policy=policy)
    assert is_escalated(today - timedelta(15), today, policy=policy)
    assert escalation_cutoff(today, policy=policy) == today - timedelta(15)


def test_ladder_policy_uses_working_days_and_needs_the_calendar() -> None:
    policy = ReminderPolicy(ladder=LADDER)
    # 15 working days in (D, Fri 11/07] for D up to Sunday 22/06 (the weekend adds none).
    assert escalation_cutoff(D(2025, 7, 11), policy=policy, calendar=CAL) == D(2025, 6, 22)
    assert is_escalated(D(2025, 6, 20), D(2025, 7, 11), policy=policy, calendar=CAL)
    assert not is_escalated(D(2025, 6, 23), D(2025, 7, 11), policy=policy, calendar=CAL)
    with pytest.raises(TypeError):
        is_escalated(D(2025, 6, 20), D(2025, 7, 11), policy=policy)
    # Without a leaders' rung nothing is escalated.
    office_only = ReminderPolicy(ladder=parse_ladder("1:agency,5:office"))
    assert escalation_cutoff(D(2025, 7, 11), policy=office_only, calendar=CAL) == date.min


DAYS = st.integers(min_value=0, max_value=3 * 365).map(lambda n: D(2024, 1, 1) + timedelta(n))


@settings(max_examples=300, deadline=None)
@given(today=DAYS, delta=st.integers(min_value=0, max_value=60), days=st.integers(1, 25))
def test_cutoff_is_the_inverse_of_the_count(today: date, delta: int, days: int) -> None:
    """due ≤ working_cutoff(today, n) ⇔ at least n working days overdue."""
    due = today - timedelta(delta)
    assert (due <= working_cutoff(today, days, CAL)) is (overdue_working_days(due, today, CAL) >= days)


def test_agency_rung_delays_the_first_overdue_reminder() -> None:
    """3:agency — the agency's overdue reminders start on the 3rd working day overdue, then every 3."""
    policy = ReminderPolicy(ladder=parse_ladder("3:agency,15:leaders"))
    due = D(2025, 6, 20)  # Friday
    days = [due + timedelta(n) for n in range(1, 20)]
    reminded = [d for d in days if reminder_kind(due, d, calendar=CAL, policy=policy) is ReminderKind.OVERDUE]
    assert reminded == [D(2025, 6, 25), D(2025, 6, 30), D(2025, 7, 3), D(2025, 7, 8)]
    for today in days:
        sel = select_due_dates(today, calendar=CAL, policy=policy, earliest=due)
        assert sel.kind(due) is reminder_kind(due, today, calendar=CAL, policy=policy)


def test_thresholds_must_not_decrease() -> None:
    with pytest.raises(ValueError):
        EscalationLadder((Step(10, Rung.OFFICE), Step(5, Rung.LEADERS)))


# --- nudges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "today", "every", "expected"),
    [
        (D(2025, 6, 9), D(2025, 6, 20), 10, None),  # 9 working days: not yet
        (D(2025, 6, 9), D(2025, 6, 23), 10, 10),  # 10 working days (Mon 9 → Mon 23)
        (D(2025, 6, 9), D(2025, 6, 24), 10, None),  # 11: nudged yesterday, not again
        (D(2025, 6, 9), D(2025, 7, 7), 10, 20),  # 20: once more, N working days later
        (D(2025, 6, 9), D(2025, 6, 21), 10, None),  # Saturday: no reminders at all
        (D(2025, 8, 25), D(2025, 9, 10), 10, 10),  # over Quốc khánh: 2 days off not counted
        (D(2025, 6, 9), D(2025, 6, 23), 0, None),  # 0: nudges off
    ],
)
def test_nudge_days(last: date, today: date, every: int, expected: int | None) -> None:
    assert nudge_days(last, today, calendar=CAL, policy=ReminderPolicy(nudge_after=every)) == expected


def _item(n: int, due: date, status: Status = Status.IN_PROGRESS) -> ReminderItem:
    return ReminderItem(
        due_item_id=n, task_id=100 + n, task_ref=str(n), plan_number="1782/KH-UBND", title=f"Việc {n}",
        agency_id=1, agency_name="Sở Tư pháp", due_on=due, original_due_on=due, status=status, progress=40,
    )


def test_due_nudges_only_quiet_items_in_progress_not_overdue_nor_reminded() -> None:
    today, last = D(2025, 6, 23), D(2025, 6, 9)
    items = [
        (_item(1, D(2025, 9, 30)), last),  # nudged
        (_item(2, D(2025, 9, 30), Status.PENDING), last),  # nothing reported: the normal reminders
        (_item(3, D(2025, 6, 20)), last),  # overdue: the overdue reminders
        (_item(4, D(2025, 7, 23)), last),  # reminded today anyway (30 days before): not twice
        (_item(5, D(2025, 9, 30)), D(2025, 6, 16)),  # reported a week ago
    ]
    found = due_nudges(items, today=today, calendar=CAL, policy=ReminderPolicy(), reminded=[4])
    assert [(r.item.due_item_id, r.kind, r.days) for r in found] == [(1, ReminderKind.NUDGE, 10)]
    assert urgency(found[0]) is Urgency.QUIET


def test_nudges_come_after_everything_urgent_in_the_day() -> None:
    from bot.domain.reminders import Reminder

    nudge = Reminder(_item(1, D(2025, 6, 25)), ReminderKind.NUDGE, 10)
    upcoming = Reminder(_item(2, D(2025, 7, 23), Status.PENDING), ReminderKind.DUE_SOON, 30)
    overdue = Reminder(_item(3, D(2025, 6, 20), Status.PENDING), ReminderKind.OVERDUE, 3)
    assert [r.item.due_item_id for r in summarize_day([nudge, upcoming, overdue]).shown] == [3, 2, 1]
