"""The digest end to end: the real bot, the Phú Thọ sample plan, the fake Bot API server.

Today is Monday 23/06/2025, 09:00 in Vietnam (BOT_NOW): the weekly digest for the week that
ended on Sunday 22/06 is due (DIGEST_TIME 07:30). The leaders' chat must receive the text,
the chart and the workbook, with numbers that match the database — once.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from telegram.ext import CommandHandler

from bot.db import agencies as agencies_repo
from bot.db import plans as plans_repo
from bot.db import status_changes as status_changes_repo
from bot.domain.digest import Digest, week_period
from bot.domain.status import ChangeSource, Status
from bot.render import help as texts
from bot.render.chart import read_chart_data
from bot.services.digests import build_digest
from tests.e2e.conftest import ADMIN, BOT_NOW, FOCAL, LEADER, LEADERS_GROUP, STP_GROUP, BotWorld
from tests.fakebot import SentMessage

PNG = b"\x89PNG\r\n\x1a\n"
SUNDAY = date(2025, 6, 22)
# Digests on, whatever the other bot tests choose (their leaders' chats need no digest).
pytestmark = pytest.mark.parametrize("bot_settings_overrides", [{"province": "phu-tho", "digest_enabled": True}])


@pytest.fixture
def world(bot_world: BotWorld) -> BotWorld:
    """The bot with /baocao, whether or not handlers.register already includes it."""
    import handlers.digests

    app = bot_world.app
    group = app.handlers.get(0, [])  # type: ignore[attr-defined]
    if not any(isinstance(h, CommandHandler) and "baocao" in h.commands for h in group):
        before = list(group)
        handlers.digests.register(app)  # type: ignore[arg-type]
        added = [h for h in app.handlers[0] if h not in before]  # type: ignore[attr-defined]
        # Ahead of the private-chat fallback, as handlers.register would place it.
        app.handlers[0][:] = added + before  # type: ignore[attr-defined]
    return bot_world


async def _digest(w: BotWorld, as_of: date) -> Digest:
    async with w.sm() as s:
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert province is not None
        return await build_digest(s, province=province, period=week_period(as_of))


def _check_files(photo: SentMessage, document: SentMessage, digest: Digest) -> None:
    """The chart and the workbook carry the database's numbers."""
    assert photo.photo is not None and photo.photo.startswith(PNG)
    chart = read_chart_data(photo.photo)
    assert chart["agencies"] == [a.agency_name for a in digest.agencies[:20]]
    assert chart["series"]["overdue"] == [a.figures.overdue for a in digest.agencies[:20]]
    assert len(photo.caption or "") <= 1024

    assert document.document is not None and document.filename and document.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(document.document))
    sheet = book["Theo cơ quan"]
    header = [c.value for c in sheet[3]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4, values_only=True) if r[1]}
    for agency in digest.agencies:
        row = rows[agency.agency_name]
        assert row["Quá hạn"] == agency.figures.overdue
        assert row["Tổng số mốc thời hạn"] == agency.figures.dated
    assert rows["Toàn tỉnh"]["Quá hạn"] == digest.total.overdue
    plan_sheet = book[book.sheetnames[2]]
    states = [r[7] for r in plan_sheet.iter_rows(min_row=4, values_only=True)]
    assert sum(1 for s in states if s and s.startswith("Quá hạn")) == digest.total.overdue
    assert len(states) == digest.total.total


