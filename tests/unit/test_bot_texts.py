"""The bot's pure parts: task codes, the flood throttle, menus, texts Telegram must accept."""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.domain.codes import parse_task_code, task_code  # noqa: E402
from bot.domain.status import ChangeSource, Status  # noqa: E402
from bot.domain.throttle import Throttle, Verdict, combine  # noqa: E402
from bot.render import admin as admin_render  # noqa: E402
from bot.render import help as texts  # noqa: E402
from bot.render.task import HistoryView, ItemView, TaskView, task_messages  # noqa: E402
from tests.fakebot.formatting import parse_text, utf16_len  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def telegram_accepts(html: str) -> str:
    """The text as Telegram shows it; raises if Telegram would reject the HTML or the length."""
    parsed = parse_text(html, "HTML")
    assert 1 <= utf16_len(parsed.text) <= 4096
    return parsed.text


@pytest.mark.parametrize(
    ("typed", "task_id"),
    [("NV123", 123), ("nv123", 123), ("NV 12", 12), ("nv-7", 7), ("#45", 45), ("45", 45), (" NV0012 ", 12)],
)
def test_task_codes_are_read_as_typed(typed: str, task_id: int) -> None:
    assert parse_task_code(typed) == task_id


@pytest.mark.parametrize("typed", ["", "NV", "abc", "NV12a", "1.2", "NV0", "-3", "II.3.a"])
def test_what_is_not_a_task_code(typed: str) -> None:
    assert parse_task_code(typed) is None


def test_task_code_round_trip() -> None:
    assert task_code(123) == "NV123" and parse_task_code(task_code(123)) == 123


def test_throttle_allows_a_burst_then_warns_once_then_refills() -> None:
    throttle = Throttle(capacity=3, rate=0.5)
    verdicts = [throttle.check("u", 0.0) for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.REFUSE_AND_WARN] + [Verdict.REFUSE] * 2
    assert throttle.check("u", 1.0) is Verdict.REFUSE  # half a token back: still out
    assert throttle.check("u", 2.0) is Verdict.ALLOW  # one token back
    assert throttle.check("u", 2.0) is Verdict.REFUSE_AND_WARN  # a new flood: a new warning
    assert throttle.check("other", 2.0) is Verdict.ALLOW  # keys are independent


def test_throttle_forgets_idle_keys_when_full() -> None:
    throttle = Throttle(capacity=1, rate=1.0, max_keys=2)
    throttle.check("a", 0.0)
    throttle.check("b", 0.0)
    assert throttle.check("c", 10.0) is Verdict.ALLOW
    assert len(throttle._buckets) <= 2


def test_combined_verdict_is_the_strictest() -> None:
    assert combine(Verdict.ALLOW, Verdict.ALLOW) is Verdict.ALLOW
    assert combine(Verdict.ALLOW, Verdict.REFUSE) is Verdict.REFUSE
    assert combine(Verdict.REFUSE, Verdict.REFUSE_AND_WARN) is Verdict.REFUSE_AND_WARN


@pytest.mark.parametrize("menu", [texts.MENU_PRIVATE, texts.MENU_GROUP, texts.MENU_ADMIN])
def test_menus_are_valid_bot_commands(menu: tuple[tuple[str, str], ...]) -> None:
    assert len(menu) <= 100
    for command, description in menu:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command)
        assert 1 <= len(description) <= 256


def test_every_fixed_text_is_html_telegram_accepts() -> None:
    fixed = [
        texts.stranger_text(), texts.unbound_group_text(is_admin=True), texts.admin_private_text(),
        texts.agency_group_text("Sở <A> & B", is_admin=True),
        texts.leaders_group_text("Phú Thọ", is_admin=True), texts.NOT_REGISTERED_GROUP,
        texts.ADMIN_ONLY, texts.NO_PROVINCE, texts.usage("dangky", "Sở <X>"),
        admin_render.bound_agency("Sở <A> & B"), admin_render.invite_link("Sở & <B>", "https://t.me/x?startgroup=a_b-c", 7),
        admin_render.suggest_agency("<script>", any_suggestion=False), admin_render.choose_agency("a & b"),
        admin_render.request_for_admin(agency_name="A&B", chat_title="<nhóm>", chat_id=-1, user_name="X<Y>", user_id=1),
        admin_render.request_sent("A & B", reached=False), admin_render.leaders_need_province(["phu-tho"]),
        admin_render.upload_bad_type("a<b>.xlsx"), admin_render.upload_too_big("a&b.txt", 20),
        admin_render.upload_error("Lỗi <đọc> & ghi"),
    ]
    shown = [telegram_accepts(t) for t in fixed]
    assert "Sở <A> & B" in shown[3] and "<script>" in shown[11]
    # Short answers (callback alerts) are plain text within Telegram's 200 characters.
    for alert in (texts.BAD_BUTTON, texts.NOT_ALLOWED_BUTTON, texts.STALE, texts.THROTTLED, texts.APOLOGY):
        assert len(alert) <= 200 and "<" not in alert


