"""E-mail end to end below the bot, on SQLite and PostgreSQL, against a real SMTP server in
the test process (aiosmtpd): the tick's reminder mail (text + HTML, the signed console link),
the leaders' monthly report (chart inline, workbook and .docx attached and opened), a
refused mailbox (unreachable, admins told), a server down then back (nothing lost, nothing
twice, the Telegram rows claimable all along)."""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy import select
from test_db_outbox import ADMIN_SETUP, CAL, NOW, POLICY, TODAY, seed

from bot.channels.email import EmailChannel
from bot.db import agencies as agencies_repo
from bot.db import outbox as outbox_repo
from bot.db.models import OutboxMessage, Recipient
from bot.domain.channels import Channel
from bot.domain.digest import DigestKind, digest_period
from bot.domain.kinds import OutboxKind, OutboxStatus
from bot.services import recipients as recipient_service
from bot.services.channel_sender import ChannelSender
from bot.services.digests import make_output
from bot.services.links import AgencyLinks, link_key, read_token
from bot.services.mailings import digest_addresses_waiting, queue_digest_emails
from bot.services.reminders import enqueue_reminders

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the tests package, from tests/db
from tests.smtpserver import SmtpTestServer, smtp  # noqa: F401 - the fixture
from tests.timing import StoppedClock

SENDER = "Bot nhắc việc <nhacviec@phutho.gov.vn>"
STP_MAIL = "vanthu@stp.phutho.gov.vn"
LEADER_MAIL = "chutich@phutho.gov.vn"
LINKS = AgencyLinks(base_url="https://nhacviec.phutho.gov.vn", key=link_key("123:TEST"), days=14)


def sender(sm, smtp: SmtpTestServer, clock: StoppedClock | None = None) -> ChannelSender:
    adapter = EmailChannel.from_url(smtp.url, sender=SENDER, timeout=5)
    return ChannelSender(sessionmaker=sm, adapter=adapter, clock=clock or StoppedClock(NOW), admins=ADMIN_SETUP, backoff=30)


async def set_emails(sm, *pairs: tuple[str, str]) -> None:
    async with sm() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        for agency, address in pairs:
            if agency == "leader":
                result = await recipient_service.set_leader_email(
                    s, province_ids=[province.id], address=address, name="Chủ tịch UBND tỉnh", actor_tg_id=501, now=NOW
                )
            else:
                # always: the reminder by mail beside the agency's Telegram group (the seed binds one)
                result = await recipient_service.set_agency_email(
                    s, province_ids=[province.id], agency_query=agency, address=address, actor_tg_id=501, now=NOW,
                    always=True,
                )
            assert result.problem is None, result.problem


async def tick(sm) -> object:
    async with sm() as s, s.begin():
        return await enqueue_reminders(s, on_date=TODAY, calendar=CAL, policy=POLICY, now=NOW, links=LINKS)


async def rows(sm, **where: object) -> list[OutboxMessage]:
    async with sm() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        return list(await s.scalars(query))


async def test_tick_mails_the_agency_its_reminder_once_with_a_console_link(sm, smtp) -> None:
    await seed(sm)
    await set_emails(sm, ("STP", STP_MAIL))
    report = await tick(sm)
    assert report.emails == 1
    assert (await tick(sm)).emails == 0  # a repeated tick adds nothing
    telegram = await rows(sm, channel=Channel.TELEGRAM, kind=OutboxKind.REMINDER)
    assert len(telegram) == 4  # the chats get theirs as before
    result = await sender(sm, smtp).drain()
    assert result.sent == 1
    [received] = smtp.to(STP_MAIL)
    mail = received.message
    assert received.mail_from == "nhacviec@phutho.gov.vn"
    assert mail["Subject"] == "Nhắc việc — Sở Tư pháp — 23/06/2025"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    # The same items as the group's reminder, without the Telegram instructions.
    assert "1. Rà soát văn bản QPPL" in text and "Số hoá dữ liệu hộ tịch <CSDL> & dân cư" in text
    assert "&lt;CSDL&gt; &amp; dân cư" in html and "Bấm số nhiệm vụ" not in text
    link = next(w for w in text.split() if w.startswith("https://nhacviec.phutho.gov.vn/web/a/"))
    assert f'href="{link}"' in html
    async with sm() as s:
        stp = await s.scalar(select(Recipient.agency_id).where(Recipient.address == STP_MAIL))
    assert read_token(link.rsplit("/", 1)[1], key=LINKS.key, now=NOW + timedelta(days=13)) == stp
    [row] = await rows(sm, channel=Channel.EMAIL)
    assert row.status is OutboxStatus.SENT and row.delivery_ref == mail["Message-ID"]
    assert (await sender(sm, smtp).drain()).sent == 0 and len(smtp.messages) == 1