async def test_scheduled_weekly_digest_reaches_the_leaders_once(world: BotWorld) -> None:
    import scheduler.digests as jobs

    w = world
    await w.bind(LEADERS_GROUP, leaders=True)
    # A reported completion last week shows in "what changed".
    async with w.sm() as s, s.begin():
        items = await plans_repo.task_due_items(s, task_id=min(await w.task_ids("so-tu-phap")))
        item = items[0]
        await status_changes_repo.change_status(
            s, item=item, status=Status.DONE, source=ChangeSource.CHAT,
            now=BOT_NOW - timedelta(days=3), today=date(2025, 6, 20), actor_name="Đầu mối STP",
        )
    sched = jobs.scheduler_for(w.app) or jobs.register(w.app)  # type: ignore[arg-type]
    assert sched is not None
    names = {job.name for job in w.app.job_queue.jobs()}  # type: ignore[attr-defined]
    assert {jobs.DAILY_JOB, jobs.CHECK_JOB, jobs.CATCH_UP_JOB} <= names | {jobs.CATCH_UP_JOB}

    report = await sched.run(w.app.bot)
    sent = await w.server.wait_for_sent(LEADERS_GROUP, 3)
    assert report.failed == 0
    texts_sent = [m for m in sent if m.method == "sendMessage"]
    [photo] = [m for m in sent if m.method == "sendPhoto"]
    [document] = [m for m in sent if m.method == "sendDocument"]
    assert sent[-1] is document and sent[-2] is photo  # text first, then chart, then workbook
    first = texts_sent[0].text or ""
    assert first.startswith("📊 Báo cáo tuần — tỉnh Phú Thọ\nTuần 16/06–22/06/2025")
    digest = await _digest(w, SUNDAY)
    assert f"Quá hạn chưa xong: {digest.total.overdue} " in first
    assert "Hoàn thành trong tuần (1)" in "\n".join(m.text or "" for m in texts_sent)
    assert digest.agencies[0].agency_name in first
    _check_files(photo, document, digest)

    # Once per period: further ticks (and the catch-up job) send nothing more.
    count = len(w.server.messages_in(LEADERS_GROUP))
    again = await sched.run(w.app.bot)
    assert again.sent == 0
    assert len(w.server.messages_in(LEADERS_GROUP)) == count
    from bot.db.models import DigestRun
    from bot.domain.kinds import DigestRunStatus

    async with w.sm() as s:
        runs = list(await s.scalars(select(DigestRun)))
    assert [(r.kind, r.as_of, r.status, r.parts_sent) for r in runs] == [
        ("week", SUNDAY, DigestRunStatus.SENT, len(sent))
    ]


async def test_baocao_in_the_leaders_chat_sends_the_digest_now(world: BotWorld) -> None:
    w = world
    await _without_timed_jobs(w)  # the scheduled digest would land in the same chat
    await w.bind(LEADERS_GROUP, leaders=True)
    before = len(w.server.messages_in(LEADERS_GROUP))
    w.server.send_text(LEADERS_GROUP, LEADER, "/baocao")
    # Built in a child process (bot.services.digest_worker): its start-up is seconds on a busy machine.
    sent = await w.server.wait_for_sent(LEADERS_GROUP, before + 3, timeout=60)
    sent = sent[before:]
    methods = [m.method for m in sent]
    assert methods[-2:] == ["sendPhoto", "sendDocument"] and set(methods[:-2]) == {"sendMessage"}
    # Monday 23/06: the calendar week so far (Monday–Sunday weeks, never Tuesday–Monday).
    assert (sent[0].text or "").startswith("📊 Báo cáo tuần — tỉnh Phú Thọ\nTuần 23/06–29/06/2025 (đến 23/06/2025)")
    _check_files(sent[-2], sent[-1], await _digest(w, BOT_NOW.date()))


async def test_baocao_thang_in_an_admin_chat_adds_the_report_draft(world: BotWorld) -> None:
    w = world
    w.server.send_text(ADMIN, ADMIN, "/baocao tháng")
    sent = await w.server.wait_for_sent(ADMIN, 4, timeout=60)
    documents = [m for m in sent if m.method == "sendDocument"]
    assert [d.filename for d in documents] == [
        "bao-cao-thang-phu-tho-2025-06-23.xlsx", "bao-cao-thang-phu-tho-2025-06-23.docx"
    ]
    assert (sent[0].text or "").startswith("📊 Báo cáo tháng — tỉnh Phú Thọ\nTháng 6/2025 (đến 23/06/2025)")
    import docx

    report = docx.Document(io.BytesIO(documents[1].document or b""))
    body = "\n".join(p.text for p in report.paragraphs)
    assert "BÁO CÁO" in body and "Kết quả thực hiện nhiệm vụ cải cách hành chính tháng 6 năm 2025" in body
    assert "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ" in report.tables[0].rows[0].cells[0].text


