"""Confirmations, extension decisions and escalations by e-mail and Zalo, on SQLite and
PostgreSQL: what the status use case and the tick queue for an agency's mailbox and its
focal point's Zalo, delivered through the real channel senders to a real SMTP server
(aiosmtpd) and the fake Zalo Bot API — each once, rendered for its channel."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_db_outbox import ADMIN_SETUP, seed
from test_db_outbox import NOW as TICK_NOW
from test_db_outbox import tick as outbox_tick
from test_db_status import LEADER, NOW, _decide, apply, seeded

from bot.channels.email import EmailChannel
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.db import agencies as repo
from bot.db import recipients as recipients_repo
from bot.db.models import DueItem, OutboxMessage, Province
from bot.domain.channels import NOTICE_PIECES, Channel, NoticeSource, notice_part
from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
from bot.domain.replies import ChangeKind, Intent
from bot.services.channel_sender import ChannelSender
from bot.services.recipients import set_agency_email, set_leader_email

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the tests package, from tests/db
from tests.fakezalo import FakeZaloApi
from tests.smtpserver import SmtpTestServer, smtp  # noqa: F401 - the fixture

SENDER = "Bot nhắc việc <nhacviec@phutho.gov.vn>"
STP_MAIL = "vanthu@stp.phutho.gov.vn"
LEADER_MAIL = "chutich@phutho.gov.vn"
PERSON = "zalo-focal-1"


@pytest.fixture
async def zalo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeZaloApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeZaloApi() as server:
        server.add_user(PERSON, "Nguyễn Văn A")
        yield server


def mail_sender(sm: async_sessionmaker[AsyncSession], smtp: SmtpTestServer) -> ChannelSender:
    adapter = EmailChannel.from_url(smtp.url, sender=SENDER, timeout=5)
    return ChannelSender(sessionmaker=sm, adapter=adapter, clock=lambda: NOW, admins=ADMIN_SETUP)


def zalo_sender(sm: async_sessionmaker[AsyncSession], zalo: FakeZaloApi) -> ChannelSender:
    adapter = ZaloChannel(ZaloClient(zalo.token, api_url=zalo.url))
    return ChannelSender(sessionmaker=sm, adapter=adapter, clock=lambda: NOW, admins=ADMIN_SETUP)


async def reach_stp(sm: async_sessionmaker[AsyncSession], agency_id: int) -> None:
    """Sở Tư pháp's mailbox, and its focal point's Zalo account (as a link makes it)."""
    async with sm() as s, s.begin():
        province = (await s.scalars(select(Province))).one()
        result = await set_agency_email(
            s, province_ids=[province.id], agency_query="Sở Tư pháp", address=STP_MAIL, actor_tg_id=44, now=NOW
        )
        assert result.problem is None, result.problem
        await recipients_repo.upsert(
            s, province_id=province.id, channel=Channel.ZALO, address=PERSON, role=ChatRole.AGENCY,
            agency_id=agency_id, person_name="Nguyễn Văn A", actor_tg_id=None, now=NOW,
        )


async def notices(sm: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sm() as s:
        return list(await s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.NOTICE).order_by(OutboxMessage.id)
        ))


async def test_a_recorded_change_reaches_the_agency_mailbox_and_zalo_once_each(
    sm: async_sessionmaker[AsyncSession], smtp: SmtpTestServer, zalo: FakeZaloApi
) -> None:
    ids = await seeded(sm)
    await reach_stp(sm, ids["STP"])
    outcome = await apply(sm, ids["STP"], ids["item"], Intent(ChangeKind.PROGRESS, progress=60, note="đang lấy ý kiến <các sở>"))
    assert outcome.change_id is not None
    queued = await notices(sm)
    assert {(r.channel, r.part) for r in queued} == {
        (Channel.EMAIL, notice_part(NoticeSource.CHANGE, outcome.change_id)),
        (Channel.ZALO, notice_part(NoticeSource.CHANGE, outcome.change_id)),
    }
    assert (await mail_sender(sm, smtp).drain()).sent == 1
    assert (await zalo_sender(sm, zalo).drain()).sent == 1
    [received] = smtp.to(STP_MAIL)
    mail = received.message
    assert mail["Subject"] == "Cập nhật tiến độ NV1 — Sở Tư pháp"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Đã ghi nhận: nhiệm vụ NV1" in text and "60%" in text and "(qua Telegram)" in text
    assert "đang lấy ý kiến <các sở>" in text and "&lt;các sở&gt;" in html  # escaped once, shown as typed
    [on_zalo] = zalo.messages_to(PERSON)
    assert "Đã ghi nhận: nhiệm vụ NV1" in on_zalo.text and "<" not in on_zalo.text.replace("<các sở>", "")
    assert len(on_zalo.text) <= 2000
    # Nothing twice: the senders find nothing more, every row is sent.
    assert (await mail_sender(sm, smtp).drain()).sent == 0 and (await zalo_sender(sm, zalo).drain()).sent == 0
    assert {r.status for r in await notices(sm)} == {OutboxStatus.SENT}


async def test_a_change_made_on_zalo_skips_the_person_who_made_it(sm: async_sessionmaker[AsyncSession]) -> None:
    from dataclasses import replace

    from test_db_status import env

    from bot.services import status as svc

    ids = await seeded(sm)
    await reach_stp(sm, ids["STP"])
    async with sm() as s, s.begin():
        e = replace(await env(s, ids["STP"]), channel="zalo", origin=(Channel.ZALO, PERSON))
        outcome = await svc.apply(s, e, due_item_id=ids["item"], intent=Intent(ChangeKind.DONE))
    assert outcome.recorded is not None
    [mail] = await notices(sm)  # the mailbox hears of it; the Zalo account had its own answer
    assert mail.channel is Channel.EMAIL and "(qua Zalo)" in (mail.alt_body or "")


async def test_an_extension_decision_reaches_the_agency_mailbox_and_zalo(
    sm: async_sessionmaker[AsyncSession], smtp: SmtpTestServer, zalo: FakeZaloApi
) -> None:
    ids = await seeded(sm)
    await reach_stp(sm, ids["STP"])
    request = await apply(sm, ids["STP"], ids["item"], Intent(ChangeKind.EXTENSION, new_due_on=date(2025, 12, 15), note="chờ hướng dẫn"))
    assert request.extension_request_id is not None
    decision = await _decide(sm, request.extension_request_id, False, user=LEADER)
    assert decision.refused is None
    parts = {(r.channel, r.part) for r in await notices(sm)}
    assert (Channel.EMAIL, notice_part(NoticeSource.DECISION, request.extension_request_id)) in parts
    assert (Channel.ZALO, notice_part(NoticeSource.DECISION, request.extension_request_id)) in parts
    await mail_sender(sm, smtp).drain()
    await zalo_sender(sm, zalo).drain()
    subjects = [m.message["Subject"] for m in smtp.to(STP_MAIL)]
    assert subjects == ["Đề nghị gia hạn NV1 — Sở Tư pháp", "Đề nghị gia hạn bị từ chối: NV1 — Sở Tư pháp"]
    decided = zalo.messages_to(PERSON)[-1].text
    assert "Đề nghị gia hạn bị từ chối" in decided and "hạn vẫn là 30/06/2021" in decided and "<b>" not in decided


async def test_the_escalation_reaches_a_leader_by_mail_with_the_list_attached_even_without_a_leaders_chat(
    sm: async_sessionmaker[AsyncSession], smtp: SmtpTestServer
) -> None:
    await seed(sm)  # no leaders' chat: before, nothing escalated
    async with sm() as s, s.begin():
        province = await repo.get_province(s, slug="phu-tho")
        assert province is not None
        result = await set_leader_email(
            s, province_ids=[province.id], address=LEADER_MAIL, name="Chủ tịch", actor_tg_id=501, now=TICK_NOW
        )
        assert result.problem is None
    report = await outbox_tick(sm)
    assert report.escalated == 1
    assert (await outbox_tick(sm)).escalated == 0  # once
    sender = ChannelSender(
        sessionmaker=sm, adapter=EmailChannel.from_url(smtp.url, sender=SENDER, timeout=5), clock=lambda: TICK_NOW,
        admins=ADMIN_SETUP,
    )
    assert (await sender.drain()).sent == 1
    [received] = smtp.to(LEADER_MAIL)
    mail = received.message
    assert mail["Subject"] == f"Nhiệm vụ quá hạn lâu — {province.name} — 23/06/2025"
    assert "Quá hạn lâu" in mail.get_body(("plain",)).get_content()
    [attached] = [p for p in mail.iter_attachments()]
    assert attached.get_filename() == "qua-han-2025-06-23.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(attached.get_content()))
    assert any("Quá hạn lâu" in str(c.value) for row in book.active.iter_rows() for c in row)


def test_notice_parts_never_meet() -> None:
    seen = {
        notice_part(source, source_id, piece)
        for source in NoticeSource for source_id in (1, 2, 3, 1000) for piece in (0, 1, NOTICE_PIECES - 1)
    }
    assert len(seen) == len(NoticeSource) * 4 * 3 and min(seen) >= NOTICE_PIECES
    with pytest.raises(ValueError):
        notice_part(NoticeSource.CHANGE, 1, NOTICE_PIECES)


async def test_an_answer_changing_several_items_makes_one_notice(sm: async_sessionmaker[AsyncSession]) -> None:
    """"NV1 xong, NV2 đang làm 50%" in the agency's group: two history rows, ONE mail to
    the agency's mailbox naming both (not a mail per item)."""
    from test_db_status import env

    from bot.db.models import Agency, Task
    from bot.db.retry import begin_write
    from bot.services import status as svc

    await seed(sm)
    async with sm() as s:
        stp = (await s.scalars(select(Agency).where(Agency.code == "STP"))).one()
        tasks = {t.ref: t.id for t in await s.scalars(select(Task))}
    await reach_stp(sm, stp.id)
    async with sm() as s, s.begin():
        await begin_write(s)
        e = await env(s, stp.id, now=TICK_NOW)
        result = await svc.plain_message(s, e, text=f"NV{tasks['1']} xong, NV{tasks['2']} đang làm 50%")
    assert result.handled
    queued = await notices(sm)
    mails = [r for r in queued if r.channel is Channel.EMAIL]
    assert len(mails) == 1 and len([r for r in queued if r.channel is Channel.ZALO]) >= 1
    assert f"NV{tasks['1']}" in (mails[0].alt_body or "") and f"NV{tasks['2']}" in (mails[0].alt_body or "")
    assert mails[0].subject == f"Cập nhật tiến độ NV{tasks['1']}, NV{tasks['2']} — Sở Tư pháp"


