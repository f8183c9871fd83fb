"""One agency reached three ways, end to end (issue 17's "done when"), on SQLite and
PostgreSQL: the real bot (bot.app.build_application) with the fake Telegram Bot API, the
fake Zalo Bot API, a real SMTP server (aiosmtpd) and the web console's ASGI application.

Sở Tư pháp has its Telegram group, its official mailbox (reminders too: "luon") and a focal
point's Zalo account; the province's leader reads e-mail. Today (Monday 23/06/2025):
- the mail server is down and Zalo answers 429 at the reminder time: the group's reminder
  goes out at once; the mail and the Zalo message wait and are delivered once when their
  channels are back — nothing lost, nothing twice, nothing else delayed;
- the focal point answers "1 xong" on Zalo: the item is done; the group gets the change
  (through the outbox), the mailbox gets the notice; the console page the e-mailed link
  opens (HTTP, no password) shows it;
- the focal point asks for an extension on Zalo while Telegram fails once: the leaders' post
  (with its buttons) waits in the outbox and goes once; a leader approves it in Telegram;
  the decision reaches the focal point's Zalo and the mailbox, once each;
- the leader gets the day's escalation alert by e-mail (the Excel list attached), the
  monthly report (text, chart inline, .xlsx and .docx attached) and the weekly digest (text,
  chart inline, .xlsx attached).
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator

import docx
import httpx
import openpyxl
import pytest
from sqlalchemy import select, update

from bot.db.models import DueItem, OutboxMessage
from bot.domain.channels import Channel
from bot.domain.digest import DigestKind, digest_period
from bot.domain.kinds import OutboxKind, OutboxStatus
from bot.domain.status import Status
from bot.services.links import AgencyLinks, link_key
from scheduler.channels import senders_for
from scheduler.reminders import engine_for
from tests.e2e.conftest import ADMIN, BOT_NOW, LEADER, LEADERS_GROUP, STP_GROUP, BotWorld
from tests.e2e.test_zalo_e2e import PERSON, link
from tests.fakezalo import FakeZaloApi
from tests.smtpserver import SmtpTestServer, smtp  # noqa: F401 - the fixture

MAILBOX = "vanthu@stp.phutho.gov.vn"
LEADER_MAIL = "chutich@phutho.gov.vn"
FROM = "Bot nhắc việc <nhacviec@phutho.gov.vn>"
BASE = "https://nhacviec.phutho.gov.vn"


@pytest.fixture
async def fake_zalo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeZaloApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeZaloApi() as server:
        yield server


@pytest.fixture
def bot_settings_overrides(fake_zalo: FakeZaloApi, smtp: SmtpTestServer) -> dict[str, object]:
    return {
        "zalo_bot_token": fake_zalo.token, "zalo_api_url": fake_zalo.url, "smtp_url": smtp.url, "mail_from": FROM,
        "web_base_url": BASE,
    }


@pytest.fixture
async def world(bot_world: BotWorld) -> AsyncIterator[BotWorld]:
    services = bot_world.app.bot_data  # type: ignore[attr-defined]
    try:
        yield bot_world
    finally:
        await services.zalo.stop()


def reminders_on_zalo(zalo: FakeZaloApi) -> list[str]:
    return [m.text for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]


def group_reminders(w: BotWorld) -> list[str]:
    return [m.text or "" for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔")]


def reminder_mails(smtp: SmtpTestServer) -> list[object]:
    return [m for m in smtp.to(MAILBOX) if str(m.message["Subject"]).startswith("Nhắc việc")]


async def channel_rows(w: BotWorld, channel: Channel, kind: OutboxKind) -> list[OutboxMessage]:
    async with w.sm() as s:
        return list(await s.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == channel, OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ))


async def test_one_agency_reached_three_ways(world: BotWorld, fake_zalo: FakeZaloApi, smtp: SmtpTestServer) -> None:
    w, zalo = world, fake_zalo
    engine, senders = engine_for(w.app), senders_for(w.app)
    assert engine is not None and senders is not None
    assert set(senders.senders) == {Channel.EMAIL, Channel.ZALO}
    settings = w.app.bot_data.settings  # type: ignore[attr-defined]
    # The console's signed links in the mails (the console itself is served below, in process).
    engine.links = AgencyLinks(base_url=BASE, key=link_key(settings.telegram_bot_token), days=14)

    await w.bind(STP_GROUP, "so-tu-phap")
    for command in (f"/email Sở Tư pháp {MAILBOX} luon", f"/email lanhdao {LEADER_MAIL} Chủ tịch UBND tỉnh"):
        [answer] = await w.send(ADMIN, ADMIN, command)
        assert "Đã thêm địa chỉ" in (answer.text or ""), answer.text
    await link(w, zalo)

    # --- the reminder, with the mail server down and Zalo over its quota ---------------------
    smtp.stop()
    zalo.inject("sendMessage", "429")
    report = await engine.tick()
    assert report.queued >= 3
    await asyncio.gather(engine.drain(w.app.bot), senders.drain_all())  # type: ignore[attr-defined]
    await w.server.wait_for(lambda: len(group_reminders(w)) == 1, message="the group's reminder was held back")
    mail_row = (await channel_rows(w, Channel.EMAIL, OutboxKind.REMINDER))[0]
    zalo_row = (await channel_rows(w, Channel.ZALO, OutboxKind.REMINDER))[0]
    assert mail_row.status is OutboxStatus.PENDING and mail_row.error
    assert zalo_row.status is OutboxStatus.PENDING and "429" in (zalo_row.error or "")
    assert reminders_on_zalo(zalo) == [] and smtp.messages == []

    # Both channels back, their waits over: each message once.
    smtp.start()
    async with w.sm() as s, s.begin():
        await s.execute(update(OutboxMessage).where(OutboxMessage.channel != Channel.TELEGRAM).values(next_attempt_at=BOT_NOW))
    for sender in senders.senders.values():
        sender.paused_until = None
    await senders.drain_all()
    await senders.drain_all()
    await engine.tick()  # a repeated tick (a restart): nothing more anywhere
    await asyncio.gather(engine.drain(w.app.bot), senders.drain_all())  # type: ignore[attr-defined]
    assert len(group_reminders(w)) == 1 and len(reminders_on_zalo(zalo)) == 1 and len(reminder_mails(smtp)) == 1
    [group_text] = group_reminders(w)
    first_line = next(line for line in group_text.split("\n") if line.startswith("1. "))
    title = first_line[3:].split(" (KH")[0][:40]
    assert title in reminders_on_zalo(zalo)[0]
    mail = reminder_mails(smtp)[0].message  # type: ignore[attr-defined]
    assert title in mail.get_body(("plain",)).get_content()
    console_link = re.search(rf"{re.escape(BASE)}/web/a/\S+", mail.get_body(("plain",)).get_content())
    assert console_link, "no console link in the mail"

    # --- the focal point answers on Zalo ------------------------------------------------------
    async with w.sm() as s:
        numbered = (await s.scalars(select(OutboxMessage.due_item_ids).where(
            OutboxMessage.channel == Channel.ZALO, OutboxMessage.kind == OutboxKind.REMINDER, OutboxMessage.part == 0,
        ))).one()
    first_item = int(numbered[0])
    before = len(zalo.messages_to(PERSON))
    zalo.send_text(PERSON, "1 xong")
    answer = (await zalo.wait_for_sent(PERSON, before + 1))[-1].text
    assert "Đã ghi nhận: nhiệm vụ 1" in answer, answer
    async with w.sm() as s:
        item = await s.get(DueItem, first_item)
        assert item is not None and item.status is Status.DONE
    notice = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(STP_GROUP) if "Cập nhật qua Zalo" in (m.text or "")],
        message="the group was not told of the change made on Zalo",
    )
    assert "hoàn thành" in (notice[0].text or "").lower()
    await senders.drain_all()
    notices = [m for m in smtp.to(MAILBOX) if str(m.message["Subject"]).startswith("Cập nhật tiến độ")]
    assert len(notices) == 1
    notice_text = notices[0].message.get_body(("plain",)).get_content()
    assert "(qua Zalo)" in notice_text and "Nguyễn Văn A" in notice_text
    assert len(zalo.messages_to(PERSON)) == before + 1  # the person who answered got no copy of their own change

    # The console page the mailed link opens (HTTP, no password) shows the change.
    from bot.web.app import WebContext, create_app

    svc = w.app.bot_data  # type: ignore[attr-defined]
    ctx = WebContext(settings=svc.settings, sessionmaker=w.sm, catalog=svc.catalog, clock=lambda: BOT_NOW, bot=w.app.bot)  # type: ignore[attr-defined]
    path = console_link.group(0)[len(BASE):]
    # https: the session cookie is Secure behind an https:// WEB_BASE_URL
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx)), base_url="https://testserver") as client:
        assert (await client.get(path)).status_code == 200
        opened = await client.post(path)
        assert opened.status_code == 303
        page = await client.get(opened.headers["location"])
    assert page.status_code == 200 and "Sở Tư pháp" in page.text
    assert "Nguyễn Văn A" in page.text and "(qua Zalo)" in page.text

    # --- an extension asked on Zalo: through the outbox to the leaders, the decision back ---
    await w.bind(LEADERS_GROUP, leaders=True)
    second_item = int(numbered[1])
    # Telegram fails when the request comes (the first attempt of each of its two rows: the
    # leaders' post and the group's notice): the post, queued with the request in the same
    # transaction, waits in the outbox and goes once, with its decision buttons.
    w.server.fail_next("sendMessage", 502, times=2)
    before = len(zalo.messages_to(PERSON))
    zalo.send_text(PERSON, "2 xin gia hạn đến 15/12/2025 vì chờ hướng dẫn của Bộ")
    asked = (await zalo.wait_for_sent(PERSON, before + 1))[-1].text
    assert "đề nghị gia hạn" in asked and "15/12/2025" in asked, asked
    async with w.sm() as s:  # the post is a row of the outbox, written with the request
        [waiting] = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.EXTENSION))).all()
    assert waiting.chat_id is not None and waiting.buttons
    await w.server.wait_for(  # both failures used up: each row was tried once
        lambda: not w.server._faults.get("sendmessage"), message="Telegram was never tried"
    )
    # Time passes (the bot's clock stands still here): the rows' backoff is over, they go.
    for _ in range(20):
        async with w.sm() as s, s.begin():
            await s.execute(update(OutboxMessage).where(
                OutboxMessage.channel == Channel.TELEGRAM, OutboxMessage.status == OutboxStatus.PENDING,
            ).values(next_attempt_at=BOT_NOW))
        await engine.drain(w.app.bot)  # type: ignore[attr-defined]
        async with w.sm() as s:
            if not (await s.scalars(select(OutboxMessage.id).where(
                OutboxMessage.channel == Channel.TELEGRAM, OutboxMessage.status != OutboxStatus.SENT,
            ))).all():
                break
        await asyncio.sleep(0.1)  # a row the running bot's own sender holds: it settles it
    posts = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(LEADERS_GROUP) if any(d.startswith("gh:") for d in m.callback_data)],
        message="the leaders got no extension request",
    )
    async with w.sm() as s:
        [post_row] = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.EXTENSION))).all()
    assert len(posts) == 1 and post_row.status is OutboxStatus.SENT and post_row.tg_message_id == posts[0].message_id
    assert post_row.attempts == 2 and "15/12/2025" in (posts[0].text or "")  # failed once, sent once
    await w.press(LEADERS_GROUP, LEADER, posts[0], next(d for d in posts[0].callback_data if d.endswith(":ok")))
    await w.settle()
    assert "Đã đồng ý" in w.text(LEADERS_GROUP, posts[0].message_id)
    async with w.sm() as s:
        extended = await s.get(DueItem, second_item)
        assert extended is not None and extended.status is Status.EXTENDED and extended.due_on.isoformat() == "2025-12-15"
    # The decision reaches the focal point on Zalo and the agency's mailbox, once each.
    await senders.drain_all()
    decided = [m.text for m in zalo.messages_to(PERSON)[before + 1:] if "15/12/2025" in m.text]
    assert len(decided) == 1 and "gia hạn" in decided[0].lower(), zalo.messages_to(PERSON)[before + 1:]
    assert len([m for m in smtp.to(MAILBOX) if str(m.message["Subject"]).startswith("Đã được gia hạn")]) == 1

    # --- the leaders' monthly report by e-mail -----------------------------------------------
    from bot.services.reminders import calendar_from_settings
    from scheduler.digests import DigestScheduler

    digests = DigestScheduler(
        settings=settings, sessionmaker=w.sm, clock=lambda: BOT_NOW, calendar=calendar_from_settings(settings)
    )
    delivered = await digests.deliver(w.app.bot, digest_period(DigestKind.MONTH, BOT_NOW.date()))  # type: ignore[attr-defined]
    assert delivered.emails == 1
    await senders.drain_all()
    # The leader also had the day's escalation alert (items overdue too long), once, by mail.
    alerts = [m for m in smtp.to(LEADER_MAIL) if str(m.message["Subject"]).startswith("Nhiệm vụ quá hạn lâu")]
    assert len(alerts) == 1 and any(p.get_filename().endswith(".xlsx") for p in alerts[0].message.iter_attachments())
    [report_mail] = [m for m in smtp.to(LEADER_MAIL) if m not in alerts]
    message = report_mail.message
    html = message.get_body(("html",)).get_content()
    chart = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(chart) == 1 and f"cid:{chart[0]['Content-ID'].strip('<>')}" in html
    files = {p.get_filename(): p.get_content() for p in message.iter_attachments() if p.get_content_disposition() == "attachment"}
    xlsx = next(data for name, data in files.items() if name.endswith(".xlsx"))
    document = next(data for name, data in files.items() if name.endswith(".docx"))
    assert openpyxl.load_workbook(io.BytesIO(xlsx)).sheetnames
    assert any("Sở Tư pháp" in p.text for p in docx.Document(io.BytesIO(document)).paragraphs) or docx.Document(
        io.BytesIO(document)
    ).tables
    # …and the weekly digest: text, chart inline, the workbook attached.
    weekly = await digests.deliver(w.app.bot, digest_period(DigestKind.WEEK, BOT_NOW.date()))  # type: ignore[attr-defined]
    assert weekly.emails == 1
    await senders.drain_all()
    [week_mail] = [m for m in smtp.to(LEADER_MAIL) if m not in alerts and m is not report_mail]
    week = week_mail.message
    week_chart = [p for p in week.walk() if p.get_content_type() == "image/png"]
    assert len(week_chart) == 1 and f"cid:{week_chart[0]['Content-ID'].strip('<>')}" in week.get_body(("html",)).get_content()
    week_files = [p.get_filename() for p in week.iter_attachments() if p.get_content_disposition() == "attachment"]
    assert any(name.endswith(".xlsx") for name in week_files), week_files
    assert len([m for m in smtp.to(LEADER_MAIL) if m not in alerts]) == 2  # each once
    # Nothing was left behind on any channel.
    async with w.sm() as s:
        waiting = (await s.scalars(select(OutboxMessage).where(OutboxMessage.status != OutboxStatus.SENT))).all()
    assert [(r.channel, r.kind, r.status, r.error) for r in waiting] == []
