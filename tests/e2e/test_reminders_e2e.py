"""The reminder engine end to end: the real Application (bot.app.build_application, with the
AIORateLimiter and scheduler.register) against the fake Bot API server, the Phú Thọ sample
plan imported with the real parser, a clock the tests control.

Monday 23/06/2025 is the day of DESIGN.md's examples; the sample plan has reminders that day
for many agencies. Polling is not started: reminders need no updates, and a migrated group
must be found by the sender itself (not by the migration service message).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import status_changes as status_changes_repo
from bot.db.models import OutboxMessage, ReminderRun
from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
from scheduler.reminders import (
    CATCH_UP_JOB,
    DAILY_JOB,
    OUTBOX_JOB,
    ReminderEngine,
    engine_for,
)
from tests.fakebot import FakeBotApi, SentMessage
from tests.timing import Clock, until

ICT = timedelta(hours=7)
MONDAY_0800 = datetime(2025, 6, 23, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
ADMIN, ADMIN2 = 500_001, 500_002
STP, SNV, KHCN, LEADERS = -4_200_000_001, -4_200_000_002, -4_200_000_003, -4_200_000_004
SUPERGROUP = -1_004_200_000_001



@dataclass
class World:
    server: FakeBotApi
    sm: async_sessionmaker[AsyncSession]
    url: str
    clock: Clock

    def settings(self, **overrides: Any) -> Any:
        from bot.config import load_settings

        values: dict[str, Any] = {
            "province": "phu-tho", "reminder_time": "08:00", "outbox_interval": 0.5,
            "admin_ids": f"{ADMIN},{ADMIN2}",
        }
        values.update(overrides)
        return load_settings(
            telegram_bot_token=self.server.token, telegram_api_url=self.server.url, database_url=self.url, **values
        )

    async def start(self, *, polling: bool = False, **overrides: Any) -> Any:
        """A running bot: initialize, post_init (migrations, menus), start (and poll if asked)."""
        from bot.app import build_application
        from bot.catalog import Catalog

        settings = self.settings(**overrides)
        app = build_application(settings, sessionmaker=self.sm, catalog=Catalog(settings.data_dir), clock=self.clock)
        await app.initialize()
        await app.post_init(app)
        await app.start()
        if polling:
            await app.updater.start_polling(poll_interval=0, timeout=1)
        return app

    @staticmethod
    async def stop(app: Any) -> None:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def bind(self, tg_chat_id: int, code: str | None, *, title: str | None = None) -> None:
        async with self.sm() as s, s.begin():
            province = await agencies_repo.get_province(s, slug="phu-tho")
            agency = await agencies_repo.get_agency_by_code(s, province_id=province.id, code=code) if code else None
            await chats_repo.bind_chat(
                s, province=province, tg_chat_id=tg_chat_id, now=MONDAY_0800, agency=agency,
                role=ChatRole.AGENCY if code else ChatRole.LEADERS, title=title or f"Nhóm {code or 'lãnh đạo'}",
            )

    async def rows(self, **where: Any) -> list[OutboxMessage]:
        async with self.sm() as s:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            for key, value in where.items():
                query = query.where(getattr(OutboxMessage, key) == value)
            return list(await s.scalars(query))

    async def settled(self) -> list[OutboxMessage] | None:
        """All rows final (nothing pending, claimed or sending), else None."""
        rows = await self.rows()
        open_ = [r for r in rows if r.status in (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.SENDING)]
        return None if open_ or not rows else rows

    def reminders_in(self, chat_id: int, day: str = "") -> list[SentMessage]:
        """Reminders the chat received (dated `day`, dd/mm/yyyy, when given)."""
        return [m for m in self.server.messages_in(chat_id) if is_reminder(m, day)]


def is_reminder(message: SentMessage, day: str = "") -> bool:
    lines = (message.text or "").splitlines()
    return len(lines) > 1 and lines[0].startswith("🔔 Nhắc việc") and lines[1].endswith(day)


@pytest.fixture
async def world(
    fake_bot_api: FakeBotApi, bot_db_url: str, bot_sm: async_sessionmaker[AsyncSession], clock: Clock,
    sample_plan: tuple[Any, Any],
) -> World:
    """The sample plan imported (the real parser, parsed once per run), four chats known to
    the fake server (none bound yet), the clock 30 s before Monday's 08:00."""
    from bot.services.plans import store_draft

    server = fake_bot_api
    for user in (ADMIN, ADMIN2):
        server.add_user(user, f"Quản trị {user}")
    for chat_id, title in ((STP, "Sở Tư pháp"), (SNV, "Sở Nội vụ <CCHC>"), (KHCN, "Sở KH&CN"), (LEADERS, "Lãnh đạo tỉnh")):
        server.add_chat(chat_id, title=title, members=[ADMIN])
    catalog, draft = sample_plan
    async with bot_sm() as s, s.begin():
        await store_draft(s, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="test")
    clock.jump(MONDAY_0800 - timedelta(seconds=30))
    return World(server, bot_sm, bot_db_url, clock)


