"""`nhacviec tick --date D` after an outage, as an operator runs it: a real subprocess talking to
the fake Bot API server (TELEGRAM_API_URL), on SQLite and PostgreSQL.

Friday 20/06/2025's tick had run before the outage for three agency groups: the first
group's reminder went out, the second's was still queued, the third's was being sent when
the process died (sent again: at least once), and a fourth group was bound afterwards. The command
sends exactly the missing ones; the one in doubt is sent again, the one recorded as sent is not."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Bot
from telegram.constants import ParseMode

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import outbox as outbox_repo
from bot.db.models import OutboxMessage
from bot.domain.kinds import ChatRole
from bot.services.outbox import LEASE_LOST
from bot.services.reminders import (
    calendar_from_settings,
    collect_reminders,
    enqueue_reminders,
    policy_from_settings,
)
from tests.fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PLAN = ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
FRIDAY = date(2025, 6, 20)
THEN = datetime(2025, 6, 20, 1, 0, tzinfo=UTC)
STP, SNV, KHCN, LATE = -4_400_000_001, -4_400_000_002, -4_400_000_003, -4_400_000_004
ADMIN = 500_001


async def nhacviec(server: FakeBotApi, url: str, cwd: Path, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": url,
        "ADMIN_IDS": str(ADMIN),
        "PROVINCE": "phu-tho",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


def reminders(server: FakeBotApi, chat_id: int) -> list[Any]:
    return [m for m in server.messages_in(chat_id) if (m.text or "").startswith("🔔 Nhắc việc")]


async def test_tick_for_a_past_date_sends_the_missing_ones_and_nothing_twice(
    fake_bot_api: FakeBotApi, bot_db_url: str, tmp_path: Path
) -> None:
    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.services.plans import read_and_parse, store_draft

    server = fake_bot_api
    server.add_user(ADMIN, "Quản trị")
    for chat_id in (STP, SNV, KHCN, LATE):
        server.add_chat(chat_id, title=f"Nhóm {chat_id}", members=[ADMIN])
    settings = load_settings(database_url=bot_db_url)
    catalog = Catalog(settings.data_dir)
    await upgrade_database_async(bot_db_url)
    engine = make_engine(bot_db_url)
    sm = make_sessionmaker(engine)
    try:
        draft = read_and_parse(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, catalog=catalog, province=None, max_bytes=20 << 20)
        async with sm() as s, s.begin():
            await store_draft(s, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="test")
            province = await agencies_repo.get_province(s, slug="phu-tho")
            # Three agencies with reminders that Friday (the sample plan decides which).
            day = await collect_reminders(
                s, on_date=FRIDAY, calendar=calendar_from_settings(settings), policy=policy_from_settings(settings)
            )
            agencies = [await agencies_repo.get_agency(s, agency_id=g.agency_id) for g in day.groups[:3]]
            assert len(agencies) == 3
            for tg, agency in zip((STP, SNV, KHCN), agencies, strict=True):
                await chats_repo.bind_chat(s, province=province, tg_chat_id=tg, role=ChatRole.AGENCY, now=THEN, agency=agency)
            # Friday's tick, before the outage.
            report = await enqueue_reminders(
                s, on_date=FRIDAY, calendar=calendar_from_settings(settings), policy=policy_from_settings(settings), now=THEN
            )
        assert report.queued >= 3
        async with sm() as s, s.begin():
            rows = {r.tg_chat_id: r for r in await s.scalars(select(OutboxMessage).where(OutboxMessage.on_date == FRIDAY))}
            assert {STP, SNV, KHCN} <= set(rows)
            claimed = {c.address: c for c in await outbox_repo.claim_telegram(s, worker="old", now=THEN, lease=timedelta(minutes=2), limit=50)}
            for tg in (STP, KHCN):
                await outbox_repo.mark_sending(s, outbox_id=claimed[tg].id, worker="old", now=THEN, lease=timedelta(minutes=5))
            await outbox_repo.release(s, ids=[c.id for tg, c in claimed.items() if tg not in (STP, KHCN)], worker="old", until=THEN)
        # The first went out and was recorded; the third's send never came back.
        async with Bot(server.token, base_url=server.base_url) as bot:
            sent = await bot.send_message(STP, rows[STP].body, parse_mode=ParseMode.HTML)
        async with sm() as s, s.begin():
            await outbox_repo.mark_sent(s, outbox_id=rows[STP].id, worker="old", now=THEN, message_id=sent.message_id, tg_chat_id=STP)
            await outbox_repo.expire_leases(s, now=THEN + timedelta(hours=1), error=LEASE_LOST)  # KH&CN → pending again
            province = await agencies_repo.get_province(s, slug="phu-tho")
            first = await agencies_repo.get_agency(s, agency_id=agencies[0].id)
            await chats_repo.bind_chat(s, province=province, tg_chat_id=LATE, role=ChatRole.AGENCY, now=THEN, agency=first)
    finally:
        await engine.dispose()

    code, out = await nhacviec(server, bot_db_url, tmp_path, "tick", "--date", "20/06/2025")
    assert code == 0, out
    assert "20/06/2025" in out
    assert [len(reminders(server, c)) for c in (STP, SNV, KHCN, LATE)] == [1, 1, 1, 1]
    assert all("Thứ Sáu, 20/06/2025" in m.text for c in (SNV, KHCN, LATE) for m in reminders(server, c))

    code, out = await nhacviec(server, bot_db_url, tmp_path, "tick", "--date", "20/06/2025")
    assert code == 0, out
    assert [len(reminders(server, c)) for c in (STP, SNV, KHCN, LATE)] == [1, 1, 1, 1]