def _view(**changes: object) -> TaskView:
    values: dict[str, object] = dict(
        task_id=7, ref="12", plan_number="1782/KH-UBND", plan_title="Kế hoạch CCHC <2021–2025>",
        section="I. Cải cách thể chế & pháp luật", title="Rà soát văn bản <QPPL> & hệ thống hóa",
        product="Báo cáo", lead=("Sở Tư pháp",), support=("Sở Nội vụ", "Sở TT&TT (nay: Sở KH&CN)"),
        lead_text=None, support_text=None, deadline_text="Quý II hằng năm", needs_review=("event_deadline",),
        removed=False,
        items=(
            ItemView(date(2025, 6, 30), date(2025, 6, 30), "Sở Tư pháp", Status.IN_PROGRESS, 60, None),
            ItemView(date(2024, 6, 30), date(2024, 6, 30), "Sở Tư pháp", Status.DONE, 100, date(2024, 7, 2)),
        ),
        history=(
            HistoryView(datetime(2025, 6, 20, 2, 5, tzinfo=UTC), date(2025, 6, 30), "Sở Tư pháp",
                        ChangeSource.CHAT, Status.IN_PROGRESS, 60, "Nguyễn Văn A", "đang trình <ký>"),
        ),
        own_items_only=True,
    )
    values.update(changes)
    return TaskView(**values)  # type: ignore[arg-type]


def test_task_detail_reads_vietnamese_and_escapes_plan_text() -> None:
    [html] = task_messages(_view(), date(2025, 6, 23), TZ)
    text = telegram_accepts(html)
    assert text.startswith("📌 Nhiệm vụ NV7\nKế hoạch 1782/KH-UBND — Kế hoạch CCHC <2021–2025>")
    assert "Nội dung: Rà soát văn bản <QPPL> & hệ thống hóa" in text
    assert "Cơ quan phối hợp: Sở Nội vụ, Sở TT&TT (nay: Sở KH&CN)" in text
    assert "• 30/06/2025 — Sở Tư pháp: Đang thực hiện trong hạn · Đang thực hiện 60% · còn 7 ngày" in text
    assert "• 30/06/2024 — Sở Tư pháp: Đã hoàn thành quá hạn · xong 02/07/2024" in text
    assert "⚠️ Cần rà soát: chờ sự kiện, cần đặt hạn" in text
    assert "• 09:05 20/06/2025 — hạn 30/06/2025: Đang thực hiện 60% — đang trình <ký> (Nguyễn Văn A)" in text


def test_a_supporting_agency_sees_no_items_and_a_huge_history_is_cut() -> None:
    many = tuple(
        HistoryView(datetime(2025, 1, 1, tzinfo=UTC), date(2025, 6, 30), "X", ChangeSource.ADMIN,
                    Status.BLOCKED, None, None, "ghi chú " * 60)
        for _ in range(40)
    )
    pages = task_messages(_view(items=(), history=many), date(2025, 6, 23), TZ)
    texts_shown = [telegram_accepts(p) for p in pages]
    joined = "\n".join(texts_shown)
    assert "Cơ quan tham gia phối hợp; tiến độ do cơ quan chủ trì báo cáo." in joined
    assert "25 cập nhật cũ hơn không hiển thị." in joined
    assert joined.count("(quản trị viên)") == 15


def test_agencies_list_and_upload_summary_split_safely() -> None:
    rows = [
        admin_render.AgencyRow(f"Sở số {i} <&>", True, None, i % 3, i, (f"Nhóm {i} & <b>",) if i % 2 else ())
        for i in range(300)
    ]
    pages = admin_render.agencies_messages("Phú Thọ", rows)
    assert len(pages) > 1
    shown = "\n".join(telegram_accepts(p) for p in pages)
    assert "Nhóm 299 & <b>" in shown and "Chưa có nhóm đăng ký" in shown


def test_database_urls_are_logged_without_the_password() -> None:
    from bot.app import mask_url

    masked = mask_url("postgresql+asyncpg://nhacviec:s3cr%40t@db.example:5432/nv")
    assert "s3cr" not in masked and masked.startswith("postgresql+asyncpg://nhacviec:***@db.example")
    assert mask_url("sqlite+aiosqlite:///nhacviec.db") == "sqlite+aiosqlite:///nhacviec.db"


def test_callback_data_stays_within_64_bytes_for_the_largest_ids() -> None:
    from bot.domain.callbacks import BindAgency, PageKind
    from handlers.common import choice_markup, page_markup

    markups = [
        page_markup(PageKind.TIENDO, 999_999_999, 5000, 9999),
        choice_markup(BindAgency, [(999_999_999, "Sở " * 50)]),
    ]
    data = [b.callback_data for m in markups if m for row in m.inline_keyboard for b in row]
    assert data and all(len(str(d).encode()) <= 64 for d in data)
    assert all(len(b.text) <= 60 for row in markups[1].inline_keyboard for b in row)
