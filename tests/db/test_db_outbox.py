"""The reminder tick and the outbox on SQLite and PostgreSQL: idempotent and race-safe queueing,
exclusive claims, the crash windows, unreachable and migrated chats."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from db_factories import event, import_in_tx, once, plan_draft, task
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import item_messages as item_messages_repo
from bot.db import outbox as outbox_repo
from bot.db import reminders as reminders_repo
from bot.db import status_changes as status_changes_repo
from bot.db.models import Chat, DueItem, Escalation, OutboxFile, OutboxMessage, Task
from bot.domain.admins import Admins
from bot.domain.calendar import WorkCalendar
from bot.domain.kinds import ChatRole, DueOrigin, OutboxKind, OutboxStatus
from bot.domain.reminders import ReminderPolicy
from bot.domain.status import ChangeSource, Status
from bot.services import outbox
from bot.services.reminders import collect_reminders, enqueue_reminders, preview, set_task_deadline

CAL = WorkCalendar(years=range(2024, 2027))
POLICY = ReminderPolicy()
TODAY = date(2025, 6, 23)  # Monday
NOW = datetime(2025, 6, 23, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
STP_A, STP_B, SNV, KHCN, LEADERS = -1001, -1002, -1003, -1004, -1009
ADMINS = {501, 502}  # 501 every province, 502 Phú Thọ's own; 503 administers another province
ADMIN_SETUP = Admins(everywhere=frozenset({501}), by_province={"phu-tho": frozenset({502}), "vinh-long": frozenset({503})})


def seed_tasks(extra: tuple = ()) -> tuple:
    return (
        task("1", "Số hoá dữ liệu hộ tịch <CSDL> & dân cư", lead=("STP",), deadline=once(date(2025, 6, 30))),
        task("2", "Rà soát văn bản QPPL", lead=("STP",), deadline=once(date(2025, 6, 20))),  # Fri: w=1 Monday
        task("3", "Kế hoạch CCHC năm", lead=("SNV", "STC"), deadline=once(date(2025, 6, 24))),
        task("4", "Không đến lượt hôm nay", lead=("STP",), deadline=once(date(2025, 7, 1))),
        task("5", "Chuyển đổi số (Sở TT&TT cũ)", lead=("STTTT",), deadline=once(date(2025, 6, 26))),
        task("6", "Phân tích Chỉ số PCI", lead=("VPUB",), deadline=event()),
        task("7", "Quá hạn lâu", lead=("SNV",), deadline=once(date(2025, 5, 29))),  # 25 days, w=18? see test
        *extra,
    )


async def seed(sm: async_sessionmaker[AsyncSession], *, extra: tuple = (), leaders: bool = False) -> None:
    await import_in_tx(sm, plan_draft(seed_tasks(extra)))
    async with sm() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert province is not None
        codes = await agencies_repo.agencies_by_code(s, province=province, codes=["STP", "SNV", "SKHCN"])
        for tg, code in ((STP_A, "STP"), (STP_B, "STP"), (SNV, "SNV"), (KHCN, "SKHCN")):
            await chats_repo.bind_chat(
                s, province=province, tg_chat_id=tg, role=ChatRole.AGENCY, now=NOW, agency=codes[code], title=f"Nhóm {code}"
            )
        if leaders:
            await chats_repo.bind_chat(s, province=province, tg_chat_id=LEADERS, role=ChatRole.LEADERS, now=NOW, title="Lãnh đạo")


async def tick(sm: async_sessionmaker[AsyncSession], on: date = TODAY, now: datetime = NOW):
    async with sm() as s, s.begin():
        return await enqueue_reminders(s, on_date=on, calendar=CAL, policy=POLICY, now=now)


async def rows(sm: async_sessionmaker[AsyncSession], **where: object) -> list[OutboxMessage]:
    async with sm() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        return list(await s.scalars(query))


async def tg_of(sm: async_sessionmaker[AsyncSession], chat_id: int | None) -> int | None:
    async with sm() as s:
        return await s.scalar(select(Chat.tg_chat_id).where(Chat.id == chat_id))


async def test_tick_queues_one_consolidated_message_per_chat_and_repeats_harmlessly(sm) -> None:
    await seed(sm)
    report = await tick(sm)
    assert report.working_day and report.queued == 4 and report.already == 0
    assert report.unreachable == ["Sở Tài chính"]  # task 3 has no chat for STC
    messages = await rows(sm, kind=OutboxKind.REMINDER)
    by_chat = {await tg_of(sm, m.chat_id): m for m in messages}
    assert set(by_chat) == {STP_A, STP_B, SNV, KHCN}
    stp = by_chat[STP_A]
    # Overdue first (task 2), then due soon (task 1 in 7 days); task 4 (8 days) is not today.
    assert "⛔ <b>Quá hạn</b>\n1. Rà soát văn bản QPPL" in stp.body
    assert "2. Số hoá dữ liệu hộ tịch &lt;CSDL&gt; &amp; dân cư" in stp.body
    assert "Hạn 30/06/2025 · còn 7 ngày" in stp.body and "quá hạn 3 ngày" in stp.body
    assert "Không đến lượt" not in stp.body
    assert stp.buttons == [[["✏️ 1", f"u:{stp.due_item_ids[0]}"], ["✏️ 2", f"u:{stp.due_item_ids[1]}"]]]
    assert by_chat[STP_B].body == stp.body and by_chat[STP_B].due_item_ids == stp.due_item_ids
    # The merged Sở TT&TT's item goes to its successor's chat.
    assert "chuyển từ Sở Thông tin và Truyền thông" in by_chat[KHCN].body
    assert all(m.status is OutboxStatus.PENDING and m.on_date == TODAY for m in messages)

    again = await tick(sm, now=NOW + timedelta(hours=3))
    assert again.queued == 0 and again.already == 4
    assert len(await rows(sm)) == 4


@pytest.mark.parametrize("ticks", [2, 4])
async def test_concurrent_ticks_never_queue_twice(sm, ticks: int) -> None:
    await seed(sm, extra=tuple(task(f"x{i}", f"Việc dài {i} " + "chữ " * 60, lead=("STP",), deadline=once(date(2025, 6, 30))) for i in range(40)))
    reports = await asyncio.gather(*(tick(sm) for _ in range(ticks)))
    messages = await rows(sm)
    keys = [(m.chat_id, m.on_date, m.kind, m.part) for m in messages]
    assert len(keys) == len(set(keys))
    assert sum(r.queued for r in reports) == len(messages)
    # 42 items for Sở Tư pháp: still ONE message per chat (the 10 most urgent, the rest counted).
    [stp] = [m for m in messages if await tg_of(sm, m.chat_id) == STP_A]
    assert (stp.part, stp.parts, stp.first_number, len(stp.due_item_ids)) == (0, 1, 1, 10)
    assert "… và <b>32</b> nhiệm vụ khác (32 sắp đến hạn)" in stp.body
    assert len({m.chat_id for m in messages}) == len(messages)


async def test_a_later_tick_never_adds_stray_parts(sm) -> None:
    await seed(sm)
    await tick(sm)
    # A plan imported at noon makes STP's list long; today's message was already queued.
    many = tuple(task(f"y{i}", "Việc mới " + "chữ " * 80, lead=("STP",), deadline=once(date(2025, 6, 30))) for i in range(30))
    await import_in_tx(sm, plan_draft(seed_tasks(many)))
    report = await tick(sm)
    assert report.already == 4 and report.queued == 0
    assert {m.part for m in await rows(sm)} == {0}


async def test_one_escalation_message_a_day_however_many_cross_the_line(sm) -> None:
    """Leaders get at most one alert a day: items that cross the line after it was queued
    (a plan imported at noon) wait for the next working day's alert; none is lost."""
    await seed(sm, leaders=True)
    assert (await tick(sm)).escalated == 1
    many = tuple(task(f"o{i}", f"Quá hạn mới {i}", lead=("STP", "SNV"), deadline=once(date(2025, 5, 2))) for i in range(30))
    await import_in_tx(sm, plan_draft(seed_tasks(many)))
    later = await tick(sm, now=NOW + timedelta(hours=3))
    assert later.escalated == 0 and len(await rows(sm, kind=OutboxKind.ESCALATION)) == 1
    tomorrow = await tick(sm, on=date(2025, 6, 24), now=NOW + timedelta(days=1))
    assert tomorrow.escalated == 60
    alerts = await rows(sm, kind=OutboxKind.ESCALATION)
    assert [(a.on_date, a.part, a.parts) for a in alerts] == [(TODAY, 0, 1), (date(2025, 6, 24), 0, 1)]
    assert "60 nhiệm vụ mới chuyển lãnh đạo, 2 cơ quan." in alerts[1].body
    assert "Sở Nội vụ 30 · Sở Tư pháp 30" in alerts[1].body


