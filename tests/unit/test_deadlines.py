"""The Vietnamese deadline grammar and the due dates it yields."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.deadlines import DeadlineKind, DeadlineRule, Every, due_dates, parse_deadline

ONCE, RECURRING, EVENT, NONE, UNPARSED = (
    DeadlineKind.ONCE,
    DeadlineKind.RECURRING,
    DeadlineKind.EVENT,
    DeadlineKind.NONE,
    DeadlineKind.UNPARSED,
)

# --- one-off dates -----------------------------------------------------------------------

ONCE_CASES = [
    ("30/6/2025", date(2025, 6, 30)),
    ("30-6-2025", date(2025, 6, 30)),
    ("30.6.2025", date(2025, 6, 30)),
    ("30/06/2025", date(2025, 6, 30)),
    ("30 / 6 / 2025", date(2025, 6, 30)),
    ("ngày 30 tháng 6 năm 2025", date(2025, 6, 30)),
    ("ngày 15 tháng 6 năm 2025", date(2025, 6, 15)),  # not "end of June 2025"
    ("trước ngày 31/3/2025", date(2025, 3, 31)),
    ("hoàn thành trước ngày 31/3/2025", date(2025, 3, 31)),
    ("đến ngày 30/6/2025", date(2025, 6, 30)),
    ("Đến ngày 30/6/2025, tất cả lãnh đạo, cán bộ, công chức phải xử lý hồ sơ", date(2025, 6, 30)),
    ("hết tháng 6/2025", date(2025, 6, 30)),
    ("Hết tháng 6/2025, 100% hồ sơ giải quyết TTHC được gắn định danh cá nhân", date(2025, 6, 30)),
    ("trước 15/12/2024", date(2024, 12, 15)),
    ("tháng 11/2021", date(2021, 11, 30)),
    ("Hoàn thành trong tháng 11/2021", date(2021, 11, 30)),
    ("Hoàn thành trong tháng\n11/2021", date(2021, 11, 30)),
    ("tháng 2/2024", date(2024, 2, 29)),  # leap year
    ("tháng 2 năm 2025", date(2025, 2, 28)),
    ("quý II/2021", date(2021, 6, 30)),
    ("quý I/2022", date(2022, 3, 31)),
    ("quý IV/2021", date(2021, 12, 31)),
    ("Ban hành Đề án trong quý II/2021", date(2021, 6, 30)),
    ("Ban hành Đề án trong quý\nII/2021", date(2021, 6, 30)),
    ("Ban hành trong Quý II/2021", date(2021, 6, 30)),
    ("Quý III năm 2025", date(2025, 9, 30)),
    ("quý 3/2025", date(2025, 9, 30)),
    ("6 tháng đầu năm 2025", date(2025, 6, 30)),
    ("6 tháng cuối năm 2025", date(2025, 12, 31)),
    ("Trong năm 2021", date(2021, 12, 31)),
    ("Thực hiện trong năm 2021", date(2021, 12, 31)),
    ("năm 2025", date(2025, 12, 31)),
    ("Phấn đấu đến hết năm 2025", date(2025, 12, 31)),
    # the most precise expression wins
    ("Trong quý II/2021, trước ngày 15/6/2021", date(2021, 6, 15)),
    # a cited document's date is not the deadline
    ("Hoàn thành trước 31/12/2021 (Nghị định số 107/2020/NĐ- CP ngày 14/9/2020)", date(2021, 12, 31)),
    # without diacritics, upper case
    ("quy II/2021", date(2021, 6, 30)),
    ("HOÀN THÀNH TRONG QUÝ II/2021", date(2021, 6, 30)),
    ("truoc ngay 31/3/2025", date(2025, 3, 31)),
]


@pytest.mark.parametrize(("text", "on"), ONCE_CASES)
def test_one_off_dates(text: str, on: date) -> None:
    rule = parse_deadline(text)
    assert (rule.kind, rule.on) == (ONCE, on)
    assert rule.text == text


@pytest.mark.parametrize(("text", "on"), ONCE_CASES[:12])
def test_a_year_in_the_text_beats_the_plan_year(text: str, on: date) -> None:
    assert parse_deadline(text, plan_year=2030).on == on


# --- yearless anchors: plan year or yearly -------------------------------------------------

YEARLESS_CASES = [
    # text, (month, day) of the yearly rule, date with plan_year=2025
    ("hết tháng 6", (6, None), date(2025, 6, 30)),
    ("trước ngày 15/12", (12, 15), date(2025, 12, 15)),
    ("trước ngày 15 tháng 12", (12, 15), date(2025, 12, 15)),
    ("trong tháng 2", (2, None), date(2025, 2, 28)),
    ("Quý II", (6, None), date(2025, 6, 30)),
    ("6 tháng đầu năm", (6, None), date(2025, 6, 30)),
    ("cuối năm", (12, None), date(2025, 12, 31)),
]


@pytest.mark.parametrize(("text", "anchor", "on"), YEARLESS_CASES)
def test_yearless_anchor_uses_the_plan_year(text: str, anchor: tuple, on: date) -> None:
    rule = parse_deadline(text, plan_year=2025)
    assert (rule.kind, rule.on) == (ONCE, on)


@pytest.mark.parametrize(("text", "anchor", "on"), YEARLESS_CASES)
def test_yearless_anchor_without_plan_year_recurs_yearly(text: str, anchor: tuple, on: date) -> None:
    rule = parse_deadline(text)
    assert (rule.kind, rule.every, (rule.month, rule.day)) == (RECURRING, Every.YEAR, anchor)
    assert rule.on is None


# --- yearly recurrence ----------------------------------------------------------------------

YEARLY_CASES = [
    # text, month, day, year_offset
    ("Quý II hằng năm", 6, None, 0),
    ("Quý II hàng năm", 6, None, 0),
    ("quy II hang nam", 6, None, 0),
    ("QUÝ II HẰNG NĂM", 6, None, 0),
    ("Quý 2 hằng năm", 6, None, 0),
    ("Quý IV hằng năm", 12, None, 0),
    ("Ban hành Kế hoạch trong quý II hằng năm", 6, None, 0),
    ("Ban hành Kế hoạch trong quý\nII hằng năm", 6, None, 0),
    ("trong tháng 01 của năm Kế hoạch", 1, None, 0),
    ("Ban hành Kế hoạch trong tháng\n01 của năm Kế hoạch", 1, None, 0),
    ("tháng 1 của năm KH", 1, None, 0),
    ("Ban hành trong tháng 1 của\nnăm Kế hoạch.", 1, None, 0),
    ("Kế hoạch ban hành tháng 1 của\nnăm Kế hoạch", 1, None, 0),
    ("trước ngày 30/01 của năm Kế hoạch", 1, 30, 0),
    ("Ban hành Kế hoạch trước ngày\n30/01 của năm Kế hoạch", 1, 30, 0),
    ("Ban hành trong tháng 12 năm trước liền kề của năm KH", 12, None, -1),
    ("Ban hành Kế hoạch trong tháng\n12 năm trước liền kề của năm KH", 12, None, -1),
    ("Thực hiện hằng năm", 12, None, 0),
    ("Báo cáo kết quả hằng năm", 12, None, 0),
    ("Báo cáo kết quả thực hiện hằng\nnăm", 12, None, 0),
    ("Thực hiện trong năm Kế hoạch", 12, None, 0),
    ("hàng năm", 12, None, 0),
    ("Hằng năm", 12, None, 0),
    ("6 tháng đầu năm hằng năm", 6, None, 0),
    ("trước ngày 15/12 hằng năm", 12, 15, 0),
    ("trước ngày 29/02 hằng năm", 2, 29, 0),
    ("quý I năm sau", 3, None, 1),
    ("Theo dõi, báo cáo hằng năm", 12, None, 0),  # "theo dõi" is no event cue
]


@pytest.mark.parametrize(("text", "month", "day", "offset"), YEARLY_CASES)
def test_yearly_recurrence(text: str, month: int, day: int | None, offset: int) -> None:
    for plan_year in (None, 2021):  # a recurrence stays one with a plan year
        rule = parse_deadline(text, plan_year=plan_year)
        assert rule.kind is RECURRING
        assert rule.every is Every.YEAR
        assert (rule.month, rule.day, rule.year_offset) == (month, day, offset)


# --- monthly and quarterly recurrence --------------------------------------------------------

PERIODIC_CASES = [
    ("Định kỳ hàng tháng", Every.MONTH, None),
    ("hằng tháng", Every.MONTH, None),
    ("hàng tháng", Every.MONTH, None),
    ("DINH KY HANG THANG", Every.MONTH, None),
    ("mỗi tháng", Every.MONTH, None),
    ("trước ngày 20 hằng tháng", Every.MONTH, 20),
    ("Ngày 25 hàng tháng", Every.MONTH, 25),
    (
        "Định kỳ hàng tháng báo cáo kết quả thực hiện Kế hoạch này trong báo cáo tình hình",
        Every.MONTH,
        None,
    ),
    ("hàng quý", Every.QUARTER, None),
    ("định kỳ hằng quý", Every.QUARTER, None),
    ("Báo cáo hằng quý, hằng năm", Every.QUARTER, None),
    ("trước ngày 15 hằng quý", Every.QUARTER, 15),
]


@pytest.mark.parametrize(("text", "every", "day"), PERIODIC_CASES)
def test_monthly_and_quarterly(text: str, every: Every, day: int | None) -> None:
    rule = parse_deadline(text, plan_year=2025)
    assert (rule.kind, rule.every, rule.day) == (RECURRING, every, day)


# --- events ----------------------------------------------------------------------------------

EVENT_CASES = [
    ("Ngay sau khi Chỉ số PCI của tỉnh được công bố", None),
    ("Ngay sau khi Chỉ số PCI của tỉnh\nđược công bố", "Ngay sau khi Chỉ số PCI của tỉnh được công bố"),
    (
        "Ngay sau khi các Chỉ số PAR-\nINDEX; PAPI; SIPAS của tỉnh được công bố",
        "Ngay sau khi các Chỉ số PAR- INDEX; PAPI; SIPAS của tỉnh được công bố",
    ),
    ("Sau khi có hướng dẫn của\nTrung ương", "Sau khi có hướng dẫn của Trung ương"),
    ("Theo lộ trình của Đề án", None),
    ("Theo Kế hoạch hằng năm của Bộ Nội vụ", None),  # the event wins over "hằng năm"
    ("khi có yêu cầu", None),
    ("theo chỉ đạo của UBND tỉnh", None),
    ("ngay sau khi được Chính phủ phê duyệt", None),
    ("NGAY SAU KHI DUOC CHINH PHU PHE DUYET", None),
    (
        "Tổ chức triển khai Nghị quyết của Chính phủ ngay sau khi được Chính phủ phê duyệt.",
        None,
    ),
    ("Hằng năm, theo chỉ đạo của UBND tỉnh", None),
    ("Theo Quyết định số 468/QĐ-TTg ngày 27/3/2021 của Thủ tướng", None),
]


@pytest.mark.parametrize(("text", "event"), EVENT_CASES)
def test_events(text: str, event: str | None) -> None:
    rule = parse_deadline(text, plan_year=2021)
    assert rule.kind is EVENT
    assert rule.event == (event or text)
    assert rule.text == text
    assert (rule.on, rule.every) == (None, None)


# --- no deadline, unparsed -------------------------------------------------------------------

@pytest.mark.parametrize(
    "text", ["", "   ", "\n", "-", "…", "Thường xuyên", "Thường xuyên, liên tục", "THUONG XUYEN"]
)
def test_no_deadline(text: str) -> None:
    assert parse_deadline(text).kind is NONE


UNPARSED_CASES = [
    "31/2/2025",  # impossible date
    "ngày 31 tháng 2 năm 2025",  # impossible, and not read as "end of February"
    "30/4/2025 hoặc 31/5/2025",  # two different dates
    "Quý II/2021 và Quý IV/2021",
    "Quý II hằng năm, từ năm 2022",  # a year next to a recurrence
    "Tháng 6 và tháng 12",  # two anchors without a recurrence word
    "Hoàn thành trong 6 tháng",  # a duration from an unstated start, not a half-year period
    "trước ngày 31/2 hằng năm",
    "thng 6/2016",  # legacy font with dropped letters (Sóc Trăng)
    "Báo cáo kết quả năm",
    "Kịp thời",
    "Sở Nội vụ",
]


@pytest.mark.parametrize("text", UNPARSED_CASES)
def test_unparsed_keeps_the_raw_text(text: str) -> None:
    rule = parse_deadline(text, plan_year=2025)
    assert rule.kind is UNPARSED
    assert rule.text == text
    assert (rule.on, rule.every, rule.event) == (None, None, None)


def test_nfd_input_reads_like_nfc() -> None:
    for text in ("Quý II hằng năm", "Hoàn thành trong tháng 11/2021", "Ngay sau khi được công bố"):
        nfd = unicodedata.normalize("NFD", text)
        assert nfd != text
        nfd_rule, nfc_rule = parse_deadline(nfd), parse_deadline(text)
        assert nfd_rule.text == nfd  # the raw text is kept as given
        assert (nfd_rule.kind, nfd_rule.on, nfd_rule.month) == (
            nfc_rule.kind,
            nfc_rule.on,
            nfc_rule.month,
        )


def test_odd_spacing() -> None:
    rule = parse_deadline("  Ban hành Đề án   trong \t quý\r\nII /2021 ")
    assert (rule.kind, rule.on) == (ONCE, date(2021, 6, 30))


def test_phu_tho_appendix_deadlines_all_parse() -> None:
    """Every deadline cell of the Phú Thọ appendix gives a rule other than UNPARSED."""
    column = [
        "Ban hành trong tháng 12 năm\ntrước liền kề của năm KH",
        "Quý II hằng năm",
        "Theo Kế hoạch hằng năm của Bộ\nNội vụ",
        "Ngay sau khi Chỉ số PCI của tỉnh\nđược công bố",
        "Ban hành Đề án trong quý\nII/2021",
        "Ban hành Kế hoạch trong quý\nII hằng năm",
        "Thực hiện hằng năm",
        "Ban hành Kế hoạch trước ngày\n30/01 của năm Kế hoạch",
        "Trong năm 2021",
        "Theo lộ trình của Đề án",
        "Báo cáo kết quả hằng năm",
        "Sau khi có hướng dẫn của\nTrung ương",
        "Kế hoạch ban hành tháng 1 của\nnăm Kế hoạch",
        "Hoàn thành trong tháng\n11/2021",
    ]
    kinds = [parse_deadline(text, plan_year=None).kind for text in column]
    assert UNPARSED not in kinds
    assert kinds.count(EVENT) == 4


# --- never raises --------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    list("0123456789/.-, \n\tivxIVX")
    + ["quý ", "quy ", "tháng ", "thang ", "ngày ", "ngay ", "năm ", "nam ", "hằng ", "hàng ",
       "trước ", "sau khi ", "Kế hoạch ", "KH ", "đầu ", "cuối ", "trước liền kề ", "thường xuyên ",
       "2021", "2025", "9999", "31", "29/02", "\u0301", "Đ", "từ ", "đến ", " - ", "– ", "khi ",
       "6 tháng", "các năm tiếp theo", "hoặc khi có yêu cầu", "kể từ ", "TU "]
)  # fmt: skip


@given(
    text=st.one_of(st.text(), st.lists(_ALPHABET, max_size=25).map("".join)),
    plan_year=st.one_of(st.none(), st.integers(min_value=-5, max_value=10_050)),
)
def test_parse_never_raises(text: str, plan_year: int | None) -> None:
    rule = parse_deadline(text, plan_year=plan_year)
    assert rule.text == text
    assert isinstance(rule.kind, DeadlineKind)
    if rule.kind is ONCE:
        assert rule.on is not None
    if rule.kind is RECURRING:
        assert rule.every is not None
        assert due_dates(rule, first_year=2021, last_year=2022) is not None
    assert DeadlineRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


# --- due dates: the DESIGN examples (plan 2021–2025 issued 05/05/2021) ----------------------

PLAN = {"first_year": 2021, "last_year": 2025, "not_before": date(2021, 5, 5)}


def _due(text: str) -> list[date]:
    return due_dates(parse_deadline(text), **PLAN)


def test_design_once_quarter() -> None:
    assert _due("Ban hành Đề án trong quý II/2021") == [date(2021, 6, 30)]


def test_design_once_month() -> None:
    assert _due("Hoàn thành trong tháng 11/2021") == [date(2021, 11, 30)]


def test_design_quarter_ii_every_year() -> None:
    assert _due("Quý II hằng năm") == [date(y, 6, 30) for y in range(2021, 2026)]


def test_design_before_30_january_of_the_plan_year() -> None:
    # 30/01/2021 came before the plan was issued: dropped.
    assert _due("Ban hành Kế hoạch trước ngày 30/01 của năm Kế hoạch") == [
        date(y, 1, 30) for y in range(2022, 2026)
    ]


def test_design_december_of_the_previous_year() -> None:
    # 31/12/2020 (for plan year 2021) came before the plan: dropped.
    assert _due("Ban hành trong tháng 12 năm trước liền kề của năm KH") == [
        date(y, 12, 31) for y in range(2021, 2025)
    ]


def test_design_within_the_plan_year() -> None:
    assert _due("Thực hiện trong năm Kế hoạch") == [date(y, 12, 31) for y in range(2021, 2026)]


def test_design_event_has_no_date() -> None:
    assert _due("Ngay sau khi Chỉ số PCI của tỉnh được công bố") == []


def test_once_is_kept_before_the_issue_date_and_outside_the_plan() -> None:
    rule = parse_deadline("trước 15/12/2019")
    assert due_dates(rule, **PLAN) == [date(2019, 12, 15)]


def test_quarterly_due_dates() -> None:
    rule = parse_deadline("hàng quý")
    assert due_dates(rule, first_year=2025, last_year=2025, not_before=date(2025, 3, 6)) == [
        date(2025, 3, 31),
        date(2025, 6, 30),
        date(2025, 9, 30),
        date(2025, 12, 31),
    ]
    day = parse_deadline("trước ngày 15 hằng quý")
    assert due_dates(day, first_year=2025, last_year=2025, not_before=date(2025, 4, 1)) == [
        date(2025, 6, 15),
        date(2025, 9, 15),
        date(2025, 12, 15),
    ]


def test_monthly_due_dates_end_of_month_and_given_day() -> None:
    dates = due_dates(parse_deadline("Định kỳ hàng tháng"), first_year=2024, last_year=2024)
    assert len(dates) == 12
    assert dates[0] == date(2024, 1, 31) and dates[1] == date(2024, 2, 29)
    assert dates[-1] == date(2024, 12, 31)

    issued = date(2025, 3, 6)
    day20 = due_dates(
        parse_deadline("trước ngày 20 hằng tháng"), first_year=2025, last_year=2025, not_before=issued
    )
    assert day20 == [date(2025, m, 20) for m in range(3, 13)]


def test_day_beyond_the_month_is_clamped() -> None:
    rule = DeadlineRule(text="ngày 31 hằng tháng", kind=RECURRING, every=Every.MONTH, day=31)
    dates = due_dates(rule, first_year=2025, last_year=2025)
    assert date(2025, 4, 30) in dates and date(2025, 2, 28) in dates
    leap = parse_deadline("trước ngày 29/02 hằng năm")
    assert due_dates(leap, first_year=2023, last_year=2024) == [date(2023, 2, 28), date(2024, 2, 29)]


def test_due_dates_are_sorted_and_unique() -> None:
    rule = parse_deadline("hằng tháng")
    dates = due_dates(rule, first_year=2021, last_year=2025)
    assert dates == sorted(set(dates)) and len(dates) == 60


@pytest.mark.parametrize("text", ["Thường xuyên", "", "Kịp thời", "Theo lộ trình của Đề án"])
def test_no_dates_for_event_none_unparsed(text: str) -> None:
    assert _due(text) == []


def test_plan_years_out_of_order() -> None:
    with pytest.raises(ValueError):
        due_dates(parse_deadline("hằng năm"), first_year=2025, last_year=2021)


# --- storage ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "Ban hành Đề án trong quý II/2021",
        "Ban hành trong tháng 12 năm trước liền kề của năm KH",
        "trước ngày 20 hằng tháng",
        "Ngay sau khi Chỉ số PCI của tỉnh\nđược công bố",
        "Thường xuyên",
        "thng 6/2016",
    ],
)
def test_json_round_trip(text: str) -> None:
    rule = parse_deadline(text)
    stored = json.dumps(rule.to_dict(), ensure_ascii=False)
    assert DeadlineRule.from_dict(json.loads(stored)) == rule


def test_dict_uses_iso_dates_and_enum_values() -> None:
    data = parse_deadline("quý II/2021").to_dict()
    assert data["on"] == "2021-06-30"
    assert data["kind"] == "once"
    yearly = parse_deadline("tháng 12 năm trước của năm KH").to_dict()
    assert (yearly["every"], yearly["month"], yearly["year_offset"]) == ("year", 12, -1)


@pytest.mark.parametrize(
    "data",
    [
        {"text": "x", "kind": "sometimes"},
        {"text": "x", "kind": "once"},
        {"text": "x", "kind": "once", "on": "30/06/2025"},
        {"text": "x", "kind": "recurring", "every": "year"},
        {"text": "x", "kind": "recurring", "every": "month", "day": 32},
    ],
)
def test_from_dict_rejects_malformed_data(data: dict) -> None:
    with pytest.raises(ValueError):
        DeadlineRule.from_dict(data)
