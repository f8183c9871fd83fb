"""The deadline grammar on the forms real provincial plans use (issue 13): ranges, bare years,
windows that end at or count from an event, starts with no end, several dates in one schedule.

Every table case is also read in generated variants (upper case, without diacritics, "hằng" /
"hàng", other dashes and spacing): a rule of how deadlines are written, not of one wording.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db.codec import deadline_from_json, deadline_to_json
from bot.domain.deadlines import DeadlineKind, DeadlineRule, Every, due_dates, parse_deadline

ONCE, RECURRING, EVENT, NONE, UNPARSED = (
    DeadlineKind.ONCE,
    DeadlineKind.RECURRING,
    DeadlineKind.EVENT,
    DeadlineKind.NONE,
    DeadlineKind.UNPARSED,
)


def strip_marks(text: str) -> str:
    """The text as typed without a Vietnamese keyboard."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("đ", "d").replace("Đ", "D")


def variants(text: str) -> list[str]:
    """The ways one phrase is written across plans."""
    cases = {text, text.upper(), text.lower(), strip_marks(text), strip_marks(text).upper()}
    out: set[str] = set()
    for case in cases:
        out |= {
            case,
            case.replace("hằng", "hàng").replace("Hằng", "Hàng").replace("HẰNG", "HÀNG"),
            re.sub(r"\s*-\s*", " – ", case),  # an en dash with spaces
            re.sub(r"\s*-\s*", "-", case),  # no spaces
            re.sub(r"\s*-\s*", " — ", case),  # an em dash
            "  " + case.replace(" ", "  ") + " ",
            case.replace(" ", "\n", 1),  # broken over lines in a table cell
        }
    return sorted(out)


def read_in_all_variants(text: str, plan_year: int | None) -> list[DeadlineRule]:
    rules = [parse_deadline(v, plan_year=plan_year) for v in variants(text)]
    for variant, rule in zip(variants(text), rules):
        assert rule.text == variant
    return rules


def semantics(rule: DeadlineRule) -> tuple:
    """What a rule means, apart from its raw text."""
    return (
        rule.kind, rule.every, rule.on, rule.month, rule.day, rule.year_offset,
        tuple(semantics(part) for part in rule.also),
    )  # fmt: skip


# --- ranges and bare years: once, at the end -------------------------------------------

RANGE_CASES = [
    # text, plan_year, due
    ("Năm 2025 - 2026", None, date(2026, 12, 31)),
    ("Năm 2025-2030", None, date(2030, 12, 31)),
    ("2026-2030", None, date(2030, 12, 31)),
    ("2026 - 2030", None, date(2030, 12, 31)),
    ("2025 - 2035", None, date(2035, 12, 31)),
    ("Giai đoạn 2026-2030 và những năm tiếp theo", None, date(2030, 12, 31)),
    ("Giai đoạn 2021 - 2025", None, date(2025, 12, 31)),
    ("Từ năm 2025 đến năm 2030", None, date(2030, 12, 31)),
    ("từ năm 2025 đến hết năm 2027", None, date(2027, 12, 31)),
    ("Quý IV/2025 - Quý II/2026", None, date(2026, 6, 30)),
    ("Quý IV/2025 đến Quý I/2026", None, date(2026, 3, 31)),
    ("Quý III - IV/2025", None, date(2025, 12, 31)),
    ("Tháng 11 - 12/2025", None, date(2025, 12, 31)),
    ("Tháng 11 - tháng 12 năm 2025", None, date(2025, 12, 31)),
    ("Tháng 01 - 02/2024", None, date(2024, 2, 29)),
    ("Tháng 11/2025 - tháng 02/2026", None, date(2026, 2, 28)),
    ("Từ ngày 01/01/2026 đến ngày 31/3/2026", None, date(2026, 3, 31)),
    ("từ ngày 01/01/2026 đến hết ngày 31/3/2026", None, date(2026, 3, 31)),
    ("Từ ngày 01 tháng 01 năm 2026 đến ngày 31 tháng 3 năm 2026", None, date(2026, 3, 31)),
    ("Từ tháng 11/2025 đến 15/12/2025", None, date(2025, 12, 15)),
    # the year of a yearless end: the plan's, or the start's
    ("từ ngày 15/11 đến ngày 15/12", 2025, date(2025, 12, 15)),
    ("Từ tháng 10 đến tháng 12", 2026, date(2026, 12, 31)),
    ("Tháng 11 - 12", 2025, date(2025, 12, 31)),
    ("Quý I - II", 2026, date(2026, 6, 30)),
    ("Từ ngày 01/11/2025 đến ngày 15/12", None, date(2025, 12, 15)),
    ("Từ ngày 01/11/2025 đến ngày 15/02", None, date(2026, 2, 15)),  # the next year
    # a bare year
    ("2026", None, date(2026, 12, 31)),
    ("Năm 2026", None, date(2026, 12, 31)),
    ("Năm 2026.", None, date(2026, 12, 31)),
    ("Trong 2026", None, date(2026, 12, 31)),
    ("Từ nay đến năm 2030", None, date(2030, 12, 31)),
    ("Đến hết năm 2030", None, date(2030, 12, 31)),
]


