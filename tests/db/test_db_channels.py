"""The outbox's other channels on SQLite and PostgreSQL: recipients, unique keys, per-channel
claims, retry with backoff, an unreachable address, a channel down that holds nothing else
back. The adapter is a small scripted fake of the interface (bot/channels/base.py); the real
e-mail server is in tests/db/test_db_email.py."""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime, timedelta

import pytest
from db_factories import seed_province
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Outgoing, Pacing, SendResult
from bot.db import outbox as outbox_repo
from bot.db import recipients
from bot.db.models import Agency, Chat, OutboxMessage, Recipient
from bot.db.outbox import ChannelMessage
from bot.domain.admins import Admins
from bot.domain.channels import Channel
from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
from bot.services.channel_sender import ChannelSender
from tests.timing import StoppedClock

DAY = date(2025, 6, 23)
NOW = datetime(2025, 6, 23, 1, 0, tzinfo=UTC)
ADMINS = Admins(everywhere=frozenset({501}))


class ScriptedChannel:
    """Answers each send with the next scripted result (then SENT); records what it got."""

    def __init__(self, channel: Channel = Channel.EMAIL, script: list[SendResult] | None = None) -> None:
        self.channel = channel
        self.pacing = Pacing(per_second=1000, concurrency=4)
        self.script = deque(script or [])
        self.got: list[Outgoing] = []

    async def send(self, message: Outgoing) -> SendResult:
        self.got.append(message)
        return self.script.popleft() if self.script else SendResult.sent(f"ref-{message.outbox_id}")

    async def aclose(self) -> None:
        pass


