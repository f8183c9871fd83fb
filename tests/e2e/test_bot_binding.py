"""Binding chats to agencies and the leaders: /dangky, requests, /moi links, /lanhdao,
/huydangky, supergroup migration — the real bot against the fake Bot API server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.db.models import BindRequest
from bot.domain.kinds import ChatRole, FlowState
from bot.render import help as texts
from tests.e2e.conftest import (
    ADMIN,
    ADMIN2,
    FOCAL,
    LEADER,
    LEADERS_GROUP,
    NEW_GROUP,
    OTHER_FOCAL,
    SNV_GROUP,
    STP_GROUP,
    BotWorld,
)


async def _bound_code(world: BotWorld, tg_chat_id: int) -> str | None:
    from bot.db import agencies as agencies_repo
    from bot.db import chats as chats_repo

    async with world.sm() as s:
        chat = await chats_repo.get_chat(s, tg_chat_id=tg_chat_id)
        if chat is None or not chat.active or chat.agency_id is None:
            return None
        agency = await agencies_repo.get_agency(s, agency_id=chat.agency_id)
        return agency.code if agency else None


async def test_admin_binds_a_group_by_abbreviation_or_unaccented_name(bot_world: BotWorld) -> None:
    w = bot_world
    [reply] = await w.send(STP_GROUP, ADMIN, "/dangky stp")
    assert "đã được đăng ký nhận nhắc việc của Sở Tư pháp" in reply.text
    assert await _bound_code(w, STP_GROUP) == "so-tu-phap"

    [reply] = await w.send(SNV_GROUP, ADMIN, "/dangky so noi vu")
    assert "Sở Nội vụ" in reply.text
    assert await _bound_code(w, SNV_GROUP) == "so-noi-vu"

    [progress] = await w.send(STP_GROUP, FOCAL, "/tiendo")
    assert progress.text.startswith("📋 Tiến độ — Sở Tư pháp")


async def test_ambiguous_name_offers_buttons_and_a_press_binds(bot_world: BotWorld) -> None:
    w = bot_world
    [choice] = await w.send(STP_GROUP, ADMIN, "/dangky UBND")
    assert "Có nhiều cơ quan khớp" in choice.text
    assert len(choice.callback_data) >= 2
    assert all(re.fullmatch(r"dk:\d+", d) for d in choice.callback_data)
    button = choice.button("Việt Trì")
    await w.press(STP_GROUP, ADMIN, choice, button["callback_data"])
    await w.server.wait_for(lambda: "đã được đăng ký" in w.text(STP_GROUP, choice.message_id))
    assert "Ủy ban nhân dân thành phố Việt Trì" in w.text(STP_GROUP, choice.message_id)
    assert await _bound_code(w, STP_GROUP) == "tp-viet-tri"


async def test_a_merged_department_is_offered_as_its_successor(bot_world: BotWorld) -> None:
    [choice] = await bot_world.send(STP_GROUP, ADMIN, "/dangky Sở Giao thông")
    assert [b["text"] for row in choice.buttons for b in row] == ["Sở Xây dựng"]


async def test_unknown_name_suggests_the_closest_agencies(bot_world: BotWorld) -> None:
    w = bot_world
    [reply] = await w.send(STP_GROUP, ADMIN, "/dangky Sở Du lịch")
    assert "Không tìm thấy cơ quan “Sở Du lịch”" in reply.text
    assert "Sở Văn hóa, Thể thao và Du lịch" in [b["text"] for row in reply.buttons for b in row]
    assert await _bound_code(w, STP_GROUP) is None

    [reply] = await w.send(STP_GROUP, ADMIN, "/dangky xyzxyz")
    assert "Không tìm thấy" in reply.text and not reply.buttons

    [reply] = await w.send(STP_GROUP, ADMIN, "/dangky")
    assert "Cách dùng" in reply.text


async def test_a_non_admin_request_is_approved_by_an_admin_button(bot_world: BotWorld) -> None:
    w = bot_world
    [ack] = await w.send(STP_GROUP, FOCAL, "/dangky Sở Tư pháp")
    assert "Đã gửi đề nghị" in ack.text
    assert await _bound_code(w, STP_GROUP) is None  # nothing bound before an admin says so

    await w.server.wait_for_sent(ADMIN)
    await w.server.wait_for_sent(ADMIN2)
    request = w.server.last_sent(ADMIN)
    assert "Đề nghị đăng ký nhóm" in request.text and "Sở Tư pháp" in request.text
    ok = next(d for d in request.callback_data if d.startswith("rq:ok:"))

    before = len(w.server.messages_in(STP_GROUP))
    await w.press(ADMIN, ADMIN, request, ok)
    [bound] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert "đã được đăng ký nhận nhắc việc của Sở Tư pháp" in bound.text
    assert "Đã duyệt bởi Quản trị" in w.text(ADMIN, request.message_id)
    assert await _bound_code(w, STP_GROUP) == "so-tu-phap"

    # The other admin's copy is stale now: pressing it changes nothing and sends nothing.
    other = w.server.last_sent(ADMIN2)
    query = await w.press(ADMIN2, ADMIN2, other, other.callback_data[0])
    assert w.server.answer_for(query).text == texts.STALE
    await w.send(ADMIN2, ADMIN2, "/help")  # updates are handled in order: the press is done
    assert len(w.server.messages_in(STP_GROUP)) == before + 1


async def test_a_non_admin_request_can_be_rejected(bot_world: BotWorld) -> None:
    w = bot_world
    await w.send(SNV_GROUP, OTHER_FOCAL, "/dangky Sở Nội vụ")
    await w.server.wait_for_sent(ADMIN2)
    request = w.server.last_sent(ADMIN2)
    no = next(d for d in request.callback_data if d.startswith("rq:no:"))
    before = len(w.server.messages_in(SNV_GROUP))
    await w.press(ADMIN2, ADMIN2, request, no)
    [told] = (await w.server.wait_for_sent(SNV_GROUP, before + 1))[before:]
    assert "đã bị từ chối" in told.text
    assert await _bound_code(w, SNV_GROUP) is None
    async with w.sm() as s:
        states = list(await s.scalars(select(BindRequest.state)))
    assert states == [FlowState.CANCELLED]
    [reply] = await w.send(SNV_GROUP, OTHER_FOCAL, "/tiendo")
    assert reply.text.startswith("Nhóm này chưa được đăng ký")


async def test_invite_link_binds_the_group_it_is_used_in_once(bot_world: BotWorld) -> None:
    w = bot_world
    [invite] = await w.send(ADMIN, ADMIN, "/moi Sở Tư pháp")
    match = re.search(r"https://t\.me/nhacviec_test_bot\?startgroup=([A-Za-z0-9_-]{1,64})", invite.text)
    assert match, invite.text
    token = match.group(1)

    w.server.add_bot_to_group(NEW_GROUP, FOCAL, "Nhóm mới của Sở Tư pháp", payload=token)
    [bound] = await w.server.wait_for_sent(NEW_GROUP)
    assert "đã được đăng ký nhận nhắc việc của Sở Tư pháp" in bound.text
    assert await _bound_code(w, NEW_GROUP) == "so-tu-phap"

    # One-time: the same link in another group binds nothing.
    w.server.add_bot_to_group(-4_100_000_099, FOCAL, "Nhóm khác", payload=token)
    [refused] = await w.server.wait_for_sent(-4_100_000_099)
    assert "đã được dùng hoặc đã hết hạn" in refused.text
    assert await _bound_code(w, -4_100_000_099) is None

    [reply] = await w.send(FOCAL, FOCAL, "/moi Sở Tư pháp")
    assert reply.text == texts.ADMIN_ONLY
    [reply] = await w.send(STP_GROUP, ADMIN, "/moi Sở Tư pháp")
    assert reply.text == texts.PRIVATE_ONLY


async def test_invite_for_an_ambiguous_name_lets_the_admin_choose(bot_world: BotWorld) -> None:
    w = bot_world
    [choice] = await w.send(ADMIN, ADMIN, "/moi Sở Du lịch")
    data = choice.callback_data[0]
    assert data.startswith("mo:")
    await w.press(ADMIN, ADMIN, choice, data)
    await w.server.wait_for(lambda: "startgroup=" in w.text(ADMIN, choice.message_id))
    assert "Sở Văn hóa, Thể thao và Du lịch" in w.text(ADMIN, choice.message_id)


async def test_supergroup_migration_keeps_the_binding(bot_world: BotWorld) -> None:
    w = bot_world
    await w.send(STP_GROUP, ADMIN, "/dangky Sở Tư pháp")
    new_id = -1_009_876_543_210
    w.server.migrate_chat(STP_GROUP, new_id)
    # Updates are handled in order: the migration service messages come first.
    [progress] = await w.send(new_id, FOCAL, "/tiendo")
    assert progress.text.startswith("📋 Tiến độ — Sở Tư pháp")
    assert await _bound_code(w, new_id) == "so-tu-phap"
    assert await w.chat_row(STP_GROUP) is None


async def test_leaders_chat_and_unbinding(bot_world: BotWorld) -> None:
    w = bot_world
    [reply] = await w.send(LEADERS_GROUP, LEADER, "/lanhdao")
    assert reply.text == texts.ADMIN_ONLY
    [reply] = await w.send(LEADERS_GROUP, ADMIN, "/lanhdao")
    assert "nhóm lãnh đạo tỉnh Phú Thọ" in reply.text
    chat = await w.chat_row(LEADERS_GROUP)
    assert chat is not None and chat.role is ChatRole.LEADERS  # type: ignore[attr-defined]
    [summary] = await w.send(LEADERS_GROUP, LEADER, "/tiendo")
    assert summary.text.startswith("📊 Tiến độ toàn tỉnh Phú Thọ")

    [reply] = await w.send(LEADERS_GROUP, LEADER, "/huydangky")
    assert reply.text == texts.ADMIN_ONLY
    [reply] = await w.send(LEADERS_GROUP, ADMIN, "/huydangky")
    assert "Đã hủy đăng ký" in reply.text
    [reply] = await w.send(LEADERS_GROUP, LEADER, "/tiendo")
    assert reply.text.startswith("Nhóm này chưa được đăng ký")
    [reply] = await w.send(LEADERS_GROUP, ADMIN, "/huydangky")
    assert reply.text == "Nhóm này chưa được đăng ký."


async def test_binding_commands_belong_in_groups(bot_world: BotWorld) -> None:
    [reply] = await bot_world.send(FOCAL, FOCAL, "/dangky Sở Tư pháp")
    assert reply.text == texts.GROUP_ONLY


async def test_the_bot_removed_from_a_group_unbinds_it(bot_world: BotWorld) -> None:
    w = bot_world
    await w.send(STP_GROUP, ADMIN, "/dangky Sở Tư pháp")
    w.server.kick_bot(STP_GROUP, ADMIN)
    await w.send(ADMIN, ADMIN, "/help")  # handled after the membership update
    chat = await w.chat_row(STP_GROUP)
    assert chat is not None and not chat.active  # type: ignore[attr-defined]
    # Admins are told once, through the outbox (its sender runs every few seconds).
    notices = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(ADMIN) if "Không gửi được nhắc việc" in m.text],
        timeout=15,
    )
    assert len(notices) == 1 and "Sở Tư pháp" in notices[0].text


@pytest.mark.parametrize("bot_settings_overrides", [{"province": None}])
@pytest.mark.parametrize("bot_seed", [False])
async def test_without_any_province_dangky_asks_for_a_plan_first(bot_world: BotWorld) -> None:
    [reply] = await bot_world.send(STP_GROUP, ADMIN, "/dangky Sở Tư pháp")
    assert reply.text.startswith("Chưa có kế hoạch nào")


async def test_a_commune_binds_by_its_name(bot_world: BotWorld) -> None:
    """Communes (from the package, not the plan-matching index) bind by name like agencies;
    a name that is only close is offered, not bound."""
    w = bot_world
    [reply] = await w.send(STP_GROUP, ADMIN, "/dangky UBND phường Nông Trang")
    assert "đã được đăng ký nhận nhắc việc của Ủy ban nhân dân phường Nông Trang" in reply.text, reply.text
    assert await _bound_code(w, STP_GROUP) == "phuong-nong-trang"
    [offer] = await w.send(SNV_GROUP, ADMIN, "/dangky phường Nông")
    assert await _bound_code(w, SNV_GROUP) is None and offer.callback_data, offer.text


async def test_approving_a_request_for_an_agency_merged_away_meanwhile_tells_the_truth(bot_world: BotWorld) -> None:
    """The service records the approval of a merged-away agency as a rejection: the group and
    the admin are told so, whatever button was pressed."""
    from sqlalchemy import update

    from bot.db.models import Agency

    w = bot_world
    await w.send(STP_GROUP, FOCAL, "/dangky Sở Tư pháp")
    await w.server.wait_for_sent(ADMIN)
    request = w.server.last_sent(ADMIN)
    ok = next(d for d in request.callback_data if d.startswith("rq:ok:"))
    successor = await w.agency_id("so-noi-vu")
    async with w.sm() as s, s.begin():  # merged into Sở Nội vụ while the request waited
        await s.execute(update(Agency).where(Agency.code == "so-tu-phap").values(active=False, successor_id=successor))

    before = len(w.server.messages_in(STP_GROUP))
    await w.press(ADMIN, ADMIN, request, ok)
    [told] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert "đã được đăng ký" not in told.text
    assert "sáp nhập" in told.text and "/dangky" in told.text
    assert "Đã duyệt" not in w.text(ADMIN, request.message_id)
    assert "sáp nhập" in w.text(ADMIN, request.message_id)
    assert await _bound_code(w, STP_GROUP) is None
    async with w.sm() as s:
        states = list(await s.scalars(select(BindRequest.state)))
    assert states == [FlowState.CANCELLED]