@pytest.mark.parametrize(("text", "plan_year", "due"), RANGE_CASES)
def test_a_range_or_a_year_is_due_at_its_end(text: str, plan_year: int | None, due: date) -> None:
    for rule in read_in_all_variants(text, plan_year):
        assert (rule.kind, rule.on) == (ONCE, due), rule.text
        assert due_dates(rule, first_year=2025, last_year=2030) == [due]


def test_a_yearless_range_without_a_plan_year_recurs_at_its_end() -> None:
    rule = parse_deadline("từ ngày 15/11 đến ngày 15/12")
    assert (rule.kind, rule.every, rule.month, rule.day) == (RECURRING, Every.YEAR, 12, 15)


def test_two_dates_that_are_not_a_range_stay_unparsed() -> None:
    for text in ("Quý II/2021, Quý IV/2021", "30/4/2025 hoặc 31/5/2025", "Năm 2025, năm 2026"):
        assert parse_deadline(text).kind is UNPARSED


def test_a_bare_year_inside_a_sentence_is_no_deadline() -> None:
    # only a whole-phrase year is read bare: a title's "Luật Đất đai 2024" is no due date
    assert parse_deadline("Triển khai Luật Đất đai 2024").kind is UNPARSED


# --- events: windows that end at or count from an event --------------------------------

EVENT_CASES = [
    "trong thời hạn 10 ngày kể từ ngày nhận Kế hoạch này",
    "Trong thời hạn 30 ngày làm việc kể từ ngày Kế hoạch được ban hành",
    "trong vòng 15 ngày kể từ ngày ký",
    "chậm nhất 05 ngày làm việc sau khi kết thúc đợt kiểm tra",
    "Trong thời hạn 10 ngày",
    "Từ tháng 11/2025 đến khi kết thúc Tổng kiểm kê",
    "Từ tháng 10/2025 đến khi kết thúc kiểm kê",
    "Từ ngày 01/12/2025 cho đến khi hoàn thành",
    "khi Bộ Y tế có văn bản triển khai",
    "(khi Bộ Y tế có văn bản triển khai)",
    "khi Bộ Công an triển khai",
    "khi Tổng Liên đoàn Lao động Việt Nam triển khai thực hiện",
    "khi Chính phủ và các Bộ, ngành ban hành các văn bản quy định chi tiết, hướng dẫn thi hành",
    "Khi có phát sinh.",
    "Triển khai ngay khi Bộ Tư pháp có văn bản hướng dẫn",
    "Khi có yêu cầu",
]


@pytest.mark.parametrize("text", EVENT_CASES)
def test_windows_bound_to_an_event_have_no_date(text: str) -> None:
    for rule in read_in_all_variants(text, 2025):
        assert rule.kind is EVENT, rule.text
        assert due_dates(rule, first_year=2025, last_year=2030) == []


# --- ongoing: no due date -------------------------------------------------------------------

NONE_CASES = [
    "Thường xuyên",
    "Thường xuyên, hằng năm",
    "Thực hiện thường xuyên hằng năm",
    "Từ 01/7/2025",
    "Từ ngày 01/7/2025",
    "Kể từ ngày 01/01/2026",
    "Bắt đầu từ tháng 7/2025",
    "Từ năm 2026",
    "Từ 2026",
    "Từ Quý III/2025",
    "Từ ngày 15/11",
    "Năm 2025 và các năm tiếp theo",
    "Năm 2026 và những năm tiếp theo",
    "Từ năm 2025 trở đi",
]


