"""Issue 19: the reply grammar rejects what it cannot mean (hypothesis properties).

Negative or over-100 percentages, "99,6%" (not done), dates that do not exist: never a
recorded change that says something the sender did not.
"""

from __future__ import annotations

import calendar
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.replies import AskReason, ChangeKind, ContextItem, parse_reply

TODAY = date(2025, 11, 3)
ITEMS = tuple(ContextItem(n, 100 + n, 200 + n, date(2025, 12, 31), f"Nhiệm vụ {n}") for n in range(1, 25))
STATUS_WORDS = st.sampled_from(["", "đang làm ", "dang lam ", "đạt ", "tiến độ ", "hoàn thành ", "được "])
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _recorded(text: str) -> list[tuple[ChangeKind, int | None]]:
    outcome = parse_reply(text, ITEMS, today=TODAY)
    return [(c.intent.kind, c.intent.progress) for c in outcome.changes]


@SETTINGS
@given(number=st.integers(1, 24), words=STATUS_WORDS, value=st.integers(1, 9_999_999),
       minus=st.sampled_from(["-", "−", "–"]), sep=st.sampled_from([" ", ": ", " nv "]))
def test_a_negative_percentage_is_never_recorded(number: int, words: str, value: int, minus: str, sep: str) -> None:
    text = f"{number}{sep}{words}{minus}{value}%"
    outcome = parse_reply(text, ITEMS, today=TODAY)
    assert not outcome.changes, (text, outcome.changes)
    assert outcome.questions and outcome.questions[0].reason is AskReason.WHICH_STATUS


@SETTINGS
@given(number=st.integers(1, 24), words=STATUS_WORDS, value=st.integers(101, 9_999_999))
def test_over_100_percent_is_asked_not_recorded(number: int, words: str, value: int) -> None:
    assert _recorded(f"{number} {words}{value}%") == []


@SETTINGS
@given(number=st.integers(1, 24), words=STATUS_WORDS, whole=st.integers(0, 99), tenths=st.integers(1, 99),
       comma=st.sampled_from([",", "."]))
def test_a_decimal_below_100_is_progress_cut_down_never_done(
    number: int, words: str, whole: int, tenths: int, comma: str
) -> None:
    text = f"{number} {words}{whole}{comma}{tenths}%"
    for kind, progress in _recorded(text):
        assert kind is not ChangeKind.DONE, text
        if kind is ChangeKind.PROGRESS:
            assert progress == whole, text


@SETTINGS
@given(number=st.integers(1, 24), words=STATUS_WORDS, value=st.integers(0, 100))
def test_a_percentage_in_range_is_recorded_as_written(number: int, words: str, value: int) -> None:
    recorded = _recorded(f"{number} {words}{value}%")
    if words.startswith("hoàn thành") and value == 100 or value == 100:
        assert recorded == [(ChangeKind.DONE, None)]
    else:
        assert recorded == [(ChangeKind.PROGRESS, value)]


@SETTINGS
@given(
    number=st.integers(1, 24),
    year=st.integers(2025, 2030),
    month=st.integers(1, 12),
    day=st.integers(1, 40),
    form=st.sampled_from(["{d}/{m}/{y}", "{d}/{m}", "ngày {d} tháng {m} năm {y}", "{d}-{m}-{y}"]),
    lead=st.sampled_from(["xin gia hạn đến ", "xin gia han den ", "lùi hạn đến ", "đề nghị gia hạn tới "]),
)
def test_an_extension_date_is_real_or_it_is_not_taken(
    number: int, year: int, month: int, day: int, form: str, lead: str
) -> None:
    text = f"{number} {lead}{form.format(d=day, m=month, y=year)}"
    outcome = parse_reply(text, ITEMS, today=TODAY)
    exists = day <= calendar.monthrange(year, month)[1]
    for change in outcome.changes:
        intent = change.intent
        assert intent.kind is ChangeKind.EXTENSION, text
        if intent.new_due_on is not None:
            assert exists, text  # a date taken is a date that exists …
            assert (intent.new_due_on.day, intent.new_due_on.month) == (day, month), text
        elif not exists:
            assert intent.bad_date, text  # … and one that does not is named back to the sender


def test_the_examples_of_the_issue() -> None:
    assert parse_reply("5 đang làm -5%", ITEMS, today=TODAY).changes == ()
    assert _recorded("23 đạt 99,6%") == [(ChangeKind.PROGRESS, 99)]
    assert _recorded("5 đang làm - 5%") == [(ChangeKind.PROGRESS, 5)]  # a dash, then 5%
    outcome = parse_reply("1 xin gia hạn đến 31/2", ITEMS, today=TODAY)
    [change] = outcome.changes
    assert change.intent.new_due_on is None and change.intent.bad_date == "31/2"
