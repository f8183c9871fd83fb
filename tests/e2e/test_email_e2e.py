"""E-mail with the real Application (bot.app.build_application, scheduler.register, the
channel senders built from SMTP_URL/MAIL_FROM) against the fake Bot API server and a real
SMTP server in the test process: a reminder reaches the agency's Telegram group and its
mailbox, each once, even with the mail server down at the reminder time; /email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db.models import Recipient
from bot.domain.channels import Channel
from bot.domain.kinds import OutboxStatus
from scheduler.channels import senders_for
from scheduler.reminders import DAILY_JOB
from tests.e2e.test_reminders_e2e import ADMIN, MONDAY_0800, STP, World, run_job, until, world  # noqa: F401
from tests.smtpserver import SmtpTestServer

MAIL = "vanthu@stp.phutho.gov.vn"
FROM = "Bot nhắc việc <nhacviec@phutho.gov.vn>"


@pytest.fixture
def smtp():
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()


async def test_reminder_reaches_the_group_and_the_mailbox_once_each_with_the_mail_server_down_then_back(
    world: World, smtp: SmtpTestServer
) -> None:
    await world.bind(STP, "so-tu-phap")
    world.clock.jump(MONDAY_0800 - timedelta(minutes=5))
    app = await world.start(polling=True, smtp_url=smtp.url, mail_from=FROM, web_port=0)
    try:
        senders = senders_for(app)
        assert senders is not None and list(senders.senders) == [Channel.EMAIL]
        # The admin sets the agency's mailbox in Telegram.
        # "luon": the mailbox gets the reminders although the agency has a Telegram group.
        world.server.send_text(ADMIN, ADMIN, f"/email Sở Tư pháp {MAIL.upper()} luon")
        [answer] = await world.server.wait_for_sent(ADMIN)
        assert f"vanthu@{MAIL.split('@')[1]}" in answer.text.lower() and "Sở Tư pháp" in answer.text
        assert "cả khi cơ quan đã có nhóm Telegram" in answer.text
        smtp.stop()  # the mail server is down at the reminder time
        world.clock.jump(MONDAY_0800)
        await run_job(app, DAILY_JOB)
        # Telegram is not held back: the group gets its reminder while the mail waits.
        await until(lambda: _ready(len(world.reminders_in(STP, "23/06/2025")) == 1), what="group reminder")
        async def mail_failed_once() -> bool:
            mails = await world.rows(channel=Channel.EMAIL)
            return len(mails) == 1 and mails[0].status is OutboxStatus.PENDING and mails[0].error is not None

        await until(mail_failed_once, what="the mail tried and deferred")
        assert smtp.messages == []
        smtp.start()  # back: the next channel check after the backoff delivers it
        world.clock.jump(MONDAY_0800 + timedelta(minutes=2))
        await until(world.settled, what="everything delivered")
        await until(lambda: _ready(len(smtp.to(MAIL)) == 1), what="mail delivered")
        [received] = smtp.to(MAIL)
        assert received.message["Subject"] == "Nhắc việc — Sở Tư pháp — 23/06/2025"
        [group] = world.reminders_in(STP, "23/06/2025")
        text = received.message.get_body(("plain",)).get_content()
        first_item = group.text.split("\n")[3]  # "1. … (KH … · NV…)" — the same list, the same numbers
        assert first_item.split(" (KH")[0] in text
        # A second tick the same day (a restart): nothing more by either channel.
        await run_job(app, DAILY_JOB)
        await until(world.settled, what="second tick settled")
        await senders.drain_all()
        assert len(world.reminders_in(STP, "23/06/2025")) == 1 and len(smtp.to(MAIL)) == 1
    finally:
        await world.stop(app)


async def test_email_command_admins_only_validated_listed(world: World, smtp: SmtpTestServer) -> None:
    world.server.add_user(600_002, "Người lạ")
    app = await world.start(polling=True, smtp_url=smtp.url, mail_from=FROM, web_port=0)
    try:
        world.server.send_text(600_002, 600_002, f"/email STP {MAIL}")
        [refused] = await world.server.wait_for_sent(600_002)
        assert "Chỉ quản trị viên" in refused.text
        for text in ("/email Sở Tư pháp vanthu@@stp", "/email Sở Không Có sth@x.vn", "/email lanhdao chutich@phutho.gov.vn Nguyễn Văn A"):
            world.server.send_text(ADMIN, ADMIN, text)
        bad, unknown, leader = await world.server.wait_for_sent(ADMIN, 3)
        assert "không hợp lệ" in bad.text
        assert "Không tìm thấy cơ quan" in unknown.text
        assert "lãnh đạo Nguyễn Văn A" in leader.text and "báo cáo tuần" in leader.text
        world.server.send_text(ADMIN, ADMIN, "/email")
        listing = (await world.server.wait_for_sent(ADMIN, 4))[3]
        assert "chutich@phutho.gov.vn" in listing.text and "Lãnh đạo — Nguyễn Văn A" in listing.text
        async with world.sm() as s:
            rows = list(await s.scalars(select(Recipient)))
        assert [(r.channel, r.address, r.person_name) for r in rows] == [(Channel.EMAIL, "chutich@phutho.gov.vn", "Nguyễn Văn A")]
    finally:
        await world.stop(app)


async def _ready(value: bool) -> bool:
    return value


SNV_MAIL = "vanthu@snv.phutho.gov.vn"


async def test_mail_only_agency_is_asked_about_its_unknown_items_once(world: World, smtp: SmtpTestServer) -> None:
    """Sở Nội vụ has no Telegram group, only a mailbox; the plan is followed from 01/06/2025,
    so its earlier dates are "chưa cập nhật". Monday's mail lists them for confirmation and
    marks them asked — like a group's message — and Tuesday's mail does not list them again."""
    from datetime import UTC, date, datetime

    from bot.db.models import Agency, DueItem, Plan
    from bot.db.unknown_items import apply_follow_from
    from bot.domain.status import Status
    from bot.render import confirm as confirm_texts

    async with world.sm() as s, s.begin():
        plan = await s.scalar(select(Plan))
        assert plan is not None
        plan.follow_from = date(2025, 6, 1)
        await apply_follow_from(
            s, plan_id=plan.id, follow_from=plan.follow_from, now=MONDAY_0800, actor="test",
            unknown_note=confirm_texts.unknown_since_note(plan.follow_from), followed_note=confirm_texts.FOLLOWED_AGAIN_NOTE,
        )
    world.clock.jump(MONDAY_0800 - timedelta(minutes=5))
    app = await world.start(polling=True, smtp_url=smtp.url, mail_from=FROM, web_port=0)
    try:
        world.server.send_text(ADMIN, ADMIN, f"/email Sở Nội vụ {SNV_MAIL}")
        await world.server.wait_for_sent(ADMIN)
        world.clock.jump(MONDAY_0800)
        await run_job(app, DAILY_JOB)
        await until(lambda: _ready(len(smtp.to(SNV_MAIL)) == 1), timeout=30, what="Monday's mail")
        # The mail reaches the SMTP server before its outbox row is marked sent: jumping the
        # clock a day in between would expire the sender's lease and send it again (the
        # at-least-once bound), which is not what this test is about.
        await until(world.settled, timeout=30, what="Monday's mail recorded as sent")
        [monday] = smtp.to(SNV_MAIL)
        text = monday.message.get_body(("plain",)).get_content()
        assert "Chưa cập nhật" in text and "hạn đã qua trước khi bot bắt đầu theo dõi kế hoạch" in text
        async with world.sm() as s:
            unknown = {
                i: asked for i, asked in (await s.execute(
                    select(DueItem.id, DueItem.asked_on).join(Agency, DueItem.agency_id == Agency.id)
                    .where(Agency.code == "so-noi-vu", DueItem.status == Status.UNKNOWN)
                )).all()
            }
        [row] = await world.rows(channel=Channel.EMAIL)
        listed = set(row.due_item_ids or []) & set(unknown)
        assert listed and all(unknown[i] == date(2025, 6, 23) for i in listed)  # asked, like a group's

        tuesday = datetime(2025, 6, 24, 1, 0, tzinfo=UTC)
        world.clock.jump(tuesday)
        await run_job(app, DAILY_JOB)
        await until(world.settled, timeout=30, what="Tuesday's messages")
        senders = senders_for(app)
        assert senders is not None
        await senders.drain_all()
        for later in smtp.to(SNV_MAIL)[1:]:
            assert "Chưa cập nhật" not in later.message.get_body(("plain",)).get_content()
        tuesday_rows = [r for r in await world.rows(channel=Channel.EMAIL) if r.on_date == date(2025, 6, 24)]
        assert not [i for r in tuesday_rows for i in r.due_item_ids or [] if i in listed]
    finally:
        await world.stop(app)