@pytest.mark.parametrize("text", NONE_CASES)
def test_a_start_without_an_end_and_continuous_work_are_ongoing(text: str) -> None:
    for rule in read_in_all_variants(text, 2025):
        assert rule.kind is NONE, rule.text


def test_tu_is_from_only_when_written_so() -> None:
    # "…44-KH/TU ngày 14/12/2017" (TU = Tỉnh ủy) cut out of a citation is a date, not a start;
    # "Tư" is no "từ" either. Without any diacritics, "tu" is read as "từ".
    assert parse_deadline("TU ngày 14/12/2017").on == date(2017, 12, 14)
    assert parse_deadline("Tư ngày 14/12/2017").on == date(2017, 12, 14)
    assert parse_deadline("tu ngay 01/7/2025").kind is NONE
    assert parse_deadline("TỪ NGÀY 01/7/2025").kind is NONE
    # the same once "hoặc khi có yêu cầu" (dropped as adding no date) stands next to it
    assert parse_deadline("TU ngày 14/12/2017 hoặc khi có yêu cầu").on == date(2017, 12, 14)
    assert parse_deadline("Từ 01/7/2025 hoặc khi có yêu cầu").kind is NONE


# --- several dates in one schedule ------------------------------------------------------------

SON_LA = (
    "Định kỳ hàng tháng (trước ngày 16 hàng tháng), 6 tháng (trước ngày 16/6), "
    "tổng kết năm (trước ngày 20/11 hàng năm)"
)


def _yearly_dates(first: int, last: int, *days: tuple[int, int]) -> list[date]:
    return sorted(date(y, m, d) for y in range(first, last + 1) for m, d in days)


SCHEDULE_CASES = [
    # text, due dates over 2026–2027 (no issue date)
    ("định kỳ trước ngày 01/6 và 15/11 hằng năm", _yearly_dates(2026, 2027, (6, 1), (11, 15))),
    ("trước ngày 01 tháng 6 và ngày 15 tháng 11 hằng năm", _yearly_dates(2026, 2027, (6, 1), (11, 15))),
    ("6 tháng, hằng năm", _yearly_dates(2026, 2027, (6, 30), (12, 31))),
    ("Báo cáo định kỳ 6 tháng, hằng năm", _yearly_dates(2026, 2027, (6, 30), (12, 31))),
    ("định kỳ 6 tháng", _yearly_dates(2026, 2027, (6, 30), (12, 31))),
    ("Tháng 6 và tháng 12 hằng năm", _yearly_dates(2026, 2027, (6, 30), (12, 31))),
    (
        "Báo cáo 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12)",
        _yearly_dates(2026, 2027, (6, 15), (12, 15)),
    ),
    (SON_LA, sorted([date(y, m, 16) for y in (2026, 2027) for m in range(1, 13)]
                    + [date(2026, 11, 20), date(2027, 11, 20)])),
    (
        "hằng quý (trước ngày 15 của tháng cuối quý), tổng kết năm trước ngày 30/11 hằng năm",
        sorted([date(y, m, 15) for y in (2026, 2027) for m in (3, 6, 9, 12)]
               + [date(2026, 11, 30), date(2027, 11, 30)]),
    ),
    # "(hoặc) khi có yêu cầu", "đột xuất" next to a schedule add no date
    ("Định kỳ hằng quý hoặc khi có yêu cầu", _yearly_dates(2026, 2027, (3, 31), (6, 30), (9, 30), (12, 31))),
    ("Hằng năm (trước ngày 15/12) hoặc đột xuất khi có yêu cầu", _yearly_dates(2026, 2027, (12, 15))),
    ("Hằng năm và đột xuất theo yêu cầu của UBND tỉnh", _yearly_dates(2026, 2027, (12, 31))),
    ("Hằng năm hoặc khi cần thiết", _yearly_dates(2026, 2027, (12, 31))),
    ("Hằng quý và đột xuất khi có phát sinh", _yearly_dates(2026, 2027, (3, 31), (6, 30), (9, 30), (12, 31))),
    ("Báo cáo sơ kết 6 tháng, tổng kết năm", _yearly_dates(2026, 2027, (6, 30), (12, 31))),
    ("Quý I - II hằng năm", _yearly_dates(2026, 2027, (6, 30))),
    ("trước ngày 15 hằng tháng", [date(y, m, 15) for y in (2026, 2027) for m in range(1, 13)]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "dates"), SCHEDULE_CASES)
