"""Plans sent to the bot as files: summary first, nothing stored until an admin confirms."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from bot.db.models import PendingUpload, Plan, Task
from bot.domain.kinds import FlowState
from bot.render import admin as admin_render
from bot.render import help as texts
from tests.e2e.conftest import ADMIN, ADMIN2, FOCAL, SAMPLE_PLAN, BotWorld


def make_plan_docx() -> bytes:
    """A small real Word plan (python-docx): a header table, a 7-column task table, a signature."""
    from docx import Document

    doc = Document()
    header = doc.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ"
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    header.cell(1, 0).text = "Số: 99/KH-UBND"
    header.cell(1, 1).text = "Phú Thọ, ngày 10 tháng 01 năm 2025"
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Chuyển đổi số trong cải cách hành chính tỉnh Phú Thọ năm 2025")
    rows = (
        ("STT", "Nội dung/ Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì tham mưu", "Cơ quan phối hợp",
         "Thời gian hoàn thành", "Ghi chú"),
        ("1", "Số hóa hồ sơ thủ tục hành chính <đợt 1> & đồng bộ dữ liệu", "Báo cáo", "Sở Tư pháp",
         "Sở Nội vụ", "Hoàn thành trước ngày 30/9/2025", ""),
        ("2", "Công bố Chỉ số cải cách hành chính", "Quyết định", "Sở Nội vụ", "",
         "Ngay sau khi Chỉ số PCI của tỉnh được công bố", ""),
    )
    table = doc.add_table(rows=len(rows), cols=7)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    doc.add_paragraph("Nguyễn Văn B")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


async def _upload(w: BotWorld, user: int, name: str, data: bytes) -> int:
    """Send a file; returns the id of the bot's "reading…" message once it holds the summary."""
    before = len(w.server.messages_in(user))
    w.server.send_document(user, user, name, data)
    [status] = (await w.server.wait_for_sent(user, before + 1))[before:]
    assert status.text == admin_render.READING
    await w.server.wait_for(
        lambda: w.text(user, status.message_id) != admin_render.READING
        or len(w.server.messages_in(user)) > before + 1,
        message="the summary never came",
    )
    return status.message_id


async def _counts(w: BotWorld) -> tuple[int, int]:
    async with w.sm() as s:
        plans = await s.scalar(select(func.count(Plan.id)))
        tasks = await s.scalar(select(func.count(Task.id)))
        return plans or 0, tasks or 0


