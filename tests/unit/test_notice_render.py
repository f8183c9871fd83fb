"""Notices rendered per channel (bot/render/notices.py): the same words, Zalo as plain text in
parts of at most 2,000 characters cut between words, e-mail as HTML and plain text."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.status import ChangeKind, Status
from bot.render.notices import change_notice, change_subject, notice_email, notice_zalo
from bot.render.status import ItemView, RecordedView
from bot.render.zalo import units

TODAY = date(2025, 6, 23)


def view(note: str, *, number: int | None = 3) -> RecordedView:
    item = ItemView(
        due_item_id=7, task_id=12, title="Rà soát thủ tục hành chính <nội bộ> & liên thông", plan_number="1782/KH-UBND",
        agency_name="Sở Tư pháp", due_on=date(2025, 6, 30), original_due_on=date(2025, 6, 30), status=Status.BLOCKED,
        progress=40, completed_on=None, number=number,
    )
    return RecordedView(item=item, kind=ChangeKind.BLOCKED, actor="Nguyễn Văn A", at=datetime(2025, 6, 23, 9, 12), note=note)


def test_a_long_notice_is_split_for_zalo_between_words_and_loses_nothing() -> None:
    words = [f"từ{i}" for i in range(1500)]
    html = change_notice([view(" ".join(words))], TODAY, channel="telegram")
    parts = notice_zalo(html)
    assert len(parts) >= 3 and all(units(p) <= 2000 for p in parts)
    joined = " ".join(parts)
    assert all(f" {w} " in f" {joined} " or joined.endswith(w) for w in words[::97])
    assert "<" not in joined.replace("<nội bộ>", "") and "&amp;" not in joined  # plain text, entities decoded
    assert "NV12" in parts[0] and "nhiệm vụ 3" not in parts[0]  # by code: the numbers were the reporter's


def test_the_mail_has_the_same_words_as_html_and_text() -> None:
    html = change_notice([view("chờ ý kiến <Bộ>")], TODAY, channel="zalo")
    mail = notice_email(html, subject=change_subject([view("x")]))
    assert mail.subject == "Cập nhật tiến độ NV12 — Sở Tư pháp"
    assert "chờ ý kiến &lt;Bộ&gt;" in mail.html and "chờ ý kiến <Bộ>" in mail.text
    assert "(qua Zalo)" in mail.text and "vui lòng không trả lời" in mail.text
