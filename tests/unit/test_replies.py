"""The reply parser (bot.domain.replies): a table of real-style replies, with and without
diacritics, misspelt, abbreviated; then properties that hold for any text at all."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import replies
from bot.domain.replies import (
    AskReason,
    ChangeKind,
    Chatter,
    ContextItem,
    DocumentRef,
    Intent,
    Planned,
    ReplyOutcome,
    Target,
    parse_extension_answer,
    parse_note_answer,
    parse_reply,
    parse_status,
    resolve_new_due,
)

TODAY = date(2025, 6, 23)  # Monday, the DESIGN.md examples' day
# A reminder numbering three items; their task codes (NV41…NV43) differ from their numbers.
THREE = (
    ContextItem(1, 101, 41, date(2025, 1, 30), "Xây dựng Kế hoạch kiểm tra, rà soát văn bản QPPL"),
    ContextItem(2, 102, 42, date(2025, 6, 30), "Số hoá dữ liệu hộ tịch"),
    ContextItem(3, 103, 43, date(2025, 7, 15), "Đề án vị trí việc làm"),
)
ONE = (ContextItem(1, 201, 51, date(2025, 6, 30), "Báo cáo CCHC 6 tháng"),)
CONTEXTS = {0: (), 1: ONE, 3: THREE}


def summary(outcome: ReplyOutcome) -> str:
    """'2:progress 60 | 3:blocked', 'ASK which_item', 'CHAT thanks' — what the table compares."""
    parts = []
    for change in outcome.changes:
        target = change.target
        ref = str(target.item.number) if target.item else f"NV{target.task_id}"
        i = change.intent
        text = f"{ref}:{i.kind.value}"
        if i.progress is not None:
            text += f" {i.progress}"
        if i.new_due_on:
            text += f" due={i.new_due_on.isoformat()}"
        if i.extend_by:
            text += f" rel={i.extend_by[0]} {i.extend_by[1]}"
        if i.bad_date:
            text += f" bad={i.bad_date}"
        parts.append(text)
    for question in outcome.questions:
        kinds = sorted({o.intent.kind.value for o in question.options})
        parts.append(f"ASK {question.reason.value}" + (f"[{','.join(kinds)}]" if question.reason is AskReason.CONFLICT else ""))
    if outcome.chatter is not None:
        parts.append(f"CHAT {outcome.chatter.value}")
    return " | ".join(parts)


ALL3 = "1:done | 2:done | 3:done"

PHRASES: list[tuple[str, int, str]] = [
    # --- done ---------------------------------------------------------------------------
    ("1 xong", 3, "1:done"),
    ("xong", 1, "1:done"),
    ("xong roi", 1, "1:done"),
    ("Xong rồi ạ", 1, "1:done"),
    ("da hoan thanh", 1, "1:done"),
    ("Đã hoàn thành", 1, "1:done"),
    ("hoàn thành 100%", 1, "1:done"),
    ("hoan thanh 100%", 1, "1:done"),
    ("HOÀN THÀNH", 1, "1:done"),
    ("hoàn thàh rồi", 1, "1:done"),  # one letter missing
    ("hoanthanh", 1, "1:done"),  # no space
    ("hoàn thàng", 1, "1:done"),  # typo
    ("hòan thành", 1, "1:done"),  # old-style tone placement
    ("hoa\u0300n tha\u0300nh", 1, "1:done"),  # NFD, as pasted from Word
    ("xog", 1, "1:done"),
    ("xongg roi a", 1, "1:done"),
    ("da hoan tat", 1, "1:done"),
    ("done", 1, "1:done"),
    ("✅", 1, "1:done"),
    ("ok xong", 1, "1:done"),
    ("nv 2 xong", 3, "2:done"),
    ("nv2 xong", 3, "2:done"),
    ("NV2 đã hoàn thành", 3, "2:done"),
    ("nhiệm vụ 3 đã hoàn thành", 3, "3:done"),
    ("#3 xong", 3, "3:done"),
    ("số 2 xong", 3, "2:done"),
    ("mục 1 hoàn thành", 3, "1:done"),
    ("1 - xong", 3, "1:done"),
    ("3: xong", 3, "3:done"),
    ("2,3 xong", 3, "2:done | 3:done"),
    ("2, 3 xong", 3, "2:done | 3:done"),
    ("2 và 3 đã xong", 3, "2:done | 3:done"),
    ("1-3 xong", 3, ALL3),
    ("tất cả đã xong", 3, ALL3),
    ("xong hết rồi", 3, ALL3),
    ("1 xong 2 xong 3 xong", 3, ALL3),
    ("xong nv 3", 3, "3:done"),
    ("NV42 xong", 3, "2:done"),  # the task code of item 2
    ("NV99 xong", 3, "NV99:done"),  # a task code not in this message: looked up by the caller
    ("đã hoàn thành, đã ban hành QĐ số 123/QĐ-UBND ngày 10/6/2025", 1, "1:done"),
    ("Đã ban hành Kế hoạch số 45/KH-UBND", 1, "1:done"),
    ("2 văn bản đã ban hành", 1, "1:done"),  # "2 văn bản" is a quantity, not task 2
    ("Hoàn thành đúng hạn", 1, "1:done"),
    # --- in progress --------------------------------------------------------------------
    ("nv2 đang làm 60%", 3, "2:progress 60"),
    ("dang lam 60 %", 1, "1:progress 60"),
    ("đang làm 60 phần trăm", 1, "1:progress 60"),
    ("đang thực hiện", 1, "1:progress"),
    ("dang thuc hien", 1, "1:progress"),
    ("đang triển khai", 1, "1:progress"),
    ("đang soạn thảo dự thảo kế hoạch", 1, "1:progress"),
    ("đg làm", 1, "1:progress"),
    ("tiến độ 80", 1, "1:progress 80"),
    ("làm được 30%", 1, "1:progress 30"),
    ("đạt khoảng 70%", 1, "1:progress 70"),
    ("được một nửa rồi", 1, "1:progress 50"),
    ("đã hoàn thành 80% khối lượng", 1, "1:progress 80"),
    ("xong 80%", 1, "1:progress 80"),
    ("sắp xong rồi", 1, "1:progress"),
    ("gần xong", 1, "1:progress"),
    ("dự kiến hoàn thành 30/6", 1, "1:progress"),
    ("sẽ hoàn thành trước 30/6", 1, "1:progress"),
    ("chua xong, dang lam 70%", 1, "1:progress 70"),
    ("2) đang làm 20%", 3, "2:progress 20"),
    ("1 xong, 2 đang làm 50%", 3, "1:done | 2:progress 50"),
    ("nv2 đã xong. nv3 đang làm 40%", 3, "2:done | 3:progress 40"),
    ("2 xong 3 đang làm", 3, "2:done | 3:progress"),
    ("đang làm, không có vướng mắc gì", 1, "1:progress"),
    ("k có vướng mắc, đang làm 50%", 1, "1:progress 50"),
    ("không cần gia hạn, sẽ xong đúng hạn", 1, "1:progress"),
    ("dang cho UBND tinh phe duyet", 1, "1:progress"),
    ("3: đang làm 60%, dự kiến xong 30/7", 3, "3:progress 60"),
    ("60%", 1, "1:progress 60"),
    ("0%", 1, "1:progress 0"),
    ("2 đang làm được 2 tuần", 3, "2:progress"),  # "2 tuần" is a duration, not a percentage
    # --- blocked ------------------------------------------------------------------------
    ("3: vướng mắc do chưa có hướng dẫn của Bộ", 3, "3:blocked"),
    ("vuong mac: thieu kinh phi", 1, "1:blocked"),
    ("vướng mắc", 1, "1:blocked"),
    ("vuong mat", 1, "1:blocked"),
    ("bị vướng do chưa có kinh phí", 1, "1:blocked"),
    ("gặp khó khăn về nhân lực", 1, "1:blocked"),
    ("khó khăn: chưa bố trí được kinh phí", 1, "1:blocked"),
    ("chưa có hướng dẫn của Bộ nên chưa làm được", 1, "1:blocked"),
    ("đang làm nhưng vướng mắc do thiếu kinh phí", 1, "1:blocked"),
    ("đang chờ hướng dẫn của Bộ", 1, "1:blocked"),
    ("không thể thực hiện vì sáp nhập đơn vị", 1, "1:blocked"),
    ("vuong mac, moi lam duoc 40% do thieu kinh phi", 1, "1:blocked 40"),
    ("1 xong; 2 vướng mắc do thiếu người", 3, "1:done | 2:blocked"),
    ("2, 3: vướng mắc do thiếu kinh phí", 3, "2:blocked | 3:blocked"),
    # --- extension requests --------------------------------------------------------------
    ("xin gia hạn nhiệm vụ 2 đến 15/12", 3, "2:extension due=2025-12-15"),
    ("xin gia han den 15/12/2025 vi cho huong dan cua Bo", 1, "1:extension due=2025-12-15"),
    ("Xin gia hạn đến ngày 31 tháng 12 năm 2025 vì chờ Nghị định hướng dẫn", 1, "1:extension due=2025-12-31"),
    ("đề nghị gia hạn đến 30.9.2025", 1, "1:extension due=2025-09-30"),
    ("xin gia han den 15-12-2025 do thieu nhan luc", 1, "1:extension due=2025-12-15"),
    ("Xin gia hạn sang 15/1/2026 vì Bộ chưa ban hành hướng dẫn", 1, "1:extension due=2026-01-15"),
    ("xin lui han den cuoi nam", 1, "1:extension due=2025-12-31"),
    ("xin lùi hạn đến cuối tháng 9", 1, "1:extension due=2025-09-30"),
    ("gia hạn đến hết quý III vì chờ ý kiến Bộ Nội vụ", 1, "1:extension due=2025-09-30"),
    ("xin gia hạn thêm 2 tuần", 1, "1:extension rel=2 week"),
    ("xin gia hạn 1 tháng", 1, "1:extension rel=1 month"),
    ("xin gia hạn", 1, "1:extension"),  # no date: the caller asks for it
    ("xin gia han den 1/1/2020", 1, "1:extension bad=1/1/2020"),  # past: asked again
    ("xin gia hạn đến 15/12 được không ạ?", 1, "1:extension due=2025-12-15"),  # a polite request
    ("xin gia hạn đến 15/3", 1, "1:extension due=2026-03-15"),  # the next 15/3
    ("xin thêm thời gian đến 30/9 vì đang chờ ý kiến", 1, "1:extension due=2025-09-30"),
    ("xin gia hang den 30/9", 1, "1:extension due=2025-09-30"),  # typo
    # --- not sure: ask ------------------------------------------------------------------
    ("xong", 3, "ASK which_item"),
    ("5 xong", 3, "ASK unknown_number"),
    ("2", 3, "ASK which_status"),
    ("chưa làm được", 1, "ASK conflict[blocked,progress]"),
    ("chưa xong", 1, "ASK conflict[blocked,progress]"),
    ("đã xong dự thảo, đang trình UBND tỉnh", 1, "ASK conflict[done,progress]"),
    ("đã trình UBND tỉnh", 1, "ASK conflict[done,progress]"),
    ("QĐ số 45/QĐ-UBND ngày 2/6/2025", 1, "ASK conflict[done,note]"),
    ("hoàn thành 120%", 1, "ASK which_status"),
    ("xong", 0, "ASK no_items"),
    ("1 xong, 7 đang làm", 3, "1:done | ASK unknown_number"),
    # --- notes ----------------------------------------------------------------------------
    ("ghi chú: đã gửi dự thảo xin ý kiến các sở", 1, "1:note"),
    ("2 gc: chờ Sở Tài chính thẩm định", 3, "2:note"),
    # --- not a status ---------------------------------------------------------------------
    ("ok", 1, "CHAT ack"),
    ("ok ạ", 1, "CHAT ack"),
    ("cảm ơn", 1, "CHAT thanks"),
    ("cam on bot nhieu", 1, "CHAT thanks"),
    ("dạ em cảm ơn ạ", 1, "CHAT thanks"),
    ("thanks", 1, "CHAT thanks"),
    ("👍", 1, "CHAT ack"),
    ("vâng", 1, "CHAT ack"),
    ("đã nhận", 1, "CHAT ack"),
    ("xin chào", 1, "CHAT greeting"),
    ("nhiệm vụ này là gì?", 1, "CHAT question"),
    ("cho em hỏi hạn nhiệm vụ này là khi nào", 1, "CHAT question"),
    ("đã được gia hạn chưa?", 1, "CHAT question"),
    ("nv2 là gì?", 3, "CHAT question"),
    ("abc xyz", 1, "CHAT unclear"),
    ("đã đăng tải lên cổng thông tin", 1, "CHAT unclear"),  # đăng (post) is not đang
    ("", 1, "CHAT empty"),
    ("   ", 3, "CHAT empty"),
]


def test_the_table_is_large() -> None:
    assert len(PHRASES) >= 80
    assert sum(1 for text, _, _ in PHRASES if text and text == replies._fold(text)) >= 25  # no diacritics


@pytest.mark.parametrize(("text", "context", "expected"), PHRASES, ids=[f"{i:03d}" for i in range(len(PHRASES))])
def test_phrase(text: str, context: int, expected: str) -> None:
    assert summary(parse_reply(text, CONTEXTS[context], today=TODAY)) == expected


# --- what is kept: notes, reasons, documents ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("3: vướng mắc do chưa có hướng dẫn của Bộ", "chưa có hướng dẫn của Bộ"),
        ("vuong mac: thieu kinh phi", "thieu kinh phi"),
        ("gặp khó khăn về nhân lực", "gặp khó khăn về nhân lực"),
        ("chưa có hướng dẫn của Bộ nên chưa làm được", "chưa có hướng dẫn của Bộ nên chưa làm được"),
        ("vướng mắc", None),
        ("xin gia han den 15/12/2025 vi cho huong dan cua Bo", "cho huong dan cua Bo"),
        ("Xin gia hạn đến ngày 31 tháng 12 năm 2025 vì chờ Nghị định hướng dẫn", "chờ Nghị định hướng dẫn"),
        ("xin gia hạn nhiệm vụ 2 đến 15/12", None),
        ("đã hoàn thành, đã ban hành QĐ số 123/QĐ-UBND ngày 10/6/2025", "đã ban hành QĐ số 123/QĐ-UBND ngày 10/6/2025"),
        ("xong rồi, cảm ơn bot nhé", None),
        ("1 xong", None),
        ("nv2 đang làm 60%", None),
        ("đã xong phần dự thảo", "phần dự thảo"),
        ("ghi chú: đã gửi dự thảo xin ý kiến các sở", "đã gửi dự thảo xin ý kiến các sở"),
        ("đang làm 60%, dự kiến xong 30/7", "dự kiến xong 30/7"),
    ],
)
def test_notes_keep_the_words_as_typed(text: str, note: str | None) -> None:
    outcome = parse_reply(text, THREE if text[:1].isdigit() or text.startswith(("nv", "xin gia hạn nhiệm")) else ONE, today=TODAY)
    assert outcome.changes, summary(outcome)
    assert outcome.changes[0].intent.note == note


def test_document_numbers_and_dates_are_kept_as_evidence() -> None:
    [change] = parse_reply("đã hoàn thành, đã ban hành QĐ số 123/QĐ-UBND ngày 10/6/2025", ONE, today=TODAY).changes
    assert change.intent.documents == (
        DocumentRef("QĐ số 123/QĐ-UBND ngày 10/6/2025", "Quyết định", "123/QĐ-UBND", date(2025, 6, 10)),
    )
    [change] = parse_reply("xong, Kế hoạch 45/2025/KH-UBND và công văn số 12/STP-VP ngày 2 tháng 6 năm 2025", ONE, today=TODAY).changes
    assert [(d.kind, d.number, d.issued_on) for d in change.intent.documents] == [
        ("Kế hoạch", "45/2025/KH-UBND", None),
        ("Công văn", "12/STP-VP", date(2025, 6, 2)),
    ]
    # A document's number and date never become a task number, a percentage or an extension date.
    assert summary(parse_reply("2 xong theo QĐ 15/QĐ-UBND ngày 1/12/2025", THREE, today=TODAY)) == "2:done"


def test_a_number_that_is_an_item_number_and_another_items_task_code_is_asked() -> None:
    items = (ContextItem(1, 301, 2, None), ContextItem(2, 302, 77, None))
    outcome = parse_reply("nv2 xong", items, today=TODAY)
    [question] = outcome.questions
    assert question.reason is AskReason.AMBIGUOUS_NUMBER and question.detail == "2"
    assert [o.target.item.due_item_id for o in question.options] == [302, 301]  # type: ignore[union-attr]
    assert summary(parse_reply("2 xong", items, today=TODAY)) == "2:done"  # a bare number is the list number


def test_questions_offer_the_candidates_with_the_status_understood() -> None:
    [question] = parse_reply("đang làm 40%", THREE, today=TODAY).questions
    assert question.reason is AskReason.WHICH_ITEM and question.text == "đang làm 40%"
    assert [(o.target.item.number, o.intent.kind, o.intent.progress) for o in question.options] == [  # type: ignore[union-attr]
        (1, ChangeKind.PROGRESS, 40), (2, ChangeKind.PROGRESS, 40), (3, ChangeKind.PROGRESS, 40),
    ]
    [question] = parse_reply("2", THREE, today=TODAY).questions
    assert [o.intent.kind for o in question.options] == [
        ChangeKind.DONE, ChangeKind.PROGRESS, ChangeKind.BLOCKED, ChangeKind.EXTENSION,
    ]


def test_capnhat_reads_the_status_words_for_a_known_target() -> None:
    target = Target(task_id=12)
    assert summary(parse_status("đang làm 60% đã trình dự thảo", target, today=TODAY)) == "NV12:progress 60"
    assert summary(parse_status("2 văn bản đã ban hành", target, today=TODAY)) == "NV12:done"
    assert summary(parse_status("vướng mắc do thiếu kinh phí", target, today=TODAY)) == "NV12:blocked"
    assert summary(parse_status("cảm ơn", target, today=TODAY)) == "CHAT thanks"


def test_answers_to_the_bots_questions() -> None:
    answer = parse_extension_answer("15/12/2025 vì chờ hướng dẫn của Bộ", today=TODAY)
    assert (answer.new_due_on, answer.reason) == (date(2025, 12, 15), "chờ hướng dẫn của Bộ")
    answer = parse_extension_answer("den cuoi thang 10 do thieu kinh phi", today=TODAY)
    assert (answer.new_due_on, answer.reason) == (date(2025, 10, 31), "thieu kinh phi")
    assert parse_extension_answer("thêm 2 tuần", today=TODAY).extend_by == (2, "week")
    assert parse_extension_answer("31/2/2026", today=TODAY).bad_date == "31/2/2026"
    assert parse_extension_answer("sớm nhất có thể", today=TODAY).new_due_on is None
    assert parse_note_answer("  Vướng mắc: chưa có   hướng dẫn của Bộ. ") == "chưa có hướng dẫn của Bộ"
    assert parse_note_answer("   ") is None


def test_relative_extensions_count_from_the_due_date() -> None:
    intent = Intent(ChangeKind.EXTENSION, extend_by=(2, "week"))
    assert resolve_new_due(intent, due_on=date(2025, 6, 30), today=TODAY) == date(2025, 7, 14)
    # Overdue already: from today.
    assert resolve_new_due(intent, due_on=date(2025, 1, 30), today=TODAY) == date(2025, 7, 7)
    month = Intent(ChangeKind.EXTENSION, extend_by=(1, "month"))
    assert resolve_new_due(month, due_on=date(2025, 1, 31), today=date(2025, 1, 2)) == date(2025, 2, 28)


def test_planned_changes_survive_a_json_round_trip() -> None:
    [change] = parse_reply(
        "nv2 xin gia hạn đến 15/12/2025 vì chờ QĐ số 9/QĐ-BNV ngày 1/6/2025", THREE, today=TODAY
    ).changes
    assert Planned.from_json(change.as_json()) == change
    code = Planned(Target(task_id=7), Intent(ChangeKind.PROGRESS, progress=25))
    assert Planned.from_json(code.as_json()) == code


# --- properties ------------------------------------------------------------------------------

WORDS = [
    "1", "2", "3", "12", "nv", "nv2", "NV42", "#", "số", "xong", "hoàn thành", "hoan thanh", "đang làm",
    "60%", "60 %", "100%", "150%", "0%", "vướng mắc", "do", "vì", "xin gia hạn", "đến", "thêm 2 tuần",
    "15/12", "15/12/2025", "31/2", "QĐ số 123/QĐ-UBND", "ngày", "10/6/2025", ",", ";", "\n", ".", "?", "-",
    "chưa", "không", "cảm ơn", "ok", "tất cả", "hết", "1-30", "999999999", "quý IV/2025", "cuối tháng 13",
    "ghi chú:", "đã trình", "sắp xong", "✅", "👍", "\u0301", "Đ", "ß", "İ", "\u200b", "%", "/", "x" * 40,
]


@st.composite
def reply_texts(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=20)))


def _check(outcome: ReplyOutcome, items: tuple[ContextItem, ...]) -> None:
    assert isinstance(outcome, ReplyOutcome)
    assert not (outcome.chatter and (outcome.changes or outcome.questions))
    known = {i.due_item_id for i in items}
    for planned in [*outcome.changes, *(o for q in outcome.questions for o in q.options)]:
        target = planned.target
        assert (target.item is None) != (target.task_id is None)
        if target.item is not None:
            assert target.item.due_item_id in known
        intent = planned.intent
        assert intent.progress is None or 0 <= intent.progress <= 100
        assert intent.new_due_on is None or intent.new_due_on >= TODAY
        assert intent.note is None or (intent.note.strip() and len(intent.note) <= replies.MAX_NOTE)
        assert Planned.from_json(planned.as_json()) == planned


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300), size=st.sampled_from([0, 1, 3]))
def test_never_raises_on_arbitrary_text(text: str, size: int) -> None:
    items = CONTEXTS[size]
    # The internal parser itself, not only the public wrapper that would swallow an error.
    _check(replies._parse(text, items, today=TODAY, forced=None), items)
    _check(parse_reply(text, items, today=TODAY), items)
    parse_extension_answer(text, today=TODAY)
    parse_note_answer(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=reply_texts(), size=st.sampled_from([0, 1, 3]))
def test_never_raises_on_reply_like_text(text: str, size: int) -> None:
    items = CONTEXTS[size]
    _check(replies._parse(text, items, today=TODAY, forced=None), items)
    _check(replies._parse(text, (), today=TODAY, forced=Target(task_id=5)), ())


@settings(max_examples=200, deadline=None)
@given(number=st.integers(1, 3), percent=st.integers(0, 99), accents=st.booleans())
def test_numbered_progress_in_any_spelling(number: int, percent: int, accents: bool) -> None:
    text = f"{number} đang làm {percent}%" if accents else f"{number} dang lam {percent} %"
    assert summary(parse_reply(text, THREE, today=TODAY)) == f"{number}:progress {percent}"


def test_long_text_is_fast_enough() -> None:
    import time

    start = time.perf_counter()
    for text in ("xong, 2 xong, " * 60, "1, " * 500, "đang " * 300, "a" * 5000):
        parse_reply(text, THREE, today=TODAY)
    assert time.perf_counter() - start < 1.0


def test_chatter_values() -> None:
    assert {c.value for c in Chatter} >= {"thanks", "ack", "greeting", "question", "unclear", "empty"}


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("từ ngày 20/12/2021", date(2021, 12, 20)),
        ("tu 20/12/2021", date(2021, 12, 20)),
        ("ngày 15/3", date(2026, 3, 15)),  # no year: the latest 15/3 not after today
        ("15/12", date(2025, 12, 15)),
        ("hôm 5/12.", date(2026, 12, 5)),
        ("vào ngày 31/2", None),
        ("có biên bản kèm theo", None),
    ],
)
def test_completion_date_of_a_done(note, expected):
    from bot.domain.replies import completion_date

    assert completion_date(Intent(ChangeKind.DONE, note=note), date(2026, 12, 6)) == expected
    assert completion_date(Intent(ChangeKind.PROGRESS, note=note), date(2026, 12, 6)) is None
