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

    # Today's reminder goes to the group AND to the linked person's Zalo, once each.
    await tick_and_deliver(w)
    group_reminders = [m for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔")]
    on_zalo = [m for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]
    assert len(group_reminders) == 1 and len(on_zalo) == 1
    text = on_zalo[0].text
    assert "<" not in text and len(text) <= 2000 and "1. " in text and "Trả lời tin nhắn này" in text, text
    await tick_and_deliver(w)  # a repeated tick sends nothing again
    assert len([m for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]) == 1
    first = await reminder_row_items(w)
    # "1 xong" now means the reminder's first item.
    count = len(zalo.messages_to(PERSON))
    zalo.send_text(PERSON, "1 xong")
    confirmation = (await zalo.wait_for_sent(PERSON, count + 1))[-1].text
    assert "Đã ghi nhận: nhiệm vụ 1" in confirmation and "hoàn thành" in confirmation, confirmation
    async with w.sm() as s:
        done = await s.get(DueItem, first[0])
        assert done is not None and done.status is Status.DONE
        last = (await s.scalars(select(StatusChange).where(StatusChange.due_item_id == first[0]).order_by(StatusChange.id))).all()[-1]
        assert (last.channel, last.source.value) == ("zalo", "chat")
    # The console shows the change, and that it came by Zalo.
    await console_shows_zalo(w)


async def console_shows_zalo(w: BotWorld) -> None:
    import httpx

    from bot.web.app import WebContext, create_app
    from tests.timing import StoppedClock
    from tests.web.conftest import Web

    svc = w.app.bot_data  # type: ignore[attr-defined]
    ctx = WebContext(settings=svc.settings, sessionmaker=w.sm, catalog=svc.catalog, clock=StoppedClock(BOT_NOW), bot=w.app.bot)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx)), base_url="http://testserver") as client:
        web = Web(w, client, StoppedClock(BOT_NOW))
        admin = await web.sign_in(ADMIN)
        try:
            page = await admin.get(f"/web/agencies/{await w.agency_id('so-tu-phap')}")
        finally:
            await admin.aclose()
    assert page.status_code == 200
    assert "Nguyễn Văn A" in page.text and "(qua Zalo)" in page.text


async def tick_and_deliver(w: BotWorld) -> None:
    """The daily tick, then every channel's sender (Telegram, Zalo) drained once."""
    from scheduler.channels import senders_for
    from scheduler.reminders import engine_for

    engine = engine_for(w.app)
    assert engine is not None
    await engine.tick()
    await engine.drain(w.app.bot)  # type: ignore[attr-defined]
    senders = senders_for(w.app)
    assert senders is not None
    await senders.drain_all()


async def reminder_row_items(w: BotWorld) -> list[int]:
    from bot.db.models import OutboxMessage
    from bot.domain.channels import Channel
    from bot.domain.kinds import OutboxKind, OutboxStatus

    async with w.sm() as s:
        rows = (await s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == Channel.ZALO, OutboxMessage.kind == OutboxKind.REMINDER, OutboxMessage.part == 0,
        ))).all()
    assert len(rows) == 1 and rows[0].status is OutboxStatus.SENT and rows[0].due_item_ids
    return list(rows[0].due_item_ids)


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


async def test_zalo_quota_error_loses_nothing_and_holds_nothing_back(world: BotWorld, fake_zalo: FakeZaloApi) -> None:
    """Zalo answers 429 (quota exceeded): the Telegram reminder goes out in the same run,
    the Zalo one waits (the channel pauses) and is delivered once later; an answer that hit
    the 429 is queued and delivered too."""
    import asyncio

    from sqlalchemy import update

    from bot.db.models import OutboxMessage
    from bot.domain.channels import Channel
    from bot.domain.kinds import OutboxKind, OutboxStatus
    from scheduler.channels import senders_for
    from scheduler.reminders import engine_for

    w, zalo = world, fake_zalo
    await w.bind(STP_GROUP, "so-tu-phap")
    await link(w, zalo)
    engine, senders = engine_for(w.app), senders_for(w.app)
    assert engine is not None and senders is not None
    zalo.inject("sendMessage", "429")
    await engine.tick()
    _, zalo_reports = await asyncio.gather(engine.drain(w.app.bot), senders.drain_all())  # type: ignore[attr-defined]
    # The Telegram reminder goes out while Zalo refuses (sent by this drain or by the running
    # bot's own sender, whichever claimed it first: the outcome is what counts).
    await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔")],
        message="the Telegram reminder was held back by Zalo's 429",
    )
    assert zalo_reports[Channel.ZALO].sent == 0
    assert not [m for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]
    async with w.sm() as s:
        row = (await s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == Channel.ZALO, OutboxMessage.kind == OutboxKind.REMINDER))).one()
        assert row.status is OutboxStatus.PENDING and "429" in (row.error or "") and row.next_attempt_at > BOT_NOW

    # An answer while the quota is exceeded: queued, not lost.
    due_id, task_id = await one_item_task(w, "so-tu-phap")
    zalo.inject("sendMessage", "429")
    before = len(zalo.messages_to(PERSON))
    zalo.send_text(PERSON, f"NV{task_id} đang làm 30%")
    async def queued_answer() -> bool:
        async with w.sm() as s:
            return bool((await s.scalars(select(OutboxMessage).where(
                OutboxMessage.channel == Channel.ZALO, OutboxMessage.kind == OutboxKind.NOTICE))).all())
    for _ in range(250):
        if await queued_answer():
            break
        await asyncio.sleep(0.02)
    assert await queued_answer() and len(zalo.messages_to(PERSON)) == before
    async with w.sm() as s:
        item = await s.get(DueItem, due_id)
        assert item is not None and item.progress == 30  # the change itself was recorded

    # Time passes (the pause and the row's wait are over): each message is delivered once.
    async with w.sm() as s, s.begin():
        await s.execute(update(OutboxMessage).where(OutboxMessage.channel == Channel.ZALO).values(next_attempt_at=BOT_NOW))
    senders.senders[Channel.ZALO].paused_until = None
    await senders.drain_all()
    await senders.drain_all()
    reminders = [m for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]
    answers = [m for m in zalo.messages_to(PERSON) if "30%" in m.text]
    assert len(reminders) == 1 and len(answers) == 1
    async with w.sm() as s:
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.ZALO))).all()
        assert {r.status for r in rows} == {OutboxStatus.SENT}


