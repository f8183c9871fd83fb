"""Zalo end to end: the real bot (bot.app.build_application) polling the fake Telegram server
AND the fake Zalo server (tests/fakezalo), on SQLite and PostgreSQL, the Phú Thọ sample plan
imported, today = Monday 23/06/2025 (Sở Tư pháp has NV11, NV31, NV32 overdue).

A focal point gets a link code with /zalo in the agency's Telegram group, sends it to the
Zalo bot, receives the agency's reminder on Zalo and answers "1 xong": the item is done,
the history row says channel "zalo", the group sees the change.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.db import zalo as zdb
from bot.db.models import DueItem, StatusChange, ZaloRecipient
from bot.domain.status import Status
from tests.e2e.conftest import ADMIN, BOT_NOW, FOCAL, STP_GROUP, BotWorld
from tests.fakezalo import FakeZaloApi

PERSON = "6ede9afa66b88fe6d6a9"
CODE = re.compile(r"/lienket ([A-Z0-9]{4}-[A-Z0-9]{4})")


@pytest.fixture
async def fake_zalo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeZaloApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeZaloApi() as server:
        yield server


@pytest.fixture
def bot_settings_overrides(fake_zalo: FakeZaloApi) -> dict[str, object]:
    return {"zalo_bot_token": fake_zalo.token, "zalo_api_url": fake_zalo.url}


@pytest.fixture
async def world(bot_world: BotWorld) -> AsyncIterator[BotWorld]:
    """bot_world with the Zalo poller running (started by the app's post_init), stopped first."""
    services = bot_world.app.bot_data  # type: ignore[attr-defined]
    assert services.zalo is not None
    try:
        yield bot_world
    finally:
        await services.zalo.stop()


async def link(w: BotWorld, zalo: FakeZaloApi, *, chat: int = STP_GROUP, user: int = FOCAL) -> str:
    """/zalo in the agency's group, the code sent to the Zalo bot; returns the code."""
    answer = await w.send(chat, user, "/zalo")
    found = CODE.search(answer[-1].text or "")
    assert found, answer[-1].text
    before = len(zalo.messages_to(PERSON))
    zalo.send_text(PERSON, f"/lienket {found.group(1)}", name="Nguyễn Văn A")
    replies = await zalo.wait_for_sent(PERSON, before + 1)
    assert "Đã liên kết" in replies[-1].text, replies[-1].text
    return found.group(1)


async def test_link_then_answer_on_zalo(world: BotWorld, fake_zalo: FakeZaloApi) -> None:
    w, zalo = world, fake_zalo
    await w.bind(STP_GROUP, "so-tu-phap")
    code = await link(w, zalo)
    # The group hears about the link; the code cannot be used twice.
    await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(STP_GROUP) if "liên kết Zalo" in (m.text or "")],
        message="no link notice in the group",
    )
    zalo.send_text("someone-else", f"/lienket {code}", name="Người khác")
    assert "không đúng" in (await zalo.wait_for_sent("someone-else", 1))[0].text
    async with w.sm() as s:
        row = await zdb.get_recipient(s, chat_id=PERSON)
        assert row is not None and row.agency.code == "so-tu-phap" and row.display_name == "Nguyễn Văn A"

    # Before any reminder reached Zalo, a task code works ("NV12 xong").
    due_id, task_id = await one_item_task(w, "so-tu-phap")
    before = len(zalo.messages_to(PERSON))
    zalo.send_text(PERSON, f"NV{task_id} đang làm 60%")
    confirmation = (await zalo.wait_for_sent(PERSON, before + 1))[-1].text
    assert "Đã ghi nhận" in confirmation and "60%" in confirmation and "<" not in confirmation, confirmation
    async with w.sm() as s:
        item = await s.get(DueItem, due_id)
        assert item is not None and item.status is Status.IN_PROGRESS and item.progress == 60
        last = (await s.scalars(select(StatusChange).where(StatusChange.due_item_id == due_id).order_by(StatusChange.id))).all()[-1]
        assert (last.channel, last.actor_name, last.new_status) == ("zalo", "Nguyễn Văn A", Status.IN_PROGRESS)
    notice = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(STP_GROUP) if "Cập nhật qua Zalo" in (m.text or "")],
        message="no Zalo update notice in the group",
    )
    assert f"NV{task_id}" in (notice[0].text or "") and "60%" in (notice[0].text or "")
    # A number without a reminder on Zalo to refer to: asked for the code, nothing changed.
    zalo.send_text(PERSON, "1 xong")
    answer = (await zalo.wait_for_sent(PERSON, before + 2))[-1].text
    assert "mã nhiệm vụ" in answer, answer