async def test_an_agency_with_only_a_mailbox_is_reached(sm, smtp) -> None:
    await seed(sm)
    # Sở Tài chính has reminders (task 3) and no chat: without a mailbox it is "unreachable".
    await set_emails(sm, ("Sở Tài chính", "stc@phutho.gov.vn"))
    report = await tick(sm)
    assert "Sở Tài chính" not in report.unreachable and report.emails == 1
    await sender(sm, smtp).drain()
    [received] = smtp.to("stc@phutho.gov.vn")
    assert "Kế hoạch CCHC năm" in received.message.get_body(("plain",)).get_content()


async def test_leaders_monthly_report_by_mail_with_chart_and_files(sm, smtp) -> None:
    await seed(sm, leaders=True)
    await set_emails(sm, ("leader", LEADER_MAIL))
    period = digest_period(DigestKind.MONTH, TODAY)
    async with sm() as s:
        province = await agencies_repo.get_province(s, slug="phu-tho")
        waiting = await digest_addresses_waiting(s, province=province, period=period)
        output = await make_output(s, province=province, period=period, with_report=True)
    assert len(waiting) == 1
    async with sm() as s, s.begin():
        assert await queue_digest_emails(s, recipient_ids=waiting, period=period, parts=output.parts, now=NOW) == 1
        assert await queue_digest_emails(s, recipient_ids=waiting, period=period, parts=output.parts, now=NOW) == 0
    async with sm() as s:
        assert await digest_addresses_waiting(s, province=province, period=period) == []
    assert (await sender(sm, smtp).drain()).sent == 1
    [received] = smtp.to(LEADER_MAIL)
    mail = received.message
    assert mail["To"].addresses[0].display_name == "Chủ tịch UBND tỉnh"
    assert "Báo cáo tháng" in mail["Subject"] and "Phu Tho" in mail["Subject"]  # the seeded province's name
    text = mail.get_body(("plain",)).get_content()
    assert "Rà soát văn bản QPPL" in text or "Quá hạn" in text
    html = mail.get_body(("html",)).get_content()
    [image] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    files = {a.get_filename(): a.get_content() for a in mail.iter_attachments()}
    [xlsx_name] = [n for n in files if n.endswith(".xlsx")]
    [docx_name] = [n for n in files if n.endswith(".docx")]
    workbook = openpyxl.load_workbook(io.BytesIO(files[xlsx_name]))
    cells = " ".join(str(c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Sở Tư pháp" in cells and "Rà soát văn bản QPPL" in cells
    report = docx.Document(io.BytesIO(files[docx_name]))
    body = "\n".join(p.text for p in report.paragraphs)
    assert "BÁO CÁO" in body.upper() and len(report.tables) >= 1
    assert files[xlsx_name] == output.workbook and files[docx_name] == output.report


async def test_a_refused_mailbox_is_marked_unreachable_and_admins_are_told(sm, smtp) -> None:
    await seed(sm)
    await set_emails(sm, ("STP", STP_MAIL), ("SNV", "snv@phutho.gov.vn"))
    smtp.refuse[STP_MAIL] = f"550 5.1.1 <{STP_MAIL}>: Recipient address rejected: User unknown"
    await tick(sm)
    report = await sender(sm, smtp).drain()
    assert (report.unreachable, report.sent) == (1, 1)
    assert smtp.to(STP_MAIL) == [] and len(smtp.to("snv@phutho.gov.vn")) == 1
    async with sm() as s:
        rec = await s.scalar(select(Recipient).where(Recipient.address == STP_MAIL))
    assert rec is not None and not rec.active and rec.unreachable_reason.startswith("550 5.1.1")
    [failed] = [r for r in await rows(sm, channel=Channel.EMAIL) if r.status is OutboxStatus.FAILED]
    assert failed.recipient_id == rec.id
    notices = await rows(sm, kind=OutboxKind.NOTICE)
    assert sorted(n.admin_tg_id for n in notices) == [501, 502]  # every admin of Phú Thọ, once
    assert all(STP_MAIL in n.body and "User unknown" in n.body for n in notices)
    # The next day's tick does not mail it again (until an admin re-enters the address).
    async with sm() as s, s.begin():
        r = await enqueue_reminders(s, on_date=TODAY + timedelta(days=1), calendar=CAL, policy=POLICY, now=NOW, links=LINKS)
    assert all(m.recipient_id != rec.id for m in await rows(sm, on_date=TODAY + timedelta(days=1), channel=Channel.EMAIL))
    assert r.working_day


async def test_server_down_then_back_nothing_lost_nothing_twice_telegram_unaffected(sm, smtp) -> None:
    await seed(sm)
    await set_emails(sm, ("STP", STP_MAIL), ("SNV", "snv@phutho.gov.vn"), ("SKHCN", "khcn@phutho.gov.vn"))
    await tick(sm)
    smtp.stop()
    clock = StoppedClock(NOW)
    mailer = sender(sm, smtp, clock)
    report = await mailer.drain()
    assert report.down and report.sent == 0 and report.retried == 1 and report.released == 2
    mails = await rows(sm, channel=Channel.EMAIL)
    assert len(mails) == 3 and {m.status for m in mails} == {OutboxStatus.PENDING}
    # Meanwhile every Telegram reminder can be claimed and sent at once.
    async with sm() as s, s.begin():
        claimed = await outbox_repo.claim_telegram(s, worker="tg", now=NOW, lease=timedelta(seconds=20), limit=100)
    assert len(claimed) == len(await rows(sm, channel=Channel.TELEGRAM)) == 4
    assert (await mailer.drain()).down  # paused: not even a connection attempt
    smtp.start()
    clock.now = NOW + timedelta(seconds=31)
    report = await mailer.drain()
    assert report.sent == 3 and not report.down
    assert sorted(a for m in smtp.messages for a in m.rcpt_tos) == sorted([STP_MAIL, "snv@phutho.gov.vn", "khcn@phutho.gov.vn"])
    assert {m.status for m in await rows(sm, channel=Channel.EMAIL)} == {OutboxStatus.SENT}
    assert (await mailer.drain()).sent == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_login_from_the_url(sm) -> None:
    server = SmtpTestServer(login=("nhac@viec", "p@ss:w"))
    server.start()
    try:
        await seed(sm)
        await set_emails(sm, ("STP", STP_MAIL))
        await tick(sm)
        adapter = EmailChannel.from_url(f"smtp://nhac%40viec:p%40ss%3Aw@127.0.0.1:{server.port}", sender=SENDER, timeout=5)
        report = await ChannelSender(sessionmaker=sm, adapter=adapter, clock=StoppedClock(NOW), admins=ADMIN_SETUP).drain()
        assert report.sent == 1 and server.logins == ["nhac@viec"] and len(server.to(STP_MAIL)) == 1
    finally:
        server.stop()


async def test_a_mailbox_gets_reminders_beside_a_group_only_when_the_agency_chose_it(sm, smtp) -> None:
    """Without "luon" an agency's mailbox is its fallback: reminders while it has no Telegram
    group (Sở Tài chính here), none beside a group (Sở Tư pháp) — until it opts in."""
    await seed(sm)
    async with sm() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        for agency, address in (("STP", STP_MAIL), ("STC", "vanthu@stc.phutho.gov.vn")):
            result = await recipient_service.set_agency_email(
                s, province_ids=[province.id], agency_query=agency, address=address, actor_tg_id=501, now=NOW
            )
            assert result.problem is None and not result.always
    assert (await tick(sm)).emails == 1
    await sender(sm, smtp).drain()
    assert smtp.to(STP_MAIL) == [] and len(smtp.to("vanthu@stc.phutho.gov.vn")) == 1
    async with sm() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        result = await recipient_service.set_agency_email(
            s, province_ids=[province.id], agency_query="STP", address=STP_MAIL, actor_tg_id=501, now=NOW, always=True,
        )
        assert result.always and not result.created
        listed = {e.address: e.always for e in await recipient_service.list_emails(s, province_ids=[province.id])}
    assert listed == {STP_MAIL: True, "vanthu@stc.phutho.gov.vn": False}
    assert (await tick(sm)).emails == 1  # the same day: STP's mail now, STC's not again
    await sender(sm, smtp).drain()
    assert len(smtp.to(STP_MAIL)) == 1 and len(smtp.to("vanthu@stc.phutho.gov.vn")) == 1


async def test_email_problems_are_reasons_and_a_moved_address_names_its_former_owner(sm) -> None:
    """The service answers with reason codes (bot/render words them); an address taken over
    from another agency names that agency, not its id."""
    from bot.domain.addresses import EmailProblem
    from bot.render import channels as channel_texts

    await seed(sm)
    async with sm() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        ids = [province.id]
        bad = await recipient_service.set_agency_email(s, province_ids=ids, agency_query="STP", address="không-phải-thư", actor_tg_id=501, now=NOW)
        assert bad.problem is EmailProblem.INVALID and bad.detail.startswith("không-phải-thư (")
        assert channel_texts.email_problem(bad.problem, bad.detail, bad.candidates).startswith("Địa chỉ thư không hợp lệ: không-phải-thư (")
        missing = await recipient_service.set_agency_email(s, province_ids=ids, agency_query="Sở Không Có", address=STP_MAIL, actor_tg_id=501, now=NOW)
        assert (missing.problem, missing.detail) == (EmailProblem.NOT_FOUND, "Sở Không Có")
        assert channel_texts.email_problem(missing.problem, missing.detail, []) == "Không tìm thấy cơ quan “Sở Không Có” trong tỉnh bạn quản trị."
        gone = await recipient_service.remove_email(s, province_ids=ids, address=STP_MAIL)
        assert (gone.problem, gone.detail) == (EmailProblem.NOT_IN_USE, STP_MAIL)
        none = await recipient_service.set_leader_email(s, province_ids=[], address=STP_MAIL, name=None, actor_tg_id=501, now=NOW)
        assert none.problem is EmailProblem.NO_PROVINCE

        first = await recipient_service.set_agency_email(s, province_ids=ids, agency_query="STP", address=STP_MAIL, actor_tg_id=501, now=NOW)
        assert first.problem is None and not first.moved
        moved = await recipient_service.set_agency_email(s, province_ids=ids, agency_query="STC", address=STP_MAIL, actor_tg_id=501, now=NOW)
        assert moved.moved and moved.moved_from == "Sở Tư pháp" and moved.agency_name == "Sở Tài chính"
    text = channel_texts.email_set(
        address=STP_MAIL, agency_name=moved.agency_name, person_name=None, created=moved.created,
        moved_from=moved.moved_from, moved=moved.moved,
    )
    assert "(Địa chỉ này trước đây dùng cho Sở Tư pháp.)" in text