async def test_a_zalo_update_withdraws_a_pending_extension_request(world: BotWorld, fake_zalo: FakeZaloApi) -> None:
    from tests.e2e.conftest import LEADERS_GROUP

    w, zalo = world, fake_zalo
    await w.bind(STP_GROUP, "so-tu-phap")
    await w.bind(LEADERS_GROUP, leaders=True)
    await link(w, zalo)
    due_id, task_id = await one_item_task(w, "so-tu-phap")
    zalo.send_text(PERSON, f"xin gia hạn NV{task_id} đến 20/12/2025 vì chờ số liệu")
    await zalo.wait_for_sent(PERSON, 2)
    posts = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(LEADERS_GROUP) if any(d for d in m.callback_data)],
        message="the leaders got no extension request",
    )
    zalo.send_text(PERSON, f"NV{task_id} xong")
    await zalo.wait_for_sent(PERSON, 3)
    edited = await w.server.wait_for(
        lambda: "rút" in w.text(LEADERS_GROUP, posts[0].message_id) and w.text(LEADERS_GROUP, posts[0].message_id),
        message="the leaders' post was not updated",
    )
    assert "không còn hiệu lực" in edited
    async with w.sm() as s:
        item = await s.get(DueItem, due_id)
        assert item is not None and item.status is Status.DONE


async def test_an_admin_chooses_the_agency_of_a_zalo_code_by_button(world: BotWorld, fake_zalo: FakeZaloApi) -> None:
    """/zalo with a name several agencies match: buttons; a press answers the code in place
    (the helper /moi shares), a stranger's press is refused."""
    from tests.e2e.conftest import STRANGER

    w = world
    [choice] = await w.send(ADMIN, ADMIN, "/zalo Sở Du lịch")
    data = choice.callback_data[0]
    assert data.startswith("zl:"), choice.callback_data
    await w.press(ADMIN, ADMIN, choice, data)
    text = await w.server.wait_for(lambda: "/lienket" in w.text(ADMIN, choice.message_id) and w.text(ADMIN, choice.message_id))
    assert CODE.search(text) and "Sở Văn hóa, Thể thao và Du lịch" in text, text
    [other] = await w.send(STRANGER, STRANGER, "/zalo Sở Du lịch")
    assert not other.callback_data  # a stranger gets the usage, no buttons to press


async def test_zalo_notices_to_the_group_go_through_the_outbox_with_the_change(
    world: BotWorld, fake_zalo: FakeZaloApi
) -> None:
    """The link notice and the 'Cập nhật qua Zalo' notice are outbox rows of the group's chat
    (kind notice), queued in the change's transaction and delivered by the Telegram sender:
    each once."""
    from bot.db.models import Chat, OutboxMessage
    from bot.domain.kinds import OutboxKind, OutboxStatus

    w, zalo = world, fake_zalo
    await w.bind(STP_GROUP, "so-tu-phap")
    await link(w, zalo)
    due_id, task_id = await one_item_task(w, "so-tu-phap")
    zalo.send_text(PERSON, f"NV{task_id} đang làm 40%")
    await zalo.wait_for_sent(PERSON, 2)
    await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(STP_GROUP) if "Cập nhật qua Zalo" in (m.text or "")],
        message="no Zalo update notice in the group",
    )
    async with w.sm() as s:
        rows = (await s.scalars(
            select(OutboxMessage).join(Chat, OutboxMessage.chat_id == Chat.id)
            .where(Chat.tg_chat_id == STP_GROUP, OutboxMessage.kind == OutboxKind.NOTICE).order_by(OutboxMessage.id)
        )).all()
    assert len(rows) == 2 and "liên kết Zalo" in rows[0].body and "Cập nhật qua Zalo" in rows[1].body
    async def all_sent() -> bool:
        async with w.sm() as s:
            states = (await s.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_([r.id for r in rows])))).all()
        return set(states) == {OutboxStatus.SENT}
    import asyncio

    for _ in range(250):
        if await all_sent():
            break
        await asyncio.sleep(0.02)
    assert await all_sent()
    notices = [m for m in w.server.messages_in(STP_GROUP) if "Cập nhật qua Zalo" in (m.text or "") or "liên kết Zalo" in (m.text or "")]
    assert len(notices) == 2
    async with w.sm() as s:
        item = await s.get(DueItem, due_id)
        assert item is not None and item.progress == 40