def test_a_schedule_yields_the_union_of_its_dates(text: str, dates: list[date]) -> None:
    for rule in read_in_all_variants(text, None):
        assert rule.kind is RECURRING, rule.text
        assert due_dates(rule, first_year=2026, last_year=2027) == dates, rule.text
        assert all(part.kind is RECURRING and part.text == "" for part in rule.also)
    assert parse_deadline(text, plan_year=2026).kind is RECURRING  # a plan year changes nothing


def test_son_la_schedule_over_its_plan() -> None:
    """The Sơn La plan (2026–2030, issued 25/11/2025): the 16th of every month and 20/11."""
    rule = parse_deadline(SON_LA)
    dates = due_dates(rule, first_year=2026, last_year=2030, not_before=date(2025, 11, 25))
    assert len(dates) == 65
    assert date(2028, 11, 20) in dates and date(2028, 6, 16) in dates
    # 16/6 is already one of the monthly dates: the stored rule does not repeat it
    assert [(p.every, p.month, p.day) for p in rule.also] == [(Every.YEAR, 11, 20)]


def test_a_continuous_duty_with_a_reporting_cycle_keeps_the_cycle() -> None:
    rule = parse_deadline("Thường xuyên, định kỳ hằng quý báo cáo về Sở Tài chính")
    assert (rule.kind, rule.every) == (RECURRING, Every.QUARTER)


# --- properties ---------------------------------------------------------------------------------

DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


def _written(day: date, form: int, pad: bool) -> str:
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if pad else (str(day.day), str(day.month))
    return [
        f"{d}/{m}/{day.year}",
        f"{d}-{m}-{day.year}",
        f"{d}.{m}.{day.year}",
        f"{d} / {m} / {day.year}",
        f"ngày {d} tháng {m} năm {day.year}",
    ][form]


_FORMS = st.integers(min_value=0, max_value=4)
_LEADS = st.sampled_from(["", "trước ", "Trước ngày ", "hoàn thành trước ngày ", "Chậm nhất ngày ",
                          "đến ngày ", "Hạn: "])  # fmt: skip
_CASE = st.sampled_from([str, str.upper, strip_marks, lambda t: strip_marks(t).upper()])


@given(day=DATES, form=_FORMS, pad=st.booleans(), lead=_LEADS, case=_CASE)
def test_any_date_in_any_form_reads_as_itself(day: date, form: int, pad: bool, lead, case) -> None:
    text = case(lead + _written(day, form, pad))
    rule = parse_deadline(text, plan_year=2030)
    assert (rule.kind, rule.on) == (ONCE, day), text


@given(
    start=DATES, length=st.integers(min_value=0, max_value=800),
    forms=st.tuples(_FORMS, _FORMS), pad=st.booleans(), case=_CASE,
    joiner=st.sampled_from([" đến ", " đến hết ", " - ", " – ", " tới ", " đến ngày "]),
)  # fmt: skip
def test_any_date_range_is_due_at_its_end(start, length, forms, pad, case, joiner) -> None:
    end = min(start + timedelta(days=length), date(2099, 12, 31))
    text = case("Từ ngày " + _written(start, forms[0], pad) + joiner + _written(end, forms[1], pad))
    rule = parse_deadline(text)
    assert (rule.kind, rule.on) == (ONCE, end), text


@given(
    first=st.integers(min_value=1990, max_value=2090), span=st.integers(min_value=1, max_value=9),
    lead=st.sampled_from(["", "Năm ", "Giai đoạn ", "Từ năm ", "giai đoạn "]),
    joiner=st.sampled_from(["-", " - ", " – ", " đến ", " đến năm ", " đến hết năm "]), case=_CASE,
)  # fmt: skip
def test_any_year_range_is_due_at_the_end_of_its_last_year(first, span, lead, joiner, case) -> None:
    text = case(f"{lead}{first}{joiner}{first + span}")
    rule = parse_deadline(text)
    assert (rule.kind, rule.on) == (ONCE, date(first + span, 12, 31)), text


_ROMAN = ["I", "II", "III", "IV"]


