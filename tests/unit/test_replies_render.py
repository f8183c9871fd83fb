"""Texts of status updates (bot.render.status): the DESIGN.md confirmation, categories computed
at completion, and everything people or plans wrote is HTML-escaped."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.replies import AskReason, ChangeKind, DocumentRef, Intent
from bot.domain.status import Status
from bot.render import status as texts

TODAY = date(2025, 6, 23)
AT = datetime(2025, 6, 23, 9, 12)


def view(**overrides: object) -> texts.ItemView:
    values: dict[str, object] = dict(
        due_item_id=7, task_id=12, title="Số hoá dữ liệu hộ tịch <CSDL> & dân cư", plan_number="18/KH-UBND",
        agency_name="Sở Tư pháp", due_on=date(2025, 6, 30), original_due_on=date(2025, 6, 30),
        status=Status.IN_PROGRESS, progress=60, completed_on=None, number=2,
    )
    values.update(overrides)
    return texts.ItemView(**values)  # type: ignore[arg-type]


def test_the_confirmation_reads_like_the_design_example() -> None:
    line = texts.recorded_line(texts.RecordedView(view(), ChangeKind.PROGRESS, "Nguyễn Văn A", AT), TODAY)
    assert line.splitlines()[0] == "✅ Đã ghi nhận: nhiệm vụ 2 — Đang thực hiện 60% (Nguyễn Văn A, 09:12 23/06/2025)."
    assert line.splitlines()[1] == "<i>NV12 · Số hoá dữ liệu hộ tịch &lt;CSDL&gt; &amp; dân cư</i>"


def test_done_is_on_time_or_late_as_of_the_completion_date() -> None:
    on_time = view(status=Status.DONE, progress=100, completed_on=date(2025, 6, 30))
    late = view(status=Status.DONE, progress=100, completed_on=date(2025, 7, 1))
    assert "— Đã hoàn thành đúng hạn (" in texts.recorded_line(texts.RecordedView(on_time, ChangeKind.DONE, "A", AT), TODAY)
    assert "— Đã hoàn thành quá hạn (" in texts.recorded_line(texts.RecordedView(late, ChangeKind.DONE, "A", AT), TODAY)
    assert texts.state_phrase(Status.EXTENDED, 0, due_on=date(2025, 12, 15), completed_on=None, today=TODAY) == (
        "Đã gia hạn đến 15/12/2025"
    )


def test_people_and_plans_are_escaped_everywhere() -> None:
    evil = "<b>x</b> & <script>"
    recorded = texts.RecordedView(
        view(title=evil), ChangeKind.BLOCKED, evil, AT, note=evil,
        documents=(DocumentRef(evil, "Quyết định", "1/<QĐ>", date(2025, 6, 1)),), files=(evil,),
    )
    text = texts.recorded_text([recorded], TODAY, refused=[evil])
    extension = texts.extension_request_text(
        texts.ExtensionView(1, view(title=evil, agency_name=evil), date(2025, 6, 30), date(2025, 12, 1), evil, evil, AT)
    )
    for html in (
        text, extension, texts.card_text(view(title=evil, agency_name=evil, plan_number=evil), TODAY),
        texts.question_text(AskReason.WHICH_ITEM, evil, evil), texts.which_item_for_file_text(evil),
        texts.undone_text(view(title=evil), TODAY, actor=evil, at=AT),
    ):
        assert "<script>" not in html and "<b>x</b>" not in html
        assert "&lt;script&gt;" in html or "&lt;b&gt;" in html


def test_button_labels_are_short() -> None:
    label = texts.option_label("2. " + "x" * 28, Intent(ChangeKind.EXTENSION, new_due_on=date(2025, 12, 15)), show_ref=True, show_kind=True)
    assert label == f"📅 2. {'x' * 28}: Xin gia hạn đến 15/12/2025" and len(label) <= 64
    assert texts.undo_label(3, several=True) == "↩️ Hoàn tác 3"
    assert texts.undo_label(3, several=False) == "↩️ Hoàn tác"