async def run_job(app: Any, name: str) -> None:
    """Make a scheduled job fire now, through APScheduler itself (the real trigger path)."""
    [job] = app.job_queue.get_jobs_by_name(name)
    job.job.modify(next_run_time=datetime.now(UTC) + timedelta(milliseconds=50))


async def test_daily_reminders_at_the_configured_time_once_to_the_right_chats(world: World) -> None:
    """The "done when": imported plan + bound chats → each working day's reminders at 08:00,
    once, to the right chats (a merged agency's items to its successor's chat)."""
    await world.bind(STP, "so-tu-phap")
    await world.bind(SNV, "so-noi-vu")
    await world.bind(KHCN, "so-khoa-hoc-cong-nghe")  # Sở KH&CN: successor of the merged Sở TT&TT
    app = await world.start()
    try:
        engine = engine_for(app)
        assert isinstance(engine, ReminderEngine)
        [daily] = app.job_queue.get_jobs_by_name(DAILY_JOB)
        trigger = str(daily.job.trigger)
        assert "hour='8'" in trigger and "minute='0'" in trigger
        assert str(daily.job.trigger.timezone) == "Asia/Ho_Chi_Minh"
        assert daily.job.misfire_grace_time >= 3600
        assert app.job_queue.get_jobs_by_name(OUTBOX_JOB)
        # 07:59:30: the start-up catch-up ran and found it too early.
        await until(lambda: _async(not app.job_queue.get_jobs_by_name(CATCH_UP_JOB)), what="catch-up done")
        assert await world.rows() == [] and world.server.sent == []

        await run_job(app, DAILY_JOB)  # 08:00
        sent = await until(world.settled, what="Monday's reminders sent")
        assert {m.status for m in sent} == {OutboxStatus.SENT}
        for chat_id, name in ((STP, "Sở Tư pháp"), (SNV, "Sở Nội vụ"), (KHCN, "Sở Khoa học và Công nghệ")):
            [message] = world.reminders_in(chat_id)
            assert message.text.startswith(f"🔔 Nhắc việc — {name}\nThứ Hai, 23/06/2025")
            assert message.callback_data and all(d.startswith("u:") for d in message.callback_data)
        assert all(m.tg_message_id for m in sent)
        # Nothing for chats not bound, nothing to the admins.
        assert {m.chat_id for m in world.server.sent} == {STP, SNV, KHCN}

        # The same day again (the job re-fires, the outbox job keeps ticking): nothing more.
        await run_job(app, DAILY_JOB)
        await until(lambda: _runs(world, date(2025, 6, 23), 2), what="second tick")
        await until(lambda: _async(engine._drain_task is None or engine._drain_task.done()), what="sender idle")
        assert Counter(m.chat_id for m in world.server.sent) == {STP: 1, SNV: 1, KHCN: 1}

        # Saturday: a day off, no reminders at all.
        world.clock.jump(datetime(2025, 6, 28, 1, 0, tzinfo=UTC))
        await run_job(app, DAILY_JOB)
        await until(lambda: _runs(world, date(2025, 6, 28), 1), what="Saturday's tick")
        assert len(world.server.sent) == 3

        # Monday 30/06: the next working day's reminders, once more per chat.
        world.clock.jump(datetime(2025, 6, 30, 1, 0, tzinfo=UTC))
        await run_job(app, DAILY_JOB)
        await until(lambda: _runs(world, date(2025, 6, 30), 1), what="next Monday's tick")
        await until(world.settled, what="next Monday's reminders sent")
        queued = {r.tg_chat_id for r in await world.rows(on_date=date(2025, 6, 30))}
        assert queued  # the sample plan has reminders for some of these agencies that day
        for chat_id in (STP, SNV, KHCN):
            assert len(world.reminders_in(chat_id, "30/06/2025")) == (1 if chat_id in queued else 0)
    finally:
        await world.stop(app)