async def test_days_off_queue_nothing(sm) -> None:
    await seed(sm)
    for day in (date(2025, 6, 28), date(2025, 9, 2), date(2025, 1, 29)):
        report = await tick(sm, on=day)
        assert not report.working_day and report.queued == 0
    assert await rows(sm) == []


async def test_done_items_stop_and_extended_items_follow_the_new_date(sm) -> None:
    await seed(sm)
    async with sm() as s, s.begin():
        items = {
            t.ref: i
            for i, t in (await s.execute(select(DueItem, Task).join(Task, DueItem.task_id == Task.id))).all()
        }
        await status_changes_repo.change_status(s, item=items["2"], status=Status.DONE, source=ChangeSource.CHAT, now=NOW, today=TODAY)
        # Task 4 (due 01/07, not today) extended to 30/07: 30 days before the new date is Mon 30/06.
        await status_changes_repo.change_status(
            s, item=items["4"], status=Status.EXTENDED, source=ChangeSource.ADMIN, now=NOW, today=TODAY,
            new_due_on=date(2025, 7, 23),
        )
    await tick(sm)
    stp = [m for m in await rows(sm) if await tg_of(sm, m.chat_id) == STP_A][0]
    assert "Rà soát văn bản QPPL" not in stp.body  # done
    assert "Không đến lượt hôm nay <i>(KH 1782/KH-UBND · NV" in stp.body
    assert "Hạn 23/07/2025 (gia hạn từ 01/07/2025) · còn 30 ngày" in stp.body
    # On 16/07 (7 days before the new date 23/07) the extended item is reminded.
    day = await _collect(sm, date(2025, 7, 16))
    stp_group = next(g for g in day.groups if g.agency_name == "Sở Tư pháp")
    [extended] = [r for r in stp_group.reminders if r.item.task_ref == "4"]
    assert extended.item.due_on == date(2025, 7, 23) and extended.item.original_due_on == date(2025, 7, 1)