async def test_baocao_elsewhere_is_refused(world: BotWorld) -> None:
    w = world
    await w.bind(STP_GROUP, "so-tu-phap")
    [reply] = await w.send(STP_GROUP, FOCAL, "/baocao")
    assert reply.raw_text == texts.PROVINCE_WIDE_ONLY
    [usage] = await w.send(ADMIN, ADMIN, "/baocao nam")
    assert "/baocao tuan" in (usage.text or "")


async def _without_timed_jobs(w: BotWorld) -> None:
    """The app's own digest jobs (its start-up catch-up among them) would race the test for
    the same runs and chats: remove them, and let a pass already under way finish first (a
    digest is built in a child process, so a pass takes seconds on a busy machine)."""
    import scheduler.digests as jobs

    for job in w.app.job_queue.jobs():  # type: ignore[attr-defined]
        if job.name in (jobs.DAILY_JOB, jobs.CHECK_JOB, jobs.CATCH_UP_JOB):
            job.schedule_removal()
    installed = jobs.scheduler_for(w.app)
    if installed is not None:
        async with installed._lock:  # noqa: SLF001
            pass


async def _scheduler(w: BotWorld):  # type: ignore[no-untyped-def]
    """A digest scheduler for the running bot, without its timed jobs (the test drives it)."""
    import scheduler.digests as jobs
    from bot.services.reminders import calendar_from_settings

    await _without_timed_jobs(w)
    services = w.app.bot_data  # type: ignore[attr-defined]
    return jobs.DigestScheduler(
        settings=services.settings, sessionmaker=w.sm, clock=lambda: BOT_NOW,
        calendar=calendar_from_settings(services.settings),
    )


async def test_a_failed_part_is_retried_without_repeating_the_others(world: BotWorld) -> None:
    w = world
    sched = await _scheduler(w)
    await w.bind(LEADERS_GROUP, leaders=True)
    w.server.fail_next("sendPhoto", 500)  # Telegram's own error: nothing was sent
    first = await sched.run(w.app.bot)
    assert (first.sent, first.retry) == (0, 1)
    texts_only = [m.method for m in w.server.messages_in(LEADERS_GROUP)]
    assert texts_only and set(texts_only) == {"sendMessage"}

    second = await sched.run(w.app.bot)  # the next check: from the chart on
    assert (second.sent, second.retry) == (1, 0)
    methods = [m.method for m in w.server.messages_in(LEADERS_GROUP)]
    assert methods == texts_only + ["sendPhoto", "sendDocument"]


async def test_a_lost_leaders_chat_is_marked_and_admins_are_told(world: BotWorld) -> None:
    from bot.db.models import DigestRun, OutboxMessage
    from bot.domain.kinds import DigestRunStatus, OutboxKind

    w = world
    sched = await _scheduler(w)
    await w.bind(LEADERS_GROUP, leaders=True)
    w.server.kick_bot(LEADERS_GROUP, notify=False)  # removed while the bot was not looking
    report = await sched.run(w.app.bot)
    assert report.failed == 1 and report.sent == 0
    chat = await w.chat_row(LEADERS_GROUP)
    assert chat is not None and not chat.active  # type: ignore[attr-defined]
    async with w.sm() as s:
        [run] = list(await s.scalars(select(DigestRun)))
        notices = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.UNREACHABLE)))
    assert run.status is DigestRunStatus.FAILED and "không liên lạc được" in (run.error or "")
    assert sorted(n.admin_tg_id for n in notices) == sorted(w.app.bot_data.settings.admin_ids)  # type: ignore[attr-defined]


async def test_cli_send_reaches_the_leaders(world: BotWorld) -> None:
    """`nhacviec digest --send`: the same parts, through a Bot of its own."""
    from bot.services.digests import cli_digests

    w = world
    await w.bind(LEADERS_GROUP, leaders=True)
    settings = w.app.bot_data.settings  # type: ignore[attr-defined]
    [result] = await cli_digests(settings, kind="week", as_of=SUNDAY, province=None, send=True)
    assert result.chats == [LEADERS_GROUP]
    sent = w.server.messages_in(LEADERS_GROUP)
    assert [m.method for m in sent][-2:] == ["sendPhoto", "sendDocument"]
    assert (sent[0].text or "").startswith("📊 Báo cáo tuần — tỉnh Phú Thọ\nTuần 16/06–22/06/2025")
    _check_files(sent[-2], sent[-1], await _digest(w, SUNDAY))