async def _async(value: Any) -> Any:
    return value


async def _runs(world: World, day: date, runs: int) -> bool:
    async with world.sm() as s:
        row = await s.get(ReminderRun, day)
        return row is not None and row.runs >= runs


async def _count(world: World, predicate: Callable[[SentMessage], bool], count: int) -> bool:
    return sum(1 for m in world.server.sent if predicate(m)) >= count


async def test_catch_up_at_start_up_sends_todays_reminders_once(world: World, no_error_logs: Any) -> None:
    await world.bind(STP, "so-tu-phap")
    await world.bind(SNV, "so-noi-vu")
    world.clock.jump(MONDAY_0800 + timedelta(hours=2, minutes=17))  # the bot was down at 08:00
    app = await world.start()
    try:
        await until(world.settled, what="catch-up sent")
    finally:
        await world.stop(app)
    assert Counter(m.chat_id for m in world.server.sent) == {STP: 1, SNV: 1}

    # Restarted the same day: the catch-up runs again and sends nothing.
    app = await world.start()
    try:
        await until(lambda: _runs(world, date(2025, 6, 23), 2), what="second catch-up")
        await until(lambda: _async(engine_for(app)._drain_task is None or engine_for(app)._drain_task.done()))
    finally:
        await world.stop(app)
    assert Counter(m.chat_id for m in world.server.sent) == {STP: 1, SNV: 1}


async def test_start_up_ticks_once_even_when_the_outbox_job_fires_first(world: World) -> None:
    """The outbox job (every 0.5 s) fires before the start-up catch-up (put 1.2 s after the
    start, as a slow start-up can make it): it leaves the day's tick to the catch-up
    instead of ticking too."""
    from bot.app import build_application
    from bot.catalog import Catalog

    await world.bind(STP, "so-tu-phap")
    world.clock.jump(MONDAY_0800 + timedelta(hours=1))
    settings = world.settings()
    app = build_application(settings, sessionmaker=world.sm, catalog=Catalog(settings.data_dir), clock=world.clock)
    await app.initialize()
    await app.post_init(app)
    [catch_up] = app.job_queue.get_jobs_by_name(CATCH_UP_JOB)
    catch_up.job.modify(next_run_time=datetime.now(UTC) + timedelta(seconds=1.2))
    await app.start()
    try:
        await until(lambda: _runs(world, date(2025, 6, 23), 1), what="the day's tick")
        await until(world.settled, what="catch-up sent")
        await asyncio.sleep(1.5)  # three more outbox intervals
    finally:
        await world.stop(app)
    async with world.sm() as s:
        run = await s.get(ReminderRun, date(2025, 6, 23))
    assert run is not None and run.runs == 1, run.runs
    assert Counter(m.chat_id for m in world.server.sent) == {STP: 1}


