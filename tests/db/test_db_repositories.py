"""Repository queries: the agency directory upsert and the tasks table filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from db_factories import DIRECTORY, DirAgency, import_in_tx, once, plan_draft, task, three_tasks
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agencies import find_agencies, get_or_create_province, get_province, sync_agencies
from bot.db.chats import bind_chat, chats_for_agency, get_chat
from bot.db.models import Agency, DueItem, Task
from bot.db.plans import list_tasks
from bot.db.status_changes import change_status
from bot.domain.kinds import ChatRole
from bot.domain.status import Category, ChangeSource, Status

NOW = datetime(2025, 6, 23, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SM = async_sessionmaker[AsyncSession]


async def test_sync_agencies_upserts_and_links_successors(sm: SM) -> None:
    async with sm() as s, s.begin():
        province = await get_or_create_province(s, slug="phu-tho", name="Phú Thọ", timezone="Asia/Ho_Chi_Minh")
        stored = await sync_agencies(s, province=province, directory_agencies=DIRECTORY.values())
        assert stored["STTTT"].successor_id == stored["SKHCN"].id
        assert not stored["STTTT"].active and stored["SKHCN"].active
        assert stored["STP"].search_key == "so tu phap|tu phap"

    renamed = replace(DIRECTORY["STP"], name="Sở Tư pháp tỉnh", aliases=())
    async with sm() as s, s.begin():
        province = await get_or_create_province(s, slug="phu-tho", name="Phú Thọ", timezone="Asia/Ho_Chi_Minh")
        await sync_agencies(
            s, province=province, directory_agencies=[renamed, DirAgency("SYT", "Sở Y tế")],
            deactivate_missing=True,
        )
    async with sm() as s:
        rows = {a.code: a for a in await s.scalars(select(Agency))}
        assert len(rows) == len(DIRECTORY) + 1  # nothing deleted
        assert rows["STP"].name == "Sở Tư pháp tỉnh" and rows["STP"].aliases == []
        assert rows["SYT"].active and not rows["SNV"].active


async def test_sync_agencies_takes_the_directory_agency_type(sm: SM) -> None:
    agencies = pytest.importorskip("bot.domain.agencies")
    merged = agencies.Agency(
        code="SKHDT", name="Sở Kế hoạch và Đầu tư", kind="so", aliases=("Sở KH&ĐT",), successor="STC"
    )
    current = agencies.Agency(code="STC", name="Sở Tài chính", kind="so")
    async with sm() as s, s.begin():
        province = await get_or_create_province(s, slug="phu-tho", name="Phú Thọ", timezone="Asia/Ho_Chi_Minh")
        stored = await sync_agencies(s, province=province, directory_agencies=[merged, current])
        assert stored["SKHDT"].successor_id == stored["STC"].id and not stored["SKHDT"].active
        assert stored["SKHDT"].search_key == "so ke hoach va dau tu|so kh&dt"


async def _seed(sm: SM) -> None:
    tasks = (
        *three_tasks(),
        task("4", "Chuyển đổi số", lead=("STTTT",), deadline=once(date(2024, 12, 31))),
        task("5", "Nhiệm vụ chưa rõ cơ quan", lead=(), deadline=once(date(2021, 10, 31))),
    )
    await import_in_tx(sm, plan_draft(tasks))
    await import_in_tx(
        sm,
        plan_draft(
            (task("1", "Số hoá hộ tịch", lead=("STP",), deadline=once(date(2025, 6, 30))),),
            number="18/KH-UBND",
            sha256="1" * 64,
        ),
    )
    # Same number in another province: must never show up in Phú Thọ's listings.
    await import_in_tx(sm, plan_draft(three_tasks(), sha256="2" * 64), province="tuyen-quang")


async def _rows(sm: SM, **filters: object) -> list[tuple[str, str, str | None, date | None]]:
    async with sm() as s:
        province = await get_province(s, slug="phu-tho")
        assert province is not None
        rows = await list_tasks(s, province=province, **filters)  # type: ignore[arg-type]
        return [(r.plan_number, r.ref, r.agency_code, r.due_on) for r in rows]


async def test_list_tasks_filters(sm: SM) -> None:
    await _seed(sm)
    everything = await _rows(sm)
    # Dated rows first (1 + 8 + 1 in 1782, 1 in 18), sorted by due date; then the tasks
    # without due items: the event task (3) and the task without a lead agency (5).
    assert len(everything) == 11 + 2
    assert everything[0] == ("1782/KH-UBND", "1", "STP", date(2021, 6, 30))
    assert everything[-2:] == [("1782/KH-UBND", "3", "VPUB", None), ("1782/KH-UBND", "5", None, None)]
    dated = [r[3] for r in everything[:-2]]
    assert dated == sorted(dated)  # type: ignore[type-var]

    assert await _rows(sm, agency="stp") == [
        ("1782/KH-UBND", "1", "STP", date(2021, 6, 30)),
        ("18/KH-UBND", "1", "STP", date(2025, 6, 30)),
    ]
    # By name, without diacritics, as typed on a phone.
    assert {r[2] for r in await _rows(sm, agency="so noi vu")} == {"SNV"}
    # The successor sees what its merged predecessor was given.
    assert await _rows(sm, agency="Sở Khoa học và Công nghệ") == [
        ("1782/KH-UBND", "4", "STTTT", date(2024, 12, 31))
    ]
    assert await _rows(sm, agency="không có cơ quan này") == []
    assert await _rows(sm, agency="VPUB") == [("1782/KH-UBND", "3", "VPUB", None)]

    assert await _rows(sm, due_before=date(2022, 1, 30)) == [
        ("1782/KH-UBND", "1", "STP", date(2021, 6, 30)),
        ("1782/KH-UBND", "2", "SNV", date(2022, 1, 30)),
        ("1782/KH-UBND", "2", "STC", date(2022, 1, 30)),
    ]
    assert await _rows(sm, plan_number="18/KH-UBND") == [("18/KH-UBND", "1", "STP", date(2025, 6, 30))]
    assert await _rows(sm, plan_number="18/KH-UBND", due_after=date(2025, 7, 1)) == []
    assert len(await _rows(sm, limit=3)) == 3


async def test_list_tasks_by_status(sm: SM) -> None:
    await _seed(sm)
    async with sm() as s, s.begin():
        item = await s.scalar(
            select(DueItem).join(Task, DueItem.task_id == Task.id).where(Task.ref == "4")
        )
        assert item is not None
        await change_status(s, item=item, status=Status.DONE, source=ChangeSource.COMMAND,
                            now=NOW, today=date(2025, 1, 3))
    done = await _rows(sm, statuses=[Status.DONE])
    assert done == [("1782/KH-UBND", "4", "STTTT", date(2024, 12, 31))]
    assert ("1782/KH-UBND", "4", "STTTT", date(2024, 12, 31)) not in await _rows(sm, open_only=True)

    async with sm() as s:
        province = await get_province(s, slug="phu-tho")
        assert province is not None
        rows = {r.ref: r for r in await list_tasks(s, province=province, plan_number="1782/KH-UBND")}
        assert rows["4"].category(date(2025, 6, 23)) is Category.DONE_LATE
        assert rows["1"].category(date(2025, 6, 23)) is Category.OVERDUE
        assert rows["3"].category(date(2025, 6, 23)) is Category.NO_DEADLINE
        assert rows["3"].needs_review == ("event_deadline",) and rows["1"].needs_review == ()


async def test_find_agencies_and_chats(sm: SM) -> None:
    await import_in_tx(sm, plan_draft(three_tasks()))
    async with sm() as s, s.begin():
        province = await get_province(s, slug="phu-tho")
        assert province is not None
        [vp] = await find_agencies(s, province=province, query="van phong uy ban nhan dan")
        assert vp.code == "VPUB"
        chat = await bind_chat(s, province=province, tg_chat_id=-1001234567890, role=ChatRole.AGENCY,
                               agency=vp, title="VP UBND", bound_by_tg_id=7, now=NOW)
        await bind_chat(s, province=province, tg_chat_id=555, role=ChatRole.AGENCY, agency=vp, now=NOW)
        with pytest.raises(ValueError):
            await bind_chat(s, province=province, tg_chat_id=1, role=ChatRole.AGENCY, now=NOW)
    async with sm() as s:
        again = await get_chat(s, tg_chat_id=-1001234567890)
        assert again is not None and again.id == chat.id and again.bound_at == NOW
        assert [c.tg_chat_id for c in await chats_for_agency(s, agency_id=vp.id)] == [-1001234567890, 555]