async def seed(sm: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    """A province, one agency with an e-mail recipient and a Telegram chat; returns ids
    (agency, recipient, chat)."""
    async with sm() as s, s.begin():
        province = await seed_province(s)
        agency = Agency(province_id=province.id, code="STP", name="Sở Tư pháp")
        s.add(agency)
        await s.flush()
        rec, created = await recipients.upsert(
            s, province_id=province.id, channel=Channel.EMAIL, address="stp@phutho.gov.vn", role=ChatRole.AGENCY,
            agency_id=agency.id, person_name=None, actor_tg_id=501, now=NOW,
        )
        assert created
        chat = Chat(province_id=province.id, tg_chat_id=-1001, role=ChatRole.AGENCY, agency_id=agency.id, title="Nhóm STP")
        s.add(chat)
        await s.flush()
        return agency.id, rec.id, chat.id


def mail(recipient_id: int, part: int = 0, **kw: object) -> ChannelMessage:
    return ChannelMessage(
        recipient_id=recipient_id, channel=Channel.EMAIL, on_date=DAY, kind=OutboxKind.REMINDER, part=part,
        body=f"<p>phần {part}</p>", subject="Nhắc việc", alt_body=f"phần {part}", **kw,  # type: ignore[arg-type]
    )


async def queue(sm: async_sessionmaker[AsyncSession], *messages: ChannelMessage) -> list[int]:
    async with sm() as s, s.begin():
        return await outbox_repo.enqueue_for_recipients(s, messages, now=NOW)


async def all_rows(sm: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sm() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_recipient_rows_are_queued_once_with_their_files(sm) -> None:
    _, rid, _ = await seed(sm)
    files = ({"filename": "a.xlsx", "mime_type": "application/octet-stream", "data": b"PK\x03\x04", "content_id": None},)
    first = await queue(sm, mail(rid, 0, files=files), mail(rid, 1))
    again = await queue(sm, mail(rid, 0, files=files), mail(rid, 1))
    assert len(first) == 2 and again == []  # (recipient, day, kind, part) is the key
    rows = await all_rows(sm)
    assert [(r.channel, r.tg_chat_id, r.recipient_id, r.part) for r in rows] == [
        (Channel.EMAIL, None, rid, 0), (Channel.EMAIL, None, rid, 1)
    ]
    adapter = ScriptedChannel()
    report = await ChannelSender(sessionmaker=sm, adapter=adapter, clock=StoppedClock(NOW), admins=ADMINS).drain()
    assert report.sent == 2
    assert [(m.address, m.part, m.subject, m.alt_body) for m in adapter.got] == [
        ("stp@phutho.gov.vn", 0, "Nhắc việc", "phần 0"), ("stp@phutho.gov.vn", 1, "Nhắc việc", "phần 1")
    ]
    assert [(f.filename, f.data) for f in adapter.got[0].files] == [("a.xlsx", b"PK\x03\x04")]
    rows = await all_rows(sm)
    assert [(r.status, r.delivery_ref, r.attempts) for r in rows] == [
        (OutboxStatus.SENT, f"ref-{rows[0].id}", 1), (OutboxStatus.SENT, f"ref-{rows[1].id}", 1)
    ]
    assert (await ChannelSender(sessionmaker=sm, adapter=adapter, clock=StoppedClock(NOW)).drain()).sent == 0


async def test_a_row_names_exactly_one_recipient_matching_its_channel(sm) -> None:
    _, rid, chat_id = await seed(sm)
    bad = [
        {"channel": Channel.EMAIL, "chat_id": chat_id, "tg_chat_id": -1001},  # e-mail to a Telegram chat
        {"channel": Channel.TELEGRAM, "recipient_id": rid},  # Telegram without a chat id
        {"channel": Channel.EMAIL, "recipient_id": rid, "chat_id": chat_id},  # two recipients
    ]
    for values in bad:
        with pytest.raises(IntegrityError):
            async with sm() as s, s.begin():
                s.add(OutboxMessage(on_date=DAY, kind=OutboxKind.REMINDER, body="x", next_attempt_at=NOW, **values))


async def test_temporary_errors_back_off_then_deliver(sm) -> None:
    _, rid, _ = await seed(sm)
    await queue(sm, mail(rid))
    clock = StoppedClock(NOW)
    adapter = ScriptedChannel(script=[SendResult.retry("451 try later"), SendResult.retry("421 busy", retry_after=60)])
    sender = ChannelSender(sessionmaker=sm, adapter=adapter, clock=clock, backoff=5)
    report = await sender.drain()
    assert (report.sent, report.retried) == (0, 1)
    [row] = await all_rows(sm)
    assert row.status is OutboxStatus.PENDING and row.error == "451 try later"
    assert row.next_attempt_at == NOW + timedelta(seconds=5)  # backoff · 2^0
    assert (await sender.drain()).retried == 0  # not due yet: nothing claimed
    clock.now += timedelta(seconds=5)
    await sender.drain()
    [row] = await all_rows(sm)
    assert row.next_attempt_at == clock.now + timedelta(seconds=60)  # the server said when
    clock.now += timedelta(seconds=60)
    assert (await sender.drain()).sent == 1
    [row] = await all_rows(sm)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)


async def test_unreachable_address_is_marked_its_rows_fail_and_admins_hear_once(sm) -> None:
    _, rid, _ = await seed(sm)
    await queue(sm, mail(rid, 0), mail(rid, 1), mail(rid, 2))
    adapter = ScriptedChannel(script=[SendResult.unreachable("550 5.1.1 mailbox unknown")])
    report = await ChannelSender(sessionmaker=sm, adapter=adapter, clock=StoppedClock(NOW), admins=ADMINS).drain()
    assert (report.unreachable, report.sent) == (1, 0)
    async with sm() as s:
        rec = await s.get(Recipient, rid)
        assert rec is not None and not rec.active and rec.unreachable_reason == "550 5.1.1 mailbox unknown"
    rows = await all_rows(sm)
    mails = [r for r in rows if r.channel is Channel.EMAIL]
    assert [r.status for r in mails] == [OutboxStatus.FAILED] * 3  # the waiting parts fail too
    [notice] = [r for r in rows if r.channel is Channel.TELEGRAM]
    assert (notice.admin_tg_id, notice.kind, notice.part) == (501, OutboxKind.NOTICE, rid)
    assert "stp@phutho.gov.vn" in notice.body and "Sở Tư pháp" in notice.body and "550 5.1.1" in notice.body
    assert len(adapter.got) == 1  # parts 1 and 2 were never tried
    # Re-entered by an admin: usable again.
    async with sm() as s, s.begin():
        rec2, created = await recipients.upsert(
            s, province_id=rec.province_id, channel=Channel.EMAIL, address="stp@phutho.gov.vn",
            role=ChatRole.AGENCY, agency_id=rec.agency_id, person_name=None, actor_tg_id=501, now=NOW,
        )
        assert not created and rec2.active and rec2.unreachable_reason is None


async def test_rejected_message_fails_alone_and_admins_are_told(sm) -> None:
    _, rid, _ = await seed(sm)
    await queue(sm, mail(rid, 0), mail(rid, 1))
    adapter = ScriptedChannel(script=[SendResult.rejected("552 message too large")])
    report = await ChannelSender(sessionmaker=sm, adapter=adapter, clock=StoppedClock(NOW), admins=ADMINS).drain()
    assert (report.failed, report.sent) == (1, 1)
    rows = await all_rows(sm)
    assert [r.status for r in rows if r.channel is Channel.EMAIL] == [OutboxStatus.FAILED, OutboxStatus.SENT]
    [notice] = [r for r in rows if r.channel is Channel.TELEGRAM]
    assert notice.kind is OutboxKind.UNREACHABLE and notice.part == -rows[0].id and "552" in notice.body


async def test_a_channel_down_pauses_itself_and_leaves_telegram_alone(sm) -> None:
    _, rid, chat_id = await seed(sm)
    await queue(sm, mail(rid, 0), mail(rid, 1), mail(rid, 2))
    async with sm() as s, s.begin():
        await outbox_repo.enqueue(s, [{
            "chat_id": chat_id, "tg_chat_id": -1001, "on_date": DAY, "kind": OutboxKind.REMINDER, "part": 0,
            "parts": 1, "body": "nhắc", "next_attempt_at": NOW, "created_at": NOW,
        }])
    clock = StoppedClock(NOW)
    adapter = ScriptedChannel(script=[SendResult.retry("connection refused", channel_down=True)])
    adapter.pacing = Pacing(per_second=1000, concurrency=1)
    sender = ChannelSender(sessionmaker=sm, adapter=adapter, clock=clock, backoff=30)
    report = await sender.drain()
    assert report.down and report.retried == 1 and report.released == 2 and len(adapter.got) == 1
    mails = [r for r in await all_rows(sm) if r.channel is Channel.EMAIL]
    assert {r.status for r in mails} == {OutboxStatus.PENDING}
    assert [r.attempts for r in mails] == [1, 0, 0]  # given back untouched, not attempts
    assert {r.next_attempt_at for r in mails} == {NOW + timedelta(seconds=30)}
    # While e-mail is down, Telegram's claim finds its row at once (and no e-mail row).
    async with sm() as s, s.begin():
        claimed = await outbox_repo.claim_telegram(s, worker="tg", now=NOW, lease=timedelta(seconds=20), limit=10)
    assert [c.chat_id for c in claimed] == [chat_id]
    assert (await sender.drain()).down  # still paused: nothing tried
    assert len(adapter.got) == 1
    clock.now += timedelta(seconds=30)
    assert (await sender.drain()).sent == 3


async def test_claims_are_per_channel(sm) -> None:
    _, rid, _ = await seed(sm)
    async with sm() as s, s.begin():
        province_id = (await s.get(Recipient, rid)).province_id  # type: ignore[union-attr]
        zalo, _ = await recipients.upsert(
            s, province_id=province_id, channel=Channel.ZALO, address="8812345", role=ChatRole.LEADERS,
            agency_id=None, person_name="Nguyễn Văn A", actor_tg_id=None, now=NOW,
        )
    await queue(sm, mail(rid), ChannelMessage(recipient_id=zalo.id, channel=Channel.ZALO, on_date=DAY, kind=OutboxKind.DIGEST, body="tóm tắt"))
    mail_adapter, zalo_adapter = ScriptedChannel(Channel.EMAIL), ScriptedChannel(Channel.ZALO)
    await ChannelSender(sessionmaker=sm, adapter=zalo_adapter, clock=StoppedClock(NOW)).drain()
    assert [(m.channel, m.address, m.body, m.recipient_name) for m in zalo_adapter.got] == [
        (Channel.ZALO, "8812345", "tóm tắt", "Nguyễn Văn A")
    ]
    await ChannelSender(sessionmaker=sm, adapter=mail_adapter, clock=StoppedClock(NOW)).drain()
    assert [m.address for m in mail_adapter.got] == ["stp@phutho.gov.vn"]
