"""An agency reached only by e-mail or Zalo (no Telegram group) is asked about its "chưa cập
nhật" items once, like an agency with a group: the tick that lists them in the mail or the
Zalo message marks them asked, and the next days do not list them again. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from db_factories import DIRECTORY, plan_draft, seed_province, task, yearly, yearly_dates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import recipients as recipients_repo
from bot.db.models import Agency, DueItem, OutboxMessage
from bot.domain.calendar import WorkCalendar
from bot.domain.channels import Channel
from bot.domain.kinds import ChatRole, OutboxKind
from bot.domain.reminders import ReminderPolicy
from bot.domain.status import Status
from bot.services.importing import import_plan
from bot.services.reminders import enqueue_reminders

SM = async_sessionmaker[AsyncSession]
CAL = WorkCalendar(years=range(2021, 2028))
POLICY = ReminderPolicy()
MONDAY = date(2026, 12, 7)
FOLLOW = date(2026, 12, 1)
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


async def _seed(sm: SM, *, channel: Channel, address: str) -> None:
    """STP (e-mail or Zalo only) owes a yearly task since 2021 (5 unknown dates); SNV has a group."""
    draft = plan_draft((
        task("1", "Xây dựng Đề án cải cách", lead=("STP",), deadline=yearly(12, 31), due=yearly_dates(12, 31, 2021, 2025)),
        task("2", "Kế hoạch CCHC năm", lead=("SNV",), deadline=yearly(1, 30), due=yearly_dates(1, 30, 2022, 2026)),
    ))
    async with sm() as s, s.begin():
        province = await seed_province(s)
        await import_plan(s, draft=draft, province_slug="phu-tho", agencies=DIRECTORY, now=NOW, follow_from=FOLLOW)
        codes = await agencies_repo.agencies_by_code(s, province=province, codes=["STP", "SNV"])
        await chats_repo.bind_chat(s, province=province, tg_chat_id=-1003, role=ChatRole.AGENCY, now=NOW, agency=codes["SNV"])
        await recipients_repo.upsert(
            s, province_id=province.id, channel=channel, address=address, role=ChatRole.AGENCY,
            agency_id=codes["STP"].id, person_name=None, actor_tg_id=501, now=NOW,
        )


async def _tick(sm: SM, on: date) -> None:
    async with sm() as s, s.begin():
        await enqueue_reminders(s, on_date=on, calendar=CAL, policy=POLICY, now=NOW + timedelta(days=(on - MONDAY).days))


async def _asked(sm: SM, code: str) -> list[date | None]:
    async with sm() as s:
        rows = await s.scalars(
            select(DueItem.asked_on).join(Agency, DueItem.agency_id == Agency.id)
            .where(Agency.code == code, DueItem.status == Status.UNKNOWN).order_by(DueItem.due_on)
        )
        return list(rows)


async def _messages(sm: SM, channel: Channel) -> list[OutboxMessage]:
    async with sm() as s:
        return list(await s.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == channel, OutboxMessage.kind == OutboxKind.REMINDER)
            .order_by(OutboxMessage.on_date, OutboxMessage.part)
        ))


async def test_email_only_agency_is_asked_once(sm: SM) -> None:
    await _seed(sm, channel=Channel.EMAIL, address="vanthu@stp.phutho.gov.vn")
    assert await _asked(sm, "STP") == [None] * 5
    await _tick(sm, MONDAY)
    assert await _asked(sm, "STP") == [MONDAY] * 5
    assert await _asked(sm, "SNV") == [MONDAY] * 5  # the group's ones, as before
    [mail] = await _messages(sm, Channel.EMAIL)
    assert "Chưa cập nhật" in (mail.alt_body or "") and "31/12/2021" in (mail.alt_body or "")
    await _tick(sm, MONDAY + timedelta(days=1))
    # Nothing else to say to STP on Tuesday: no second mail listing the same items.
    assert len(await _messages(sm, Channel.EMAIL)) == 1
    assert await _asked(sm, "STP") == [MONDAY] * 5


async def test_zalo_only_agency_is_asked_once(sm: SM) -> None:
    await _seed(sm, channel=Channel.ZALO, address="zalo-chat-stp")
    await _tick(sm, MONDAY)
    assert await _asked(sm, "STP") == [MONDAY] * 5
    sent = await _messages(sm, Channel.ZALO)
    assert sent and all(m.on_date == MONDAY for m in sent)
    text = "\n".join(m.body for m in sent)
    assert "Chưa cập nhật" in text and "31/12/2025" in text
    assert sorted(sent[0].due_item_ids or []) == sorted(await _ids(sm, "STP"))
    await _tick(sm, MONDAY + timedelta(days=1))
    assert all(m.on_date == MONDAY for m in await _messages(sm, Channel.ZALO))


async def _ids(sm: SM, code: str) -> list[int]:
    async with sm() as s:
        return list(await s.scalars(
            select(DueItem.id).join(Agency, DueItem.agency_id == Agency.id).where(Agency.code == code)
        ))