async def one_item_task(w: BotWorld, code: str) -> tuple[int, int]:
    """(due item id, task id): the agency's earliest open due item (what a bare code means)."""
    from bot.db.models import Agency

    async with w.sm() as s:
        row = (
            await s.execute(
                select(DueItem.id, DueItem.task_id).join(Agency, DueItem.agency_id == Agency.id)
                .where(Agency.code == code, DueItem.status != Status.DONE)
                .order_by(DueItem.due_on, DueItem.agency_id, DueItem.id).limit(1)
            )
        ).one()
        first_of_task = (
            await s.execute(
                select(DueItem.id).where(DueItem.task_id == row.task_id, DueItem.status != Status.DONE)
                .order_by(DueItem.due_on, DueItem.agency_id, DueItem.id).limit(1)
            )
        ).scalar_one()
    return first_of_task, row.task_id


async def test_unlinked_and_unknown_code(world: BotWorld, fake_zalo: FakeZaloApi) -> None:
    zalo = fake_zalo
    zalo.send_text(PERSON, "1 xong", name="Người lạ")
    assert "chưa liên kết" in (await zalo.wait_for_sent(PERSON, 1))[0].text
    zalo.send_text(PERSON, "/lienket ABCD-EFGH")
    assert "không đúng" in (await zalo.wait_for_sent(PERSON, 2))[1].text
    async with world.sm() as s:
        assert (await s.scalars(select(ZaloRecipient))).all() == []
    # An admin gets a code for an agency by name, in a private chat.
    answer = await world.send(ADMIN, ADMIN, "/zalo Sở Tư pháp")
    assert CODE.search(answer[-1].text or ""), answer[-1].text
    assert BOT_NOW  # the bot's clock: the code is valid 24 h from then


async def test_extension_request_from_zalo_reaches_the_leaders(world: BotWorld, fake_zalo: FakeZaloApi) -> None:
    from tests.e2e.conftest import LEADER, LEADERS_GROUP

    w, zalo = world, fake_zalo
    await w.bind(STP_GROUP, "so-tu-phap")
    await w.bind(LEADERS_GROUP, leaders=True)
    await link(w, zalo)
    due_id, task_id = await one_item_task(w, "so-tu-phap")
    # A blocker without its reason is asked back (no button to press on Zalo); nothing changes.
    zalo.send_text(PERSON, f"NV{task_id} vướng mắc")
    ask = (await zalo.wait_for_sent(PERSON, 2))[-1].text
    assert "vướng mắc do" in ask, ask
    zalo.send_text(PERSON, f"xin gia hạn NV{task_id} đến 15/12/2025 vì chờ hướng dẫn của Bộ")
    confirmation = (await zalo.wait_for_sent(PERSON, 3))[-1].text
    assert "đề nghị gia hạn" in confirmation and "15/12/2025" in confirmation, confirmation
    posts = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(LEADERS_GROUP) if any(d.startswith("gh:") for d in m.callback_data)],
        message="the leaders got no extension request",
    )
    approve = next(d for d in posts[0].callback_data if d.endswith(":ok"))
    await w.press(LEADERS_GROUP, LEADER, posts[0], approve)
    await w.settle()
    async with w.sm() as s:
        item = await s.get(DueItem, due_id)
        assert item is not None and item.status is Status.EXTENDED and item.due_on.isoformat() == "2025-12-15"
        history = (await s.scalars(
            select(StatusChange).where(StatusChange.due_item_id == due_id).order_by(StatusChange.id)
        )).all()
        assert [h.channel for h in history[-2:]] == ["zalo", "telegram"]  # asked on Zalo, decided on Telegram