async def test_a_slow_database_does_not_make_the_outbox_job_overrun(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """While the outbox job's check waits on the database (here: reminder_runs locked for
    3 s, 6 intervals), APScheduler must not skip runs with "maximum number of running
    instances reached": the job only starts the check and returns."""
    import logging

    from sqlalchemy import text

    if not world.url.startswith("postgresql"):
        pytest.skip("SQLite in WAL mode never blocks the job's read")
    await world.bind(STP, "so-tu-phap")
    world.clock.jump(MONDAY_0800 + timedelta(hours=1))
    app = await world.start(outbox_interval=0.5)
    try:
        await until(world.settled, what="catch-up sent")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            async with world.sm() as s, s.begin():
                await s.execute(text("LOCK TABLE reminder_runs IN ACCESS EXCLUSIVE MODE"))
                await asyncio.sleep(3)
            await asyncio.sleep(0.6)
    finally:
        await world.stop(app)
    skipped = [r.getMessage() for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert skipped == []


async def test_migrated_group_is_readdressed_and_kicked_bot_reported_once(world: World) -> None:
    await world.bind(STP, "so-tu-phap")
    await world.bind(SNV, "so-noi-vu")
    await world.bind(LEADERS, None)
    # STP's basic group became a supergroup while the bot was not looking; the bot was removed
    # from SNV's group without the update reaching it.
    world.server.migrate_chat(STP, SUPERGROUP)
    world.server.kick_bot(SNV, notify=False)
    world.clock.jump(MONDAY_0800 + timedelta(minutes=5))
    app = await world.start()
    try:
        rows = await until(world.settled, what="all delivered or failed")
    finally:
        await world.stop(app)

    # Migrated: sent to the supergroup; the binding follows it.
    [reminder] = world.reminders_in(SUPERGROUP)
    assert reminder.text.startswith("🔔 Nhắc việc — Sở Tư pháp")
    assert world.reminders_in(STP) == []
    async with world.sm() as s:
        assert (await chats_repo.get_chat(s, tg_chat_id=SUPERGROUP)) is not None
        snv_chat = await chats_repo.get_chat(s, tg_chat_id=SNV)
        assert snv_chat is not None and not snv_chat.active
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert [a.code for a in await agencies_repo.unreachable_agencies(s, province_id=province.id)] == ["so-noi-vu"]
    [stp_row] = [r for r in rows if r.tg_chat_id == SUPERGROUP and r.kind is OutboxKind.REMINDER]
    assert stp_row.status is OutboxStatus.SENT and stp_row.tg_message_id == reminder.message_id
    # Kicked: the row failed with Telegram's reason (kept), each admin was told once.
    [snv_row] = [r for r in rows if r.chat_id == snv_chat.id]
    assert snv_row.status is OutboxStatus.FAILED and "kicked" in (snv_row.error or "")
    for admin in (ADMIN, ADMIN2):
        [notice] = world.server.messages_in(admin)
        assert "Không gửi được nhắc việc" in notice.text and "Sở Nội vụ" in notice.text
    # The leaders got the once-only escalation alert (the sample plan has old overdue items).
    # One message: the Excel file with the counts and the worst items as its caption.
    [alert] = [m for m in world.server.messages_in(LEADERS) if (m.text or m.caption or "").startswith("🚨")]
    assert alert.method == "sendDocument" and (alert.caption or "").startswith("🚨 Quá hạn trên 14 ngày — Thứ Hai, 23/06/2025")
    assert alert.document is not None and alert.document[:2] == b"PK"

    # The next working day: no attempt at the lost chat, no second notice, no second alert
    # for the same items.
    world.clock.jump(MONDAY_0800 + timedelta(days=1, minutes=1))
    def alerts() -> int:
        return sum((m.text or m.caption or "").startswith("🚨") for m in world.server.messages_in(LEADERS))

    before = alerts()
    app = await world.start()
    try:
        await until(lambda: _runs(world, date(2025, 6, 24), 1), what="Tuesday's tick")
        await until(world.settled, what="Tuesday delivered")
    finally:
        await world.stop(app)
    assert [r.status for r in world.server.calls("sendMessage") if r.params.get("chat_id") in (SNV, str(SNV))].count(403) == 1
    assert len(world.server.messages_in(ADMIN)) == 1
    assert len(world.reminders_in(SUPERGROUP)) == 2
    # Only items crossing 14 days today. Alerts only: Monday's weekly digest, built in a child
    # process, may reach the leaders' chat on Tuesday when the machine was too busy on Monday.
    assert alerts() - before <= 1


async def test_restart_mid_fan_out_with_flood_limits_and_429s(world: World) -> None:
    """60 chats, Telegram's flood limits on, a 429 storm at the start, the process killed
    while three messages are in flight (delivered, answer not yet back), then restarted:
    every chat gets its reminder; the in-flight ones are sent again (at least once), so only
    they may arrive twice."""
    world.server.set_rate_limits(True)
    chats = await _bind_many(world, 60, -4_300_000_000)
    world.server.fail_next("sendMessage", 429, retry_after=1, times=3)  # beyond the limiter's 2 retries
    world.clock.jump(MONDAY_0800 + timedelta(seconds=5))
    app = await world.start()
    crashed = False
    try:
        await world.server.wait_for(lambda: len(world.server.sent) >= 15, timeout=20, message="fan-out started")
        world.server.delay_next("sendMessage", 2.0, times=3, deliver=True)
        await world.server.wait_for(
            lambda: sum("delayed" in (r.description or "") for r in world.server.calls("sendMessage")) == 3,
            timeout=20, message="three answers held back",
        )
        engine = engine_for(app)
        engine._drain_task.cancel()  # kill -9: nothing more is written to the database
        with pytest.raises(asyncio.CancelledError):
            await engine._drain_task
        crashed = True
    finally:
        await world.stop(app)
    assert crashed
    in_flight = [r for r in await world.rows() if r.status is OutboxStatus.SENDING]
    assert len(in_flight) >= 3

    world.clock.jump(MONDAY_0800 + timedelta(minutes=1))  # one lease (20 s) later
    app = await world.start()
    try:
        rows = await until(world.settled, timeout=30, what="fan-out finished after restart")
    finally:
        await world.stop(app)

    per_chat = Counter(m.chat_id for m in world.server.sent if (m.text or "").startswith("🔔"))
    assert set(per_chat) == set(chats), "a reminder lost"
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    twice = {c for c, n in per_chat.items() if n > 1}
    assert max(per_chat.values()) <= 2
    assert twice <= {r.tg_chat_id for r in in_flight}  # duplicates only within the in-flight window
    assert sum(1 for r in world.server.calls("sendMessage") if r.status == 429) >= 3
    # The three whose answers were held back had arrived and were sent again.
    held = {int(r.params["chat_id"]) for r in world.server.calls("sendMessage") if "delayed" in (r.description or "")}
    assert len(held) == 3 and held <= twice
    # Evenly paced sends keep what a crash can double to about a round trip's worth.
    assert len(in_flight) <= 8


async def _bindable_agencies(world: World) -> list[str]:
    """Agencies with reminders on Monday 23/06/2025 in the sample plan."""
    from bot.services.reminders import (
        calendar_from_settings,
        collect_reminders,
        policy_from_settings,
    )

    settings = world.settings()
    async with world.sm() as s:
        day = await collect_reminders(
            s, on_date=date(2025, 6, 23), calendar=calendar_from_settings(settings), policy=policy_from_settings(settings)
        )
        codes = []
        for group in day.groups:
            agency = await agencies_repo.get_agency(s, agency_id=group.agency_id)
            codes.append(agency.code)
    assert len(codes) >= 10
    return codes


async def test_dathan_gives_an_event_task_a_date_and_it_is_reminded(world: World) -> None:
    """/dathan NV<id> <ngày> (admins only) → due items for the lead agencies → reminders."""
    from telegram.ext import CommandHandler

    import handlers.deadlines
    from bot.db.models import Agency, DueItem, Task, TaskAgency
    from bot.domain.kinds import DueOrigin, LinkRole

    async with world.sm() as s:
        task_id, agency_id, code = (
            await s.execute(
                select(Task.id, Agency.id, Agency.code)
                .join(TaskAgency, (TaskAgency.task_id == Task.id) & (TaskAgency.role == LinkRole.LEAD))
                .join(Agency, TaskAgency.agency_id == Agency.id)
                .where(Task.deadline_kind == "event")
                .order_by(Task.id)
                .limit(1)
            )
        ).one()
    await world.bind(STP, code)
    world.server.add_user(600_001, "Đầu mối")
    world.clock.jump(MONDAY_0800 - timedelta(hours=1))  # 07:00: before the reminders
    app = await world.start(polling=True)
    try:
        if not any(isinstance(h, CommandHandler) and "dathan" in h.commands for h in app.handlers.get(0, [])):
            # Stand-in for the registry line (handlers.registry: deadlines.register before the
            # private-chat fallback), until the lead wires it.
            handlers.deadlines.register(app)
            app.handlers[0].insert(0, app.handlers[0].pop())
        world.server.send_text(600_001, 600_001, f"/dathan NV{task_id} 24/06/2025")
        [refused] = await world.server.wait_for_sent(600_001)
        assert "Chỉ quản trị viên" in refused.text
        world.server.send_text(ADMIN, ADMIN, "/dathan NV999999 24/06/2025")
        world.server.send_text(ADMIN, ADMIN, f"/dathan NV{task_id} 24/06/2025")
        missing, done = await world.server.wait_for_sent(ADMIN, 2)
        assert "Không tìm thấy nhiệm vụ NV999999" in missing.text
        assert done.text.startswith(f"🗓 Đặt hạn 24/06/2025 cho NV{task_id}")
        async with world.sm() as s:
            [item] = list(await s.scalars(select(DueItem).where(DueItem.task_id == task_id, DueItem.agency_id == agency_id)))
            assert item.origin is DueOrigin.ADMIN and item.due_on == date(2025, 6, 24)
        # Tuesday 24/06: due today, so first in the day's one message (before the overdue items).
        world.clock.jump(MONDAY_0800 + timedelta(days=1))
        await run_job(app, DAILY_JOB)
        await until(world.settled, what="reminders sent")
        [reminder] = world.reminders_in(STP)
        assert "📌 Đến hạn hôm nay\n1. " in reminder.text
        assert f"NV{task_id})\n   Hạn 24/06/2025 · đến hạn hôm nay" in reminder.text
        assert f"u:{item.id}" in reminder.callback_data
    finally:
        await world.stop(app)


# Faults after which Telegram had processed the message although the bot got no answer: each
# may leave one extra copy (at least once). Every other fault must cost nothing.
MAY_HAVE_ARRIVED = ("answer delayed", "dropped after processing", "delayed before processing")


def may_have_arrived(record: Any) -> bool:
    return any(text in (record.description or "") for text in MAY_HAVE_ARRIVED)


async def _bind_many(world: World, count: int, first: int) -> list[int]:
    day = await _bindable_agencies(world)
    chats = []
    for n in range(count):
        chat_id = first - n
        world.server.add_chat(chat_id, title=f"Nhóm {n}", members=[ADMIN])
        await world.bind(chat_id, day[n % len(day)], title=f"Nhóm {n}")
        chats.append(chat_id)
    return chats


async def test_every_transient_fault_is_retried_until_every_reminder_arrives(world: World) -> None:
    """A fan-out to 80 chats through a faulty network: 30% of sendMessage calls meet a gateway's
    HTML 502/504 page, a JSON 500/502/503, a 429, a timeout after or before Telegram processed
    the message, or a connection reset before or after processing; plus a 429 burst at the
    start. Every chat gets its reminder; a chat gets a second copy only where Telegram had
    processed a call whose answer was lost, and never more copies than such calls; nothing
    fails, nothing stays `uncertain`."""
    from telegram.ext import ApplicationBuilder

    from bot.services.reminders import calendar_from_settings, policy_from_settings

    chats = await _bind_many(world, 80, -4_500_000_000)
    settings = world.settings()
    engine = ReminderEngine(
        sessionmaker=world.sm, clock=world.clock, tz=settings.tz, reminder_time=settings.reminder_time,
        calendar=calendar_from_settings(settings), policy=policy_from_settings(settings),
        sender_options={"backoff": 0.1, "max_backoff": 0.5},
    )
    report = await engine.tick(date(2025, 6, 23))
    assert report.queued == len(chats)
    world.server.fail_next("sendMessage", 429, retry_after=1, times=5)
    world.server.fail_next("sendMessage", 502, html=True, times=2)
    world.server.fail_next("sendMessage", 504, html=True)
    world.server.inject_faults("sendMessage", 0.3, seed=18, delay=0.6)
    bot = ApplicationBuilder().token(world.server.token).base_url(world.server.base_url).read_timeout(0.3).build().bot
    async with bot:
        drained = await engine.drain(bot, wait_for_deferred=60)
    world.server.clear_faults()

    calls = world.server.calls("sendMessage")
    outcomes = Counter(r.description.split(" ")[0] + str(r.status) if r.description else str(r.status) for r in calls)
    print(f"\n{len(calls)} calls for {len(chats)} chats: {dict(outcomes)}; {drained}")
    kinds = {r.description for r in calls if r.status != 200 or r.description}
    assert any(k and k.startswith("html 502") for k in kinds) and any(k and k.startswith("html 504") for k in kinds)
    assert sum(r.status == 429 for r in calls) >= 5 and sum(r.status in (500, 503) for r in calls) >= 1
    assert any(may_have_arrived(r) for r in calls), "no lost-answer fault drawn"

    rows = await world.rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}, Counter(r.status for r in rows)
    got = Counter(m.chat_id for m in world.server.sent if is_reminder(m))
    assert set(got) == set(chats), f"lost: {set(chats) - set(got)}"
    may_double = Counter(int(r.params["chat_id"]) for r in calls if may_have_arrived(r))
    for chat in chats:
        assert got[chat] <= 1 + may_double[chat], (chat, got[chat], may_double[chat])
    assert drained.failed == 0 and drained.sent == len(rows)
    assert drained.sent + drained.retried + drained.retry_after == len(calls)


async def test_a_refused_message_fails_alone_and_the_admins_are_told(world: World) -> None:
    """Telegram's own 400 (not a chat problem) stops that row only, after one attempt; each
    admin gets one private notice naming the chat; the chat stays active and the others
    are sent. A gateway's HTML 403 page proves nothing and is retried."""
    from telegram.ext import ApplicationBuilder

    from bot.db.models import Chat
    from bot.services.reminders import calendar_from_settings, policy_from_settings

    await world.bind(STP, "so-tu-phap", title="Sở Tư pháp")
    await world.bind(SNV, "so-noi-vu")
    settings = world.settings()
    engine = ReminderEngine(
        sessionmaker=world.sm, clock=world.clock, tz=settings.tz, reminder_time=settings.reminder_time,
        calendar=calendar_from_settings(settings), policy=policy_from_settings(settings), admins=settings.admins,
        sender_options={"backoff": 0.1},
    )
    assert (await engine.tick(date(2025, 6, 23))).queued == 2
    world.server.fail_next("sendMessage", 400, description="Bad Request: can't parse entities: unclosed tag")
    world.server.fail_next("sendMessage", 403, html=True)
    bot = ApplicationBuilder().token(world.server.token).base_url(world.server.base_url).build().bot
    async with bot:
        drained = await engine.drain(bot, wait_for_deferred=10)
    rows = {r.tg_chat_id: r for r in await world.rows()}
    refused = rows[STP]
    assert refused.status is OutboxStatus.FAILED and refused.attempts == 1 and "unclosed tag" in (refused.error or "")
    assert rows[SNV].status is OutboxStatus.SENT and rows[SNV].attempts == 2
    assert drained.failed == 1 and drained.retried == 1
    for admin in (ADMIN, ADMIN2):
        [notice] = world.server.messages_in(admin)
        assert "Một tin nhắc việc không gửi được" in notice.text and "Sở Tư pháp" in notice.text
        assert "unclosed tag" in notice.text
    async with world.sm() as s:
        assert all(c.active for c in await s.scalars(select(Chat)))


# --- the escalation ladder and nudges (issue 15) ------------------------------------------------


def _text(message: SentMessage) -> str:
    return message.text or message.caption or ""


async def _in_progress_since(world: World, code: str, since: date) -> int:
    """On `since`, the agency reports one of its yearly tasks: the dates before 31/07/2025
    done, the next one "đang làm 40%" (returned). Nothing is said about it afterwards."""
    from bot.db.models import Agency, DueItem
    from bot.domain.status import ChangeSource, Status

    at = datetime(since.year, since.month, since.day, 2, 0, tzinfo=UTC)
    async with world.sm() as s, s.begin():
        items = list(await s.scalars(
            select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
            .where(Agency.code == code).order_by(DueItem.due_on, DueItem.id)
        ))
        later = next(i for i in items if i.due_on > date(2025, 7, 31) and i.status is Status.PENDING)
        for item in (i for i in items if i.task_id == later.task_id and i.due_on < later.due_on):
            await status_changes_repo.change_status(
                s, item=item, status=Status.DONE, source=ChangeSource.CHAT, now=at, today=since, actor_name="Đầu mối",
            )
        await status_changes_repo.change_status(
            s, item=later, status=Status.IN_PROGRESS, progress=40, source=ChangeSource.CHAT, now=at, today=since,
            actor_name="Đầu mối",
        )
        return later.id


async def test_ladder_and_nudges_one_message_per_chat(world: World, no_error_logs: Any) -> None:
    """ESCALATION_LADDER=1:agency,5:office,15:leaders on Monday 07/07/2025: each agency group
    gets ONE message (its overdue items and, last, its nudged item in progress), each admin
    ONE private alert (items 5 to 14 working days overdue: due 17/06 to 30/06), the leaders
    ONE alert with the Excel list (due 16/06 or before); Tuesday adds no item twice."""
    for chat_id, code in ((STP, "so-tu-phap"), (SNV, "so-noi-vu"), (KHCN, "so-khoa-hoc-cong-nghe")):
        await world.bind(chat_id, code)
    await world.bind(LEADERS, None)
    nudged = await _in_progress_since(world, "so-tu-phap", date(2025, 6, 23))  # 10 working days before 07/07
    monday = datetime(2025, 7, 7, 1, 0, tzinfo=UTC)
    world.clock.jump(monday - timedelta(seconds=30))
    app = await world.start(
        escalation_ladder="1:agency,5:office,15:leaders", nudge_after_working_days=10, reminder_max_items=40
    )
    try:
        await until(lambda: _async(not app.job_queue.get_jobs_by_name(CATCH_UP_JOB)), what="catch-up done")
        world.clock.jump(monday)
        await run_job(app, DAILY_JOB)
        await until(lambda: _runs(world, date(2025, 7, 7), 1), what="Monday's tick")
        await until(world.settled, timeout=30, what="Monday's messages sent")
        per_chat = Counter(m.chat_id for m in world.server.sent)
        assert all(per_chat[c] <= 1 for c in (STP, SNV, KHCN))  # one reminder per group and day
        assert per_chat[LEADERS] == 1 and per_chat[ADMIN] == 1 and per_chat[ADMIN2] == 1

        [stp] = world.reminders_in(STP, "07/07/2025")
        text = _text(stp)
        assert "💬 Đang thực hiện — lâu chưa có báo cáo mới" in text
        assert text.index("⛔ Quá hạn") < text.index("💬 Đang thực hiện")  # most urgent first
        assert "đang thực hiện 40% · 10 ngày làm việc chưa có báo cáo mới" in text
        [stp_row] = await world.rows(tg_chat_id=STP, kind=OutboxKind.REMINDER)
        assert nudged in (stp_row.due_item_ids or [])

        [leaders] = world.server.messages_in(LEADERS)
        assert _text(leaders).startswith("🚨 Quá hạn từ 15 ngày làm việc") and leaders.document
        for admin in (ADMIN, ADMIN2):
            [alert] = world.server.messages_in(admin)
            assert _text(alert).startswith("📣 Văn phòng đôn đốc: quá hạn từ 5 ngày làm việc")
            assert alert.document and alert.filename == "qua-han-2025-07-07.xlsx"
        due = await _due_dates(world)
        [office_row] = await world.rows(admin_tg_id=ADMIN, kind=OutboxKind.ESCALATION)
        [leaders_row] = await world.rows(tg_chat_id=LEADERS, kind=OutboxKind.ESCALATION)
        assert office_row.due_item_ids and leaders_row.due_item_ids
        assert all(date(2025, 6, 17) <= due[i] <= date(2025, 6, 30) for i in office_row.due_item_ids)
        assert all(due[i] <= date(2025, 6, 16) for i in leaders_row.due_item_ids)

        # Tuesday: what crossed a rung since Monday, once; nothing told twice.
        world.clock.jump(monday + timedelta(days=1))
        await run_job(app, DAILY_JOB)
        await until(lambda: _runs(world, date(2025, 7, 8), 1), what="Tuesday's tick")
        await until(world.settled, timeout=30, what="Tuesday's messages sent")
        for chat in (LEADERS, ADMIN):
            rows = await world.rows(tg_chat_id=chat, kind=OutboxKind.ESCALATION)
            assert len(rows) <= 2 and len({r.on_date for r in rows}) == len(rows)
            told = [i for r in rows for i in r.due_item_ids or []]
            assert len(told) == len(set(told))
        assert nudged not in [i for r in await world.rows(on_date=date(2025, 7, 8)) for i in r.due_item_ids or []]
    finally:
        await world.stop(app)


async def _due_dates(world: World) -> dict[int, date]:
    from bot.db.models import DueItem

    async with world.sm() as s:
        return {i: d for i, d in (await s.execute(select(DueItem.id, DueItem.due_on))).all()}
