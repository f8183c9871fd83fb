"""One installation, two provinces (Phú Thọ and Vĩnh Long): each province's admins see and
manage only their province, /tiendo and /baocao never mix provinces, and installation-wide
admins (ADMIN_IDS) reach both — the real bot against the fake Bot API server."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models import BindRequest, DueItem, Plan, Province, Task
from bot.domain.kinds import FlowState
from bot.render import help as texts
from tests.e2e.conftest import ADMIN, FOCAL, NEW_GROUP, BotWorld

ROOT = Path(__file__).resolve().parents[2]
VINH_LONG_PLAN = ROOT / "data" / "plans" / "vinh-long-18-KH-UBND-2025.txt"
PT_ADMIN, VL_ADMIN = 700_001, 700_002  # Phú Thọ's and Vĩnh Long's own admins
VL_GROUP = -4_200_000_001

TWO_PROVINCES = {"province": None, "admin_ids": str(ADMIN), "province_admins": f"phu-tho:{PT_ADMIN}; vinh-long:{VL_ADMIN}"}


@pytest.fixture
def bot_settings_overrides() -> dict[str, object]:
    return TWO_PROVINCES


@pytest.fixture
async def world(bot_world: BotWorld) -> BotWorld:
    """The running bot with Vĩnh Long's sample plan imported next to Phú Thọ's."""
    from bot.catalog import Catalog
    from bot.services.plans import read_and_parse, store_draft

    w = bot_world
    catalog = Catalog(w.app.bot_data.settings.data_dir)  # type: ignore[attr-defined]
    draft = read_and_parse(
        VINH_LONG_PLAN.read_bytes(), VINH_LONG_PLAN.name, catalog=catalog, province=None, max_bytes=20 << 20
    )
    async with w.sm() as s, s.begin():
        await store_draft(s, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="test")
    w.server.add_user(PT_ADMIN, "Quản trị Phú Thọ")
    w.server.add_user(VL_ADMIN, "Quản trị Vĩnh Long")
    w.server.add_chat(NEW_GROUP, title="Nhóm mới", members=[PT_ADMIN, VL_ADMIN, ADMIN, FOCAL])
    w.server.add_chat(VL_GROUP, title="Sở Tư pháp Vĩnh Long", members=[VL_ADMIN, ADMIN])
    return w


async def _binding(w: BotWorld, tg_chat_id: int) -> tuple[str, str] | None:
    """(province slug, agency code) the chat is bound to, or None."""
    from bot.db import agencies as agencies_repo
    from bot.db import chats as chats_repo

    async with w.sm() as s:
        chat = await chats_repo.get_chat(s, tg_chat_id=tg_chat_id)
        if chat is None or not chat.active or chat.agency_id is None:
            return None
        agency = await agencies_repo.get_agency(s, agency_id=chat.agency_id)
        province = await s.get(Province, chat.province_id)
        assert agency is not None and province is not None
        return province.slug, agency.code


async def test_progress_and_reports_never_mix_provinces(world: BotWorld) -> None:
    w = world
    [pt] = await w.send(PT_ADMIN, PT_ADMIN, "/tiendo")
    assert "Phú Thọ" in pt.text and "Vĩnh Long" not in pt.text
    [vl] = await w.send(VL_ADMIN, VL_ADMIN, "/tiendo")
    assert "Vĩnh Long" in vl.text and "Phú Thọ" not in vl.text
    [both] = await w.send(ADMIN, ADMIN, "/tiendo")  # the installation's admin: both, one per page
    assert both.text.startswith("📊 Tiến độ toàn tỉnh Phú Thọ") and "Vĩnh Long" not in both.text
    pages = int(re.search(r"Trang 1/(\d+)", both.text).group(1))  # a province may fill more than one page
    texts = [both.text]
    for page in range(2, pages + 1):
        current = w.server.message(ADMIN, both.message_id) or {}
        [after] = [b for row in current["reply_markup"]["inline_keyboard"] for b in row if "Sau" in b["text"]]
        await w.press(ADMIN, ADMIN, both, after["callback_data"])
        await w.server.wait_for(lambda page=page: f"Trang {page}/{pages}" in w.text(ADMIN, both.message_id))
        texts.append(w.text(ADMIN, both.message_id))
    # Each province opens pages of its own: Vĩnh Long's never show Phú Thọ's figures.
    vl_pages = [t for t in texts if t.startswith("📊 Tiến độ toàn tỉnh Vĩnh Long")]
    assert vl_pages and all("Phú Thọ" not in t for t in vl_pages)

    before = len(w.server.messages_in(VL_ADMIN))
    w.server.send_text(VL_ADMIN, VL_ADMIN, "/baocao")
    # Built in a child process (bot.services.digest_worker): its start-up is seconds on a busy machine.
    await w.server.wait_for(lambda: any(m.document for m in w.server.messages_in(VL_ADMIN)[before:]), timeout=60)
    await w.settle()
    report = w.server.messages_in(VL_ADMIN)[before:]
    text = "\n".join(m.text or m.caption or "" for m in report)
    assert "Vĩnh Long" in text and "Phú Thọ" not in text


async def test_a_province_admin_binds_only_in_their_province(world: BotWorld) -> None:
    w = world
    # "Sở Tư pháp" exists in both provinces: the installation's admin must choose…
    [choice] = await w.send(NEW_GROUP, ADMIN, "/dangky Sở Tư pháp")
    assert "Có nhiều cơ quan khớp" in choice.text
    assert any("Vĩnh Long" in b["text"] for row in choice.buttons for b in row)
    # …while each province's admin gets their own province's, without a question.
    [reply] = await w.send(NEW_GROUP, VL_ADMIN, "/dangky Sở Tư pháp")
    assert "đã được đăng ký" in reply.text
    assert await _binding(w, NEW_GROUP) == ("vinh-long", "so-tu-phap")

    # The other province's admin is not an admin of this group: no unbinding, no rebinding.
    [refused] = await w.send(NEW_GROUP, PT_ADMIN, "/huydangky")
    assert refused.text == texts.ADMIN_ONLY
    [asked] = await w.send(NEW_GROUP, PT_ADMIN, "/lanhdao")
    assert asked.text == texts.ADMIN_ONLY
    assert await _binding(w, NEW_GROUP) == ("vinh-long", "so-tu-phap")
    [done] = await w.send(NEW_GROUP, VL_ADMIN, "/huydangky")
    assert "hủy" in done.text.lower() or "huỷ" in done.text.lower()
    assert await _binding(w, NEW_GROUP) is None


async def test_a_binding_request_goes_to_that_provinces_admins_only(world: BotWorld) -> None:
    w = world
    before = {a: len(w.server.messages_in(a)) for a in (ADMIN, PT_ADMIN, VL_ADMIN)}
    [pick] = await w.send(NEW_GROUP, FOCAL, "/dangky Sở Tư pháp")
    button = next(
        b["callback_data"] for row in pick.buttons for b in row if "Vĩnh Long" in b["text"]
    )
    await w.press(NEW_GROUP, FOCAL, pick, button)
    await w.server.wait_for(lambda: len(w.server.messages_in(VL_ADMIN)) > before[VL_ADMIN])
    await w.settle()
    assert len(w.server.messages_in(ADMIN)) == before[ADMIN] + 1  # the installation's admin
    assert len(w.server.messages_in(PT_ADMIN)) == before[PT_ADMIN]  # not the other province's
    request = w.server.messages_in(VL_ADMIN)[-1]
    [approve, _] = request.callback_data

    # Phú Thọ's admin forges the button in their own chat: refused, the request stays open.
    [own] = await w.send(PT_ADMIN, PT_ADMIN, "/help")
    query = w.server.press_button(PT_ADMIN, PT_ADMIN, own.message_id, approve, strict=False)
    await w.server.wait_for(lambda: w.server.answer_for(query))
    assert w.server.answer_for(query).text == texts.NOT_ALLOWED_BUTTON
    async with w.sm() as s:
        assert (await s.scalars(select(BindRequest.state))).one() is FlowState.PENDING
    assert await _binding(w, NEW_GROUP) is None

    await w.press(VL_ADMIN, VL_ADMIN, request, approve)
    await w.server.wait_for(lambda: "đã được đăng ký" in w.server.messages_in(NEW_GROUP)[-1].text)
    assert await _binding(w, NEW_GROUP) == ("vinh-long", "so-tu-phap")


async def test_deadlines_and_plan_uploads_stay_within_the_admins_province(world: BotWorld) -> None:
    w = world
    async with w.sm() as s:
        undated = await s.scalar(
            select(Task.id)
            .join(Plan, Task.plan_id == Plan.id)
            .join(Province, Plan.province_id == Province.id)
            .where(Province.slug == "phu-tho", ~Task.id.in_(select(DueItem.task_id)), ~Task.removed)
            .order_by(Task.id)
            .limit(1)
        )
    assert undated is not None
    [refused] = await w.send(VL_ADMIN, VL_ADMIN, f"/dathan NV{undated} 30/09/2025")
    assert refused.text == f"Không tìm thấy nhiệm vụ NV{undated}."
    [dated] = await w.send(PT_ADMIN, PT_ADMIN, f"/dathan NV{undated} 30/09/2025")
    assert "Đặt hạn 30/09/2025" in dated.text
    async with w.sm() as s:
        assert await s.scalar(select(DueItem.id).where(DueItem.task_id == undated)) is not None

    plan = (ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt").read_bytes()
    before = len(w.server.messages_in(VL_ADMIN))
    w.server.send_document(VL_ADMIN, VL_ADMIN, "ke-hoach.txt", plan)
    await w.server.wait_for(
        lambda: any("không phải quản trị viên" in w.text(VL_ADMIN, m.message_id) for m in w.server.messages_in(VL_ADMIN)[before:])
    )
    final = w.text(VL_ADMIN, w.server.messages_in(VL_ADMIN)[before].message_id)
    assert "Phú Thọ" in final and "không được lưu" in final
    assert not any(m.reply_markup for m in w.server.messages_in(VL_ADMIN)[before:])  # nothing to confirm


async def test_an_unknown_province_in_province_admins_stops_the_start_with_one_line(tmp_path: Path) -> None:
    from tests.e2e.test_bot_run import _env, _run_to_end

    # Every one of the 34 units is known (issue 12): "ha-noi" is one, "ha-tay" no longer.
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", PROVINCE_ADMINS="phu-tho:1;ha-tay:2")
    code, out, err = await _run_to_end(tmp_path, env)
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("Cấu hình sai: PROVINCE_ADMINS — không có tỉnh ha-tay (có: ")
    assert "phu-tho" in line and "vinh-long" in line


async def test_each_provinces_leaders_get_their_own_weekly_digest(world: BotWorld) -> None:
    import scheduler.digests as jobs
    from bot.db import agencies as agencies_repo
    from bot.services import chats
    from bot.services.reminders import calendar_from_settings
    from tests.e2e.conftest import BOT_NOW, LEADERS_GROUP

    w = world
    async with w.sm() as s, s.begin():
        for slug, group in (("phu-tho", LEADERS_GROUP), ("vinh-long", VL_GROUP)):
            province = await agencies_repo.get_province(s, slug=slug)
            assert province is not None
            await chats.bind_leaders(s, province=province, tg_chat_id=group, title=slug, by_tg_id=ADMIN, now=BOT_NOW)
    settings = w.app.bot_data.settings.model_copy(update={"digest_enabled": True})  # type: ignore[attr-defined]
    sched = jobs.DigestScheduler(
        settings=settings, sessionmaker=w.sm, clock=lambda: BOT_NOW, calendar=calendar_from_settings(settings)
    )
    report = await sched.run(w.app.bot)
    assert report.failed == 0
    for group, mine, other in ((LEADERS_GROUP, "Phú Thọ", "Vĩnh Long"), (VL_GROUP, "Vĩnh Long", "Phú Thọ")):
        sent = await w.server.wait_for_sent(group, 3)
        texts_sent = [m.text or m.caption or "" for m in sent]
        assert texts_sent[0].startswith(f"📊 Báo cáo tuần — tỉnh {mine}")
        assert not any(other in t for t in texts_sent)
        [workbook] = [m for m in sent if m.method == "sendDocument"]
        assert workbook.document is not None
        cells = [
            str(v) for sheet in load_workbook(io.BytesIO(workbook.document)).worksheets
            for row in sheet.iter_rows(values_only=True) for v in row if v
        ]
        assert any(mine in c for c in cells) and not any(other in c for c in cells)
