"""Start-up, forged buttons, flooding and failures — the real bot against the fake server."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.db.models import BindRequest
from bot.domain.kinds import FlowState
from bot.render import help as texts
from tests.e2e.conftest import ADMIN, ADMIN2, FOCAL, SNV_GROUP, STP_GROUP, STRANGER, BotWorld


async def test_start_up_registers_menus_per_scope(bot_world: BotWorld) -> None:
    server = bot_world.server
    private = [c["command"] for c in server.commands_for("all_private_chats")]
    groups = [c["command"] for c in server.commands_for("all_group_chats")]
    admin = [c["command"] for c in server.commands_for({"type": "chat", "chat_id": ADMIN})]
    assert private == ["start", "help"]
    assert groups == ["tiendo", "quahan", "sapden", "nhiemvu", "capnhat", "baocao", "dangky", "zalo", "help"]
    assert admin == [
        "tiendo", "quahan", "sapden", "nhiemvu", "capnhat", "dathan", "ngaynghi", "ngaylambu", "giahan", "baocao", "coquan", "moi", "zalo",
        "email", "help",
    ]
    assert server.commands_for({"type": "chat", "chat_id": ADMIN2}) == server.commands_for(
        {"type": "chat", "chat_id": ADMIN}
    )
    assert all(
        c["description"] and "Tiến độ" in c["description"]
        for c in server.commands_for("all_group_chats")
        if c["command"] == "tiendo"
    )


@pytest.fixture
def info_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Logging as `nhacviec run` sets it up (bot.logs.configure_logging), captured from before
    the bot starts: INFO, with the chatty libraries (httpx logs URLs, token included) at WARNING."""
    from bot.logs import QUIET_LOGGERS

    caplog.set_level(logging.INFO)
    quiet = [logging.getLogger(name) for name in QUIET_LOGGERS]
    saved = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.WARNING)
    try:
        yield caplog
    finally:
        for lg, level in zip(quiet, saved):
            lg.setLevel(level)


async def test_start_up_logs_one_line_without_the_token(
    info_logs: pytest.LogCaptureFixture, bot_world: BotWorld
) -> None:
    caplog = info_logs
    lines = [r.getMessage() for r in caplog.get_records("setup") if r.name == "nhacviec"]
    assert len(lines) == 1, lines
    assert f"Bot @nhacviec_test_bot đã kết nối tới {bot_world.server.url}" in lines[0]
    assert "cơ sở dữ liệu: " in lines[0] and "tỉnh: phu-tho" in lines[0]
    every = " ".join(r.getMessage() for r in caplog.get_records("setup"))
    assert bot_world.server.token.split(":")[1] not in every


async def test_forged_or_unknown_callback_data_is_refused(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")
    snv = await w.agency_id("so-noi-vu")
    [progress] = await w.send(STP_GROUP, FOCAL, "/tiendo")

    async def answer(chat: int, user: int, data: str) -> str | None:
        query = await w.press(chat, user, progress if chat == STP_GROUP else mine[chat], data, strict=False)
        found = w.server.answer_for(query)
        assert found is not None
        return found.text

    # An agency chat asking for another agency's figures through a crafted button.
    mine: dict[int, object] = {}
    assert await answer(STP_GROUP, FOCAL, f"td:{snv}") == texts.NOT_ALLOWED_BUTTON
    assert await answer(STP_GROUP, FOCAL, f"pg:t:{snv}:0") == texts.NOT_ALLOWED_BUTTON
    assert "Sở Nội vụ" not in w.text(STP_GROUP, progress.message_id)
    # Garbage, and ids that name nothing.
    assert await answer(STP_GROUP, FOCAL, "xyz") == texts.BAD_BUTTON
    assert await answer(STP_GROUP, FOCAL, "up:ok:1; DROP TABLE chats") == texts.BAD_BUTTON

    # A non-admin approving a binding request from their own chat.
    [ack] = await w.send(SNV_GROUP, FOCAL, "/dangky Sở Nội vụ")
    async with w.sm() as s:
        request_id = (await s.scalars(select(BindRequest.id))).one()
    [hello] = await w.send(FOCAL, FOCAL, "/help")
    mine[FOCAL] = hello
    assert await answer(FOCAL, FOCAL, f"rq:ok:{request_id}") == texts.NOT_ALLOWED_BUTTON
    assert await answer(FOCAL, FOCAL, "up:ok:1") == texts.NOT_ALLOWED_BUTTON
    async with w.sm() as s:
        assert (await s.scalars(select(BindRequest.state))).one() is FlowState.PENDING

    # An admin pressing "approve" in a group (buttons are checked where they are pressed).
    assert await answer(STP_GROUP, ADMIN, f"rq:ok:{request_id}") == texts.NOT_ALLOWED_BUTTON
    # A choice button naming an agency that does not exist.
    query = await w.press(STP_GROUP, ADMIN, progress, "dk:999999", strict=False)
    assert w.server.answer_for(query) is not None
    await w.server.wait_for(lambda: w.text(STP_GROUP, progress.message_id) == texts.BAD_BUTTON)
    row = await w.chat_row(STP_GROUP)
    assert row is not None and row.agency_id == await w.agency_id("so-tu-phap")  # type: ignore[attr-defined]


async def test_a_flooding_user_is_throttled_and_told_once(bot_world: BotWorld) -> None:
    w = bot_world
    w.app.bot_data.monotonic = lambda: 1000.0  # type: ignore[attr-defined]  # time stands still
    for _ in range(16):
        w.server.send_text(STRANGER, STRANGER, "/help")
    # One chat's updates are handled in order (other chats' concurrently): wait for its
    # 10 answers and the warning, then until every update is handled (no more would come).
    await w.server.wait_for(lambda: len(w.server.messages_in(STRANGER)) >= 11, message="the flood was not handled")
    await w.settle()
    replies = [m.text for m in w.server.messages_in(STRANGER)]
    warning = texts.throttled(3)  # 10 tokens, one back every 3 s: the next in 3 s
    assert warning == "Bạn gửi quá nhanh, vui lòng thử lại sau 3 giây."
    assert replies.count(warning) == 1
    assert len(replies) == 10 + 1  # the bucket's 10, then one warning, then silence
    assert replies[-1] == warning

    w.app.bot_data.monotonic = lambda: 1060.0  # type: ignore[attr-defined]  # a minute later
    [again] = await w.send(STRANGER, STRANGER, "/help")
    assert again.text != warning


async def test_a_failing_handler_is_logged_and_answered_with_an_apology(
    bot_world: BotWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.services import progress

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(progress, "overdue_pages", broken)
    caplog.set_level(logging.ERROR, logger="nhacviec")
    [reply] = await bot_world.send(ADMIN, ADMIN, "/quahan")
    assert reply.text == texts.APOLOGY
    assert "exploded" not in reply.text and "Traceback" not in reply.text
    [record] = [r for r in caplog.records if r.name == "nhacviec.handlers" and r.levelno == logging.ERROR]
    update_id = next(
        u["update_id"] for u in bot_world.server.updates if u.get("message", {}).get("text") == "/quahan"
    )
    assert record.getMessage() == f"Lỗi khi xử lý update {update_id}"
    assert record.exc_info is not None and "database exploded" in str(record.exc_info[1])