def _buttons(w: BotWorld, chat_id: int, message_id: int) -> list[str]:
    message = w.server.message(chat_id, message_id)
    assert message is not None
    return [b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def test_a_word_plan_is_summarised_then_imported_on_confirmation(bot_world: BotWorld) -> None:
    w = bot_world
    before = await _counts(w)
    status_id = await _upload(w, ADMIN, "ke-hoach-99.docx", make_plan_docx())
    summary = w.text(ADMIN, status_id)
    assert summary.startswith("📄 Kế hoạch 99/KH-UBND")
    assert "2 nhiệm vụ" in summary and "1 nhiệm vụ cần rà soát" in summary
    assert "Mục 2: Công bố Chỉ số cải cách hành chính — Sở Nội vụ — chờ sự kiện, cần đặt hạn" in summary
    assert "Chưa lưu gì" in summary
    assert (ADMIN, "typing") in w.server.chat_actions
    assert await _counts(w) == before  # nothing stored yet
    async with w.sm() as s:
        pending = (await s.scalars(select(PendingUpload))).one()
        assert pending.state is FlowState.PENDING and pending.content and pending.file_id

    message, (ok, no) = w.buttons(ADMIN)
    assert message == status_id  # a one-part summary: the buttons are under it
    assert ok.startswith("up:ok:") and no.startswith("up:no:")
    sent = len(w.server.messages_in(ADMIN))
    await w.press(ADMIN, ADMIN, message, ok)
    [result] = (await w.server.wait_for_sent(ADMIN, sent + 1))[sent:]
    assert result.text == "✅ Đã nhập Kế hoạch 99/KH-UBND: 2 nhiệm vụ, 1 mốc thời hạn."
    assert _buttons(w, ADMIN, status_id) == []
    assert await _counts(w) == (before[0] + 1, before[1] + 2)

    # A repeated (stale) confirmation imports nothing and says so.
    await w.press(ADMIN, ADMIN, message, ok, strict=False)
    [again] = (await w.server.wait_for_sent(ADMIN, sent + 2))[sent + 1 :]
    assert again.text == admin_render.UPLOAD_STALE
    assert await _counts(w) == (before[0] + 1, before[1] + 2)


@pytest.mark.parametrize("bot_seed", [False])
async def test_a_text_plan_from_the_samples_is_imported(bot_world: BotWorld) -> None:
    w = bot_world
    status_id = await _upload(w, ADMIN, SAMPLE_PLAN.name, SAMPLE_PLAN.read_bytes())
    assert w.text(ADMIN, status_id).startswith("📄 Kế hoạch 1782/KH-UBND")
    # Under way on 23/06/2025 (2021–2025): the admin chooses from which day the bot follows it.
    assert "mốc thời hạn (18 cơ quan) đã qua trước hôm nay 23/06/2025" in w.text(ADMIN, status_id)
    sent = len(w.server.messages_in(ADMIN))
    message_id, (today, start, no) = w.buttons(ADMIN)
    assert today.startswith("uf:td:") and start.startswith("uf:all:") and no.startswith("up:no:")
    await w.press(ADMIN, ADMIN, message_id, start)  # from the plan's start: past dates overdue
    [result] = (await w.server.wait_for_sent(ADMIN, sent + 1))[sent:]
    assert result.text.startswith("✅ Đã nhập Kế hoạch 1782/KH-UBND: 39 nhiệm vụ")
    assert "mốc thời hạn đã qua" not in result.text
    assert await _counts(w) == (1, 39)
    # The plan's agencies can be bound now.
    [reply] = await w.send(-4_100_000_001, ADMIN, "/dangky Sở Tư pháp")
    assert "đã được đăng ký" in reply.text


async def test_cancel_stores_nothing(bot_world: BotWorld) -> None:
    w = bot_world
    before = await _counts(w)
    await _upload(w, ADMIN, "kh.docx", make_plan_docx())
    message_id, (_, no) = w.buttons(ADMIN)
    sent = len(w.server.messages_in(ADMIN))
    await w.press(ADMIN, ADMIN, message_id, no)
    [reply] = (await w.server.wait_for_sent(ADMIN, sent + 1))[sent:]
    assert reply.text == admin_render.UPLOAD_CANCELLED
    assert await _counts(w) == before
    async with w.sm() as s:
        row = (await s.scalars(select(PendingUpload))).one()
        assert row.state is FlowState.CANCELLED and row.content is None


async def test_uploads_from_non_admins_wrong_types_and_big_files_are_refused(bot_world: BotWorld) -> None:
    w = bot_world
    w.server.send_document(FOCAL, FOCAL, "kh.docx", make_plan_docx())
    [reply] = await w.server.wait_for_sent(FOCAL)
    assert reply.text == admin_render.UPLOAD_ADMIN_ONLY

    w.server.send_document(ADMIN, ADMIN, "bang.xlsx", b"PK\x03\x04")
    [reply] = await w.server.wait_for_sent(ADMIN)
    assert "chỉ nhận kế hoạch dạng .docx, .pdf hoặc .txt" in reply.text

    big = b"a" * (21 * 1024 * 1024)  # over MAX_UPLOAD_MB (20) but within what bots may download
    w.server.send_document(ADMIN, ADMIN, "to.txt", big)
    [_, reply] = await w.server.wait_for_sent(ADMIN, 2)
    assert reply.text == "Tệp “to.txt” quá lớn: chỉ nhận tệp tối đa 20 MB."
    async with w.sm() as s:
        assert (await s.scalars(select(PendingUpload))).all() == []


async def test_a_file_that_is_no_plan_is_explained_at_confirmation_and_not_stored(bot_world: BotWorld) -> None:
    w = bot_world
    status_id = await _upload(w, ADMIN, "ghichu.txt", "Ghi chú: họp giao ban thứ Hai.\n".encode())
    assert w.text(ADMIN, status_id).startswith("📄 Kế hoạch (không rõ số hiệu)")
    message_id, (ok, _) = w.buttons(ADMIN)
    sent = len(w.server.messages_in(ADMIN))
    await w.press(ADMIN, ADMIN, message_id, ok)
    [reply] = (await w.server.wait_for_sent(ADMIN, sent + 1))[sent:]
    assert reply.text.startswith("❌ Không tìm thấy số hiệu kế hoạch trong tệp “ghichu.txt”")
    assert await _counts(w) == (1, 39)
    async with w.sm() as s:  # rolled back: still pending, the admin may cancel it
        assert (await s.scalars(select(PendingUpload.state))).one() is FlowState.PENDING


@pytest.mark.parametrize("bot_settings_overrides", [{"province": None}])
async def test_a_reading_error_is_shown_in_vietnamese(bot_world: BotWorld) -> None:
    w = bot_world
    status_id = await _upload(w, ADMIN, "ghichu.txt", "Ghi chú: họp giao ban thứ Hai.\n".encode())
    assert w.text(ADMIN, status_id).startswith("❌ Không xác định được tỉnh ban hành kế hoạch")
    async with w.sm() as s:
        assert (await s.scalars(select(PendingUpload))).all() == []


async def test_another_admin_cannot_confirm_an_upload_from_elsewhere(bot_world: BotWorld) -> None:
    w = bot_world
    await _upload(w, ADMIN, "kh.docx", make_plan_docx())
    _, (ok, _) = w.buttons(ADMIN)
    [hello] = await w.send(ADMIN2, ADMIN2, "/help")
    query = await w.press(ADMIN2, ADMIN2, hello, ok, strict=False)
    assert w.server.answer_for(query).text == texts.BAD_BUTTON
    async with w.sm() as s:
        assert (await s.scalars(select(PendingUpload.state))).one() is FlowState.PENDING