async def _collect(sm, on: date):
    async with sm() as s:
        return await collect_reminders(s, on_date=on, calendar=CAL, policy=POLICY)


async def test_escalation_alerts_leaders_once(sm) -> None:
    await seed(sm, leaders=True)
    first = await tick(sm)
    assert first.escalated == 1  # task 7: 25 days overdue (task 2 is only 3)
    [alert] = await rows(sm, kind=OutboxKind.ESCALATION)
    assert await tg_of(sm, alert.chat_id) == LEADERS
    assert "Quá hạn trên 14 ngày</b> — Thứ Hai, 23/06/2025" in alert.body and "Sở Nội vụ: Quá hạn lâu" in alert.body
    assert alert.buttons is None
    async with sm() as s:
        [file] = list(await s.scalars(select(OutboxFile).where(OutboxFile.outbox_id == alert.id)))
    assert file.filename == "qua-han-2025-06-23.xlsx" and file.data[:2] == b"PK"  # an .xlsx (zip) file
    await tick(sm)
    await tick(sm, on=date(2025, 6, 24), now=NOW + timedelta(days=1))
    assert len(await rows(sm, kind=OutboxKind.ESCALATION)) == 1
    async with sm() as s:
        assert await s.scalar(select(func.count()).select_from(Escalation)) == 1
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert len(await reminders_repo.escalated_due_item_ids(s, province_id=province.id)) == 1


async def test_claims_are_exclusive_between_concurrent_senders(sm) -> None:
    await seed(sm, extra=tuple(task(f"z{i}", lead=("SNV",), deadline=once(date(2025, 6, 30))) for i in range(3)))
    await tick(sm)
    total = len(await rows(sm))

    async def claim(worker: str) -> list[int]:
        got: list[int] = []
        while True:
            async with sm() as s, s.begin():
                batch = await outbox_repo.claim_telegram(s, worker=worker, now=NOW, lease=timedelta(minutes=2), limit=1)
            if not batch:
                return got
            got += [c.id for c in batch]

    a, b, c = await asyncio.gather(claim("a"), claim("b"), claim("c"))
    assert sorted(a + b + c) == sorted(m.id for m in await rows(sm)) and len(a + b + c) == total