@given(
    year=st.integers(min_value=1990, max_value=2090), q1=st.integers(1, 4), q2=st.integers(1, 4),
    next_year=st.booleans(), roman=st.booleans(), case=_CASE,
)  # fmt: skip
def test_any_quarter_range_is_due_at_the_end_of_the_later(year, q1, q2, next_year, roman, case) -> None:
    end_year = year + 1 if next_year else year
    if not next_year and q2 < q1:
        q1, q2 = q2, q1
    name = (lambda q: _ROMAN[q - 1]) if roman else str
    text = case(f"Quý {name(q1)}/{year} - Quý {name(q2)}/{end_year}")
    rule = parse_deadline(text)
    month = 3 * q2
    assert rule.on == date(end_year, month, 31 if month in (3, 12) else 30), text


@given(year=st.integers(min_value=1990, max_value=2090), m1=st.integers(1, 12), m2=st.integers(1, 12),
       joiner=st.sampled_from([" - ", "-", " đến ", " đến tháng ", " - tháng "]), case=_CASE)  # fmt: skip
def test_any_month_range_with_one_year_is_due_at_the_last_month_end(year, m1, m2, joiner, case) -> None:
    m1, m2 = min(m1, m2), max(m1, m2)
    text = case(f"Tháng {m1}{joiner}{m2}/{year}")
    rule = parse_deadline(text)
    nxt = date(year + (m2 == 12), m2 % 12 + 1, 1)
    assert (rule.kind, rule.on) == (ONCE, nxt - timedelta(days=1)), text


_ANCHORS = st.lists(
    st.tuples(st.integers(1, 12), st.integers(1, 28)), min_size=1, max_size=4, unique=True
)


@given(anchors=_ANCHORS, every=st.sampled_from(["hằng năm", "hàng năm", "HANG NAM"]),
       first=st.integers(2000, 2090), years=st.integers(0, 5))  # fmt: skip
def test_several_yearly_dates_each_come_every_year(anchors, every, first, years) -> None:
    written = " và ".join(f"{d:02d}/{m}" for m, d in anchors)
    rule = parse_deadline(f"định kỳ trước ngày {written} {every}")
    assert rule.kind is RECURRING
    dates = due_dates(rule, first_year=first, last_year=first + years)
    assert dates == sorted(date(y, m, d) for y in range(first, first + years + 1) for m, d in anchors)
    # the union of the parts, each read on its own
    parts = [due_dates(p, first_year=first, last_year=first + years) for p in (rule, *rule.also)]
    assert dates == sorted({d for part in parts for d in part})


# --- storage ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [SON_LA, "định kỳ trước ngày 01/6 và 15/11 hằng năm", "6 tháng, hằng năm"])
def test_a_schedule_round_trips_through_storage(text: str) -> None:
    rule = parse_deadline(text)
    assert rule.also
    stored = json.loads(json.dumps(deadline_to_json(rule), ensure_ascii=False))
    assert "also" in stored
    back = deadline_from_json(stored)
    assert back == rule
    assert due_dates(back, first_year=2026, last_year=2030) == due_dates(rule, first_year=2026, last_year=2030)


def test_a_single_rule_is_stored_as_before_the_parts_existed() -> None:
    """A rule without parts writes no "also" key (re-imports of plans stored earlier see no
    change), and a dict stored before the key existed still loads."""
    rule = parse_deadline("trước ngày 20 hằng tháng")
    assert "also" not in deadline_to_json(rule)
    old = {"text": "Quý II hằng năm", "kind": "recurring", "every": "year", "on": None,
           "month": 6, "day": None, "year_offset": 0, "event": None}  # fmt: skip
    loaded = deadline_from_json(old)
    assert loaded.also == ()
    assert semantics(loaded) == semantics(parse_deadline("Quý II hằng năm"))
    assert deadline_to_json(loaded) == old


@pytest.mark.parametrize(
    "also",
    [
        "not a list",
        [1],
        [{"text": "", "kind": "once", "on": "2026-01-01"}],
        [{"text": "", "kind": "recurring", "every": "year", "month": 13}],
    ],
)
def test_malformed_parts_are_rejected(also) -> None:
    data = {"text": "x", "kind": "recurring", "every": "month", "also": also}
    with pytest.raises(ValueError):
        DeadlineRule.from_dict(data)
