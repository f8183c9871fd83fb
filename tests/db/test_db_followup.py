"""Following up in the database (SQLite and PostgreSQL): a task reaching one agency through a
merged predecessor is one reminder line, answered once for both items; the latest reminder
of a chat (for "5 xong" typed without replying)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from db_factories import import_in_tx, once, plan_draft, task
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_db_status import env

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import followup
from bot.db import status_changes as status_changes_repo
from bot.db.models import Agency, DueItem, OutboxMessage, StatusChange
from bot.db.retry import begin_write
from bot.domain.calendar import WorkCalendar
from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
from bot.domain.reminders import ReminderPolicy
from bot.domain.replies import ChangeKind, Intent
from bot.domain.status import ChangeSource, Status
from bot.services import status as svc
from bot.services.reminders import collect_reminders, enqueue_reminders

TODAY = date(2025, 6, 23)
NOW = datetime(2025, 6, 23, 2, 0, tzinfo=UTC)
KHCN = -2001


async def _seed(sm: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    await import_in_tx(sm, plan_draft((
        # Led by Sở KH&CN and by the merged Sở TT&TT: both items now reach Sở KH&CN.
        task("1", "Chuyển đổi số", lead=("SKHCN", "STTTT"), deadline=once(date(2025, 6, 30))),
        task("2", "Việc riêng của Sở TT&TT cũ", lead=("STTTT",), deadline=once(date(2025, 6, 30))),
        task("3", "Cùng hạn, cơ quan khác", lead=("SKHCN", "STP"), deadline=once(date(2025, 6, 30))),
    )))
    async with sm() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert province is not None
        ids = {a.code: a.id for a in await s.scalars(select(Agency))}
        khcn = await s.get(Agency, ids["SKHCN"])
        await chats_repo.bind_chat(s, province=province, tg_chat_id=KHCN, role=ChatRole.AGENCY, now=NOW, agency=khcn, title="KH&CN")
    return ids


async def test_a_task_reaching_an_agency_twice_is_one_line_and_one_answer(sm: async_sessionmaker[AsyncSession]) -> None:
    ids = await _seed(sm)
    async with sm() as s:
        day = await collect_reminders(s, on_date=TODAY, calendar=WorkCalendar(years=range(2024, 2027)), policy=ReminderPolicy())
    [group] = [g for g in day.groups if g.agency_id == ids["SKHCN"]]
    titles = [r.item.title for r in group.reminders]
    assert titles.count("Chuyển đổi số") == 1 and len(titles) == 3
    [line] = [r for r in group.reminders if r.item.title == "Chuyển đổi số"]
    assert line.item.agency_id == ids["SKHCN"] and len(line.twin_ids) == 1 and line.inherited_from is None

    async with sm() as s, s.begin():
        await begin_write(s)
        e = await env(s, ids["SKHCN"])
        outcome = await svc.apply(s, e, due_item_id=line.item.due_item_id, intent=Intent(ChangeKind.DONE))
    assert outcome.recorded is not None
    async with sm() as s:
        [twin] = list(await s.scalars(select(DueItem).where(DueItem.id == line.twin_ids[0])))
        assert twin.status is Status.DONE and twin.completed_on == TODAY
        [note] = [c for c in await status_changes_repo.history(s, due_item_id=twin.id) if c.source is not ChangeSource.IMPORT]
        assert note.new_status is Status.DONE and "Ghi nhận cùng NV" in (note.note or "")
        # Another agency's item of a task led jointly (Sở Tư pháp) is not a twin: still open.
        third = await s.scalar(select(DueItem).join(Agency, DueItem.agency_id == Agency.id).where(Agency.code == "STP"))
        assert third is not None and third.status is Status.PENDING
        assert await s.scalar(select(StatusChange.id).where(StatusChange.due_item_id == third.id, StatusChange.source != ChangeSource.IMPORT)) is None


async def test_latest_reminder_of_a_chat(sm: async_sessionmaker[AsyncSession]) -> None:
    await _seed(sm)
    calendar, policy = WorkCalendar(years=range(2024, 2027)), ReminderPolicy()
    async with sm() as s:
        assert await followup.latest_reminder_message(s, tg_chat_id=KHCN) is None
    for day, message_id in ((date(2025, 6, 16), 70), (TODAY, 71)):
        async with sm() as s, s.begin():
            await enqueue_reminders(s, on_date=day, calendar=calendar, policy=policy, now=NOW)
        async with sm() as s, s.begin():
            row = await s.scalar(select(OutboxMessage).where(OutboxMessage.on_date == day, OutboxMessage.kind == OutboxKind.REMINDER))
            assert row is not None
            row.status, row.tg_message_id, row.sent_at = OutboxStatus.SENT, message_id, NOW
    async with sm() as s:
        assert await followup.latest_reminder_message(s, tg_chat_id=KHCN) == 71
        assert await followup.latest_reminder_message(s, tg_chat_id=-1) is None