async def test_crash_windows_claimed_and_sending_are_both_sent_again(sm) -> None:
    await seed(sm)
    await tick(sm)
    lease = timedelta(seconds=20)
    async with sm() as s, s.begin():
        claimed = await outbox_repo.claim_telegram(s, worker="dead", now=NOW, lease=lease, limit=10)
    assert len(claimed) == 4 and all(c.address in (STP_A, STP_B, SNV, KHCN) for c in claimed)
    first, second, *_ = claimed
    async with sm() as s, s.begin():
        assert await outbox_repo.mark_sending(s, outbox_id=first.id, worker="dead", now=NOW, lease=lease)
        assert not await outbox_repo.mark_sending(s, outbox_id=second.id, worker="other", now=NOW, lease=lease)
    # A live sender's heartbeat keeps its leases: nothing changes hands while it beats.
    async with sm() as s, s.begin():
        assert await outbox_repo.renew_leases(s, worker="dead", until=NOW + timedelta(seconds=35)) == 4
        assert await outbox_repo.renew_leases(s, worker="nobody", until=NOW + timedelta(seconds=35)) == 0
        assert await outbox_repo.expire_leases(s, now=NOW + timedelta(seconds=30), error=outbox.LEASE_LOST) == (0, 0)
        assert await outbox_repo.claim_telegram(s, worker="alive", now=NOW + timedelta(seconds=30), lease=lease, limit=10) == []
    # The process died (no more beats): within one lease every row it held is due again,
    # the one it was sending too (at least once: it may arrive twice).
    later = NOW + timedelta(seconds=36)
    async with sm() as s, s.begin():
        assert await outbox_repo.expire_leases(s, now=later, error=outbox.LEASE_LOST) == (3, 1)
        again = await outbox_repo.claim_telegram(s, worker="alive", now=later, lease=lease, limit=10)
    assert sorted(c.id for c in again) == sorted(c.id for c in claimed)
    [resent] = [c for c in again if c.id == first.id]
    assert resent.attempts == 1  # the attempt that died counts
    # The dead worker's late success cannot touch rows it no longer owns.
    async with sm() as s, s.begin():
        assert not await outbox_repo.mark_sent(s, outbox_id=second.id, worker="dead", now=later, message_id=1, tg_chat_id=STP_B)
        assert await outbox_repo.mark_sending(s, outbox_id=second.id, worker="alive", now=later, lease=lease)
        assert await outbox_repo.mark_sent(s, outbox_id=second.id, worker="alive", now=later, message_id=7, tg_chat_id=STP_B)
    [done] = await rows(sm, id=second.id)
    assert done.status is OutboxStatus.SENT and done.tg_message_id == 7 and done.attempts == 1


async def test_unreachable_chat_is_deactivated_and_admins_told_once(sm) -> None:
    await seed(sm)
    await tick(sm)
    async with sm() as s:
        snv_chat = await chats_repo.get_chat(s, tg_chat_id=SNV)
    async with sm() as s, s.begin():
        assert await outbox.chat_unreachable(
            s, chat_id=snv_chat.id, error="Forbidden: bot was kicked from the group chat",
            on_date=TODAY, now=NOW, admins=ADMIN_SETUP,
        )
        assert not await outbox.chat_unreachable(
            s, chat_id=snv_chat.id, error="Forbidden: bot was kicked from the group chat",
            on_date=TODAY, now=NOW, admins=ADMIN_SETUP,
        )
    notices = await rows(sm, kind=OutboxKind.UNREACHABLE)
    assert sorted(n.admin_tg_id for n in notices) == sorted(ADMINS)
    assert all("bot đã bị xoá khỏi nhóm" in n.body and "Sở Nội vụ" in n.body for n in notices)
    [snv_row] = await rows(sm, chat_id=snv_chat.id)
    assert snv_row.status is OutboxStatus.FAILED and "kicked" in (snv_row.error or "")
    async with sm() as s:
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert [a.code for a in await agencies_repo.unreachable_agencies(s, province_id=province.id)] == ["SNV"]
    # The next working day the lost chat is not queued; SNV is reported without a chat.
    report = await tick(sm, on=date(2025, 6, 24), now=NOW + timedelta(days=1))
    assert "Sở Nội vụ" in report.unreachable