async def test_a_notice_too_long_for_zalo_is_cut_visibly_with_the_console_link(
    sm: async_sessionmaker[AsyncSession], zalo: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    """A notice over NOTICE_PIECES Zalo messages (~64,000 characters: an answer naming
    hundreds of items) is not cut silently: its last message says how much was sent and
    gives the agency's signed console link, a warning is logged; the mail has it whole."""
    import logging

    from bot.services import notices as notices_svc

    ids = await seeded(sm)
    await reach_stp(sm, ids["STP"])
    paragraphs = [f"<b>Nhiệm vụ {n}</b>: " + "nội dung cập nhật dài " * 70 for n in range(1, 61)]  # ~1,600 chars each
    html = "\n\n".join(paragraphs)
    url = "https://nhacviec.phutho.gov.vn/web/a/1.1767225600.abcdef"
    with caplog.at_level(logging.WARNING, logger="nhacviec.notices"):
        async with sm() as s, s.begin():
            await notices_svc.to_agency_channels(
                s, agency_id=ids["STP"], html=html, subject="Cập nhật", source=NoticeSource.CHANGE, source_id=7,
                on_date=NOW.date(), now=NOW, console_url=url,
            )
    rows = await notices(sm)
    on_zalo = [r for r in rows if r.channel is Channel.ZALO]
    [mail] = [r for r in rows if r.channel is Channel.EMAIL]
    assert "Nhiệm vụ 60" in (mail.alt_body or "")  # the mail is not cut
    assert len(on_zalo) == NOTICE_PIECES and {r.parts for r in on_zalo} == {NOTICE_PIECES}
    last = on_zalo[-1].body
    assert last.startswith("✂️ Thông báo quá dài: đã gửi 31/") and url in last, last
    assert "Nhiệm vụ 60" not in "".join(r.body for r in on_zalo)
    assert [r for r in caplog.records if getattr(r, "event", None) == "notice.cut" or "quá dài" in r.getMessage()]
    # Delivered in order, each under Zalo's limit; the person sees where the rest is.
    assert (await zalo_sender(sm, zalo).drain()).sent == NOTICE_PIECES
    received = zalo.messages_to(PERSON)
    assert len(received) == NOTICE_PIECES and all(len(m.text) <= 2000 for m in received)
    assert url in received[-1].text and received[0].text.startswith("Nhiệm vụ 1")


async def test_a_notice_that_fits_is_sent_whole(sm: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.services import notices as notices_svc

    ids = await seeded(sm)
    await reach_stp(sm, ids["STP"])
    html = "\n\n".join(f"Nhiệm vụ {n}: " + "cập nhật " * 150 for n in range(1, 11))
    with caplog.at_level(logging.WARNING, logger="nhacviec.notices"):
        async with sm() as s, s.begin():
            await notices_svc.to_agency_channels(
                s, agency_id=ids["STP"], html=html, subject="Cập nhật", source=NoticeSource.CHANGE, source_id=8,
                on_date=NOW.date(), now=NOW, console_url="https://x/web/a/t",
            )
    on_zalo = [r for r in await notices(sm) if r.channel is Channel.ZALO]
    assert 1 < len(on_zalo) < NOTICE_PIECES and "Nhiệm vụ 10" in on_zalo[-1].body
    assert not any("quá dài" in r.body for r in on_zalo) and not caplog.records


async def test_a_change_finds_its_agencys_addresses_in_one_query(sm: async_sessionmaker[AsyncSession]) -> None:
    """The addresses that hear of a change (the item's agency's and its successor's, as
    reachable_for_agency finds them) come from ONE query for all the items of an answer,
    instead of an item, a succession and a recipients query per item."""
    from sqlalchemy import event, update

    from bot.db.models import Agency, Task

    ids = await seeded(sm)
    await reach_stp(sm, ids["STP"])
    async with sm() as s, s.begin():  # STP merged into STC: STC's mailbox hears of STP's items too
        province = (await s.scalars(select(Province))).one()
        await s.execute(update(Agency).where(Agency.id == ids["STP"]).values(successor_id=ids["STC"]))
        await recipients_repo.upsert(
            s, province_id=province.id, channel=Channel.EMAIL, address="vanthu@stc.phutho.gov.vn",
            role=ChatRole.AGENCY, agency_id=ids["STC"], person_name=None, actor_tg_id=None, now=NOW,
        )
        task2 = await s.scalar(select(Task.id).where(Task.ref == "2"))
        other_items = list(await s.scalars(select(DueItem.id).where(DueItem.task_id == task2)))
    items = [ids["item"], *other_items]
    async with sm() as s:
        expected = {
            agency: [r.id for r in await recipients_repo.reachable_for_agency(
                s, agency_id=agency, channels=(Channel.EMAIL, Channel.ZALO))]
            for agency in {(await s.get(DueItem, i)).agency_id for i in items}  # type: ignore[union-attr]
        }
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = sm.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with sm() as s:
            audience = await recipients_repo.reachable_for_items(
                s, due_item_ids=items, channels=(Channel.EMAIL, Channel.ZALO)
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert {a: [r.id for r in rs] for a, rs in audience.recipients.items()} == expected
    assert audience.agency_of[ids["item"]] == ids["STP"] and len(expected[ids["STP"]]) == 3  # mail, Zalo, STC's mail
    assert set(audience.agency_of) == set(items)
