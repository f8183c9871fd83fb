"""`nhacviec tick` drains the e-mail and Zalo outboxes too (not only Telegram's), as an
operator runs it after an outage: a real subprocess talking to the fake Bot API server,
a real SMTP server (aiosmtpd) and the fake Zalo Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import agencies as repo
from bot.db import recipients as recipients_repo
from bot.db.models import OutboxMessage
from bot.domain.channels import Channel
from bot.domain.kinds import ChatRole, OutboxStatus
from bot.services.recipients import set_agency_email
from tests.e2e.test_reminders_cli import ADMIN, FRIDAY, ROOT, SAMPLE_PLAN, THEN
from tests.fakebot import FakeBotApi
from tests.fakezalo import FakeZaloApi
from tests.smtpserver import SmtpTestServer

MAIL = "vanthu@stp.phutho.gov.vn"
PERSON = "zalo-focal-cli"


@pytest.fixture
async def zalo(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeZaloApi]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeZaloApi() as server:
        server.add_user(PERSON, "Đầu mối")
        yield server


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    # This checkout's code, whatever copy of the package the interpreter has installed.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env={**os.environ, **env, "PYTHONPATH": path},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_the_cli_tick_sends_the_mail_and_zalo_reminders_too(
    fake_bot_api: FakeBotApi, bot_db_url: str, tmp_path: Path, zalo: FakeZaloApi
) -> None:
    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.services.plans import read_and_parse, store_draft
    from bot.services.reminders import calendar_from_settings, collect_reminders, policy_from_settings

    smtp = SmtpTestServer()
    smtp.start()
    settings = load_settings(database_url=bot_db_url)
    catalog = Catalog(settings.data_dir)
    await upgrade_database_async(bot_db_url)
    engine = make_engine(bot_db_url)
    sm = make_sessionmaker(engine)
    try:
        draft = read_and_parse(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, catalog=catalog, province=None, max_bytes=20 << 20)
        async with sm() as s, s.begin():
            await store_draft(s, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="test")
            province = await repo.get_province(s, slug="phu-tho")
            assert province is not None
            day = await collect_reminders(
                s, on_date=FRIDAY, calendar=calendar_from_settings(settings), policy=policy_from_settings(settings)
            )
            agency = await repo.get_agency(s, agency_id=day.groups[0].agency_id)
            assert agency is not None
            # No Telegram group: the agency is reached by its mailbox and its focal point's Zalo.
            result = await set_agency_email(
                s, province_ids=[province.id], agency_query=agency.code, address=MAIL, actor_tg_id=ADMIN, now=THEN
            )
            assert result.problem is None, result.problem
            await recipients_repo.upsert(
                s, province_id=province.id, channel=Channel.ZALO, address=PERSON, role=ChatRole.AGENCY,
                agency_id=agency.id, person_name="Đầu mối", actor_tg_id=None, now=THEN,
            )
        env = {
            "TELEGRAM_BOT_TOKEN": fake_bot_api.token, "TELEGRAM_API_URL": fake_bot_api.url, "DATABASE_URL": bot_db_url,
            "ADMIN_IDS": str(ADMIN), "PROVINCE": "phu-tho", "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost", "COLUMNS": "200", "SMTP_URL": smtp.url,
            "MAIL_FROM": "Bot nhắc việc <nhacviec@phutho.gov.vn>", "ZALO_BOT_TOKEN": zalo.token,
            "ZALO_API_URL": zalo.url,
        }
        code, out = await run_cli(env, tmp_path, "tick", "--date", "20/06/2025")
        assert code == 0, out
        assert "Thư điện tử: đã gửi 1 tin" in out and "Zalo: đã gửi 1 tin" in out, out
        [mail] = smtp.to(MAIL)
        assert mail.message["Subject"] == f"Nhắc việc — {agency.name} — 20/06/2025"
        [on_zalo] = [m for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]
        assert agency.name in on_zalo.text
        # Again: nothing twice by any channel.
        code, out = await run_cli(env, tmp_path, "tick", "--date", "20/06/2025")
        assert code == 0, out
        assert len(smtp.to(MAIL)) == 1 and len([m for m in zalo.messages_to(PERSON) if m.text.startswith("🔔")]) == 1
        async with sm() as s:
            states = set((await s.scalars(
                select(OutboxMessage.status).where(OutboxMessage.channel.in_([Channel.EMAIL, Channel.ZALO]))
            )).all())
        assert states == {OutboxStatus.SENT}
    finally:
        smtp.stop()
        await engine.dispose()