async def test_readdress_follows_a_migrated_group(sm) -> None:
    await seed(sm)
    await tick(sm)
    async with sm() as s, s.begin():
        [row] = [c for c in await outbox_repo.claim_telegram(s, worker="w", now=NOW, lease=timedelta(minutes=2), limit=10) if c.address == STP_A]
        assert await outbox_repo.mark_sending(s, outbox_id=row.id, worker="w", now=NOW, lease=timedelta(minutes=2))
        assert await outbox.readdress(
            s, outbox_id=row.id, worker="w", chat_id=row.chat_id, new_tg_chat_id=-100_777, now=NOW
        ) == "readdressed"
    async with sm() as s:
        assert await chats_repo.get_chat(s, tg_chat_id=-100_777) is not None
        assert await chats_repo.get_chat(s, tg_chat_id=STP_A) is None
    [moved] = await rows(sm, id=row.id)
    assert moved.status is OutboxStatus.PENDING and moved.tg_chat_id == -100_777


async def test_reminder_numbers_map_replies_to_items(sm) -> None:
    await seed(sm)
    await tick(sm)
    [stp] = [m for m in await rows(sm) if await tg_of(sm, m.chat_id) == STP_A]
    async with sm() as s, s.begin():
        [claimed] = [c for c in await outbox_repo.claim_telegram(s, worker="w", now=NOW, lease=timedelta(minutes=2), limit=10) if c.id == stp.id]
        await outbox_repo.mark_sending(s, outbox_id=stp.id, worker="w", now=NOW, lease=timedelta(minutes=2))
        await outbox_repo.mark_sent(s, outbox_id=stp.id, worker="w", now=NOW, message_id=42, tg_chat_id=STP_A)
    async with sm() as s:
        numbers = await item_messages_repo.reminder_numbers(s, tg_chat_id=STP_A, message_id=42)
        assert numbers == {1: stp.due_item_ids[0], 2: stp.due_item_ids[1]}
        assert await item_messages_repo.reminder_numbers(s, tg_chat_id=STP_A, message_id=43) is None


async def test_dathan_gives_an_event_task_a_date_that_is_then_reminded(sm) -> None:
    await seed(sm)
    async with sm() as s:
        task_id = await s.scalar(select(Task.id).where(Task.ref == "6"))
        missing = await s.scalar(select(func.max(Task.id))) + 100
    async with sm() as s, s.begin():
        result = await set_task_deadline(s, task_id=task_id, due_on=date(2025, 6, 24), now=NOW, actor_tg_id=501, actor_name="QT")
        assert result.problem is None and result.created == ["Văn phòng UBND tỉnh"]
        again = await set_task_deadline(s, task_id=task_id, due_on=date(2025, 6, 24), now=NOW, actor_tg_id=501, actor_name="QT")
        assert again.created == [] and again.existing == ["Văn phòng UBND tỉnh"]
        assert (await set_task_deadline(s, task_id=missing, due_on=TODAY, now=NOW, actor_tg_id=1, actor_name="x")).problem
    async with sm() as s:
        [item] = list(await s.scalars(select(DueItem).where(DueItem.task_id == task_id)))
        assert item.origin is DueOrigin.ADMIN and item.due_on == item.original_due_on == date(2025, 6, 24)
        [change] = await status_changes_repo.history(s, due_item_id=item.id)
        assert change.source is ChangeSource.ADMIN and change.actor_tg_id == 501
    day = await _collect(sm, TODAY)  # due tomorrow: "1 day before"
    vpub = next(g for g in day.groups if g.agency_name == "Văn phòng UBND tỉnh")
    assert [r.item.task_ref for r in vpub.reminders] == ["6"] and not vpub.reachable


async def test_preview_lists_each_day_without_writing(sm) -> None:
    await seed(sm)
    async with sm() as s:
        days = await preview(s, first=date(2025, 6, 27), days=4, calendar=CAL, policy=POLICY, agency="tư pháp")
    assert [(d.on_date.day, d.working_day) for d in days] == [(27, True), (28, False), (29, False), (30, True)]
    friday = days[0]
    assert [m.agency_name for m in friday.messages] == ["Sở Tư pháp"]
    assert friday.messages[0].chats == ["Nhóm STP", "Nhóm STP"]
    assert await rows(sm) == []
