"""The console of a real `nhacviec run` process (its own OS process, polling the fake Bot API
server, serving the console on WEB_PORT) in a real Chromium, SQLite and PostgreSQL: an admin
signs in with /web and re-dates a task; a focal point signs in, attaches an evidence file and
downloads it back (through the process's getFile and the configured TELEGRAM_API_URL) under
its Vietnamese name, and is refused another agency's task."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import Agency, DueItem, Task, TaskAgency
from bot.domain.kinds import LinkRole
from bot.domain.status import Status
from tests.e2e.conftest import ADMIN, FOCAL, STP_GROUP, sample_draft
from tests.e2e.test_bot_run import _env, _free_port, _running
from tests.fakebot import FakeBotApi
from tests.web.test_web_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
LINK = re.compile(r"(http://[^\s\"<]+/web/login\?t=[A-Za-z0-9_.\-]+)")


async def _link(server: FakeBotApi, user_id: int) -> str:
    before = len(server.messages_in(user_id))
    server.send_text(user_id, user_id, "/web")
    [reply] = (await server.wait_for_sent(user_id, before + 1, timeout=15))[before:]
    found = LINK.search(reply.text or "")
    assert found, reply.text
    return found.group(1)


async def test_the_console_of_a_running_bot_process(tmp_path: Path, fake_bot_api: FakeBotApi, bot_db_url: str) -> None:
    from playwright.async_api import async_playwright

    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db import agencies as agencies_repo
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.services import chats
    from bot.services.plans import store_draft

    shots = Path(os.environ.get("NV_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    db = "pg" if bot_db_url.startswith("postgresql") else "sqlite"
    server = fake_bot_api
    server.default_member_status = "left"  # Telegram's answer for someone not in the group
    server.add_user(ADMIN, "Quản trị")
    server.add_user(FOCAL, "Đầu mối STP")
    server.add_chat(STP_GROUP, title="Sở Tư pháp — nhắc việc", members=[FOCAL, ADMIN])
    for user_id in (FOCAL, ADMIN):
        server.chat(STP_GROUP).member_status[user_id] = "member"
    port = _free_port()
    settings = load_settings(telegram_bot_token=server.token, telegram_api_url=server.url, database_url=bot_db_url, province="phu-tho")
    catalog = Catalog(settings.data_dir)
    await upgrade_database_async(bot_db_url)
    engine = make_engine(bot_db_url)
    sm = make_sessionmaker(engine)
    try:
        async with sm() as s, s.begin():  # the sample plan, and Sở Tư pháp's group bound
            await store_draft(s, draft=sample_draft(catalog), catalog=catalog, timezone=settings.timezone, actor="test")  # type: ignore[arg-type]
            await chats.sync_directory(s, settings=settings, catalog=catalog)
            province = await agencies_repo.get_province(s, slug="phu-tho")
            assert province is not None
            stp = await agencies_repo.get_agency_by_code(s, province_id=province.id, code="so-tu-phap")
            assert stp is not None
            await chats.bind_agency(s, agency=stp, tg_chat_id=STP_GROUP, title="Sở Tư pháp — nhắc việc", by_tg_id=ADMIN, now=datetime.now(UTC))
        async with sm() as s:
            item = await s.scalar(
                select(DueItem).where(DueItem.agency_id == stp.id, DueItem.status == Status.PENDING, DueItem.cancelled.is_(False))
                .order_by(DueItem.due_on.desc(), DueItem.id).limit(1)
            )
            other = await s.scalar(
                select(Task.id).join(TaskAgency, (TaskAgency.task_id == Task.id) & (TaskAgency.role == LinkRole.LEAD))
                .join(Agency, TaskAgency.agency_id == Agency.id).where(Agency.code == "so-xay-dung")
                .where(Task.id.not_in(select(TaskAgency.task_id).where(TaskAgency.agency_id == stp.id))).limit(1)
            )
        assert item is not None and other is not None

        env = _env(
            tmp_path, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.url, DATABASE_URL=bot_db_url,
            PROVINCE="phu-tho", ADMIN_IDS=str(ADMIN), WEB_PORT=str(port), WEB_LISTEN="127.0.0.1", DIGEST_ENABLED="false",
        )
        proof = tmp_path / "Biên bản kiểm tra.pdf"
        proof.write_bytes(b"%PDF-1.4\n% bien ban kiem tra\n" + b"x" * 5000)
        async with _running(tmp_path, env) as proc, async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                admin = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
                await admin.goto(await _link(server, ADMIN))
                await admin.click("#login")
                await admin.wait_for_url("**/web/tasks")
                await admin.goto(f"http://127.0.0.1:{port}/web/tasks/{item.task_id}")
                await admin.fill("#deadline", "Quý IV/2026")
                await admin.wait_for_selector("#deadline-preview:has-text('31/12/2026')")
                await admin.click("#deadline-form button[type=submit]")
                await admin.wait_for_selector("#items:has-text('31/12/2026')")
                await admin.screenshot(path=str(shots / f"process-task-1280-{db}.png"))

                phone = await (await browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)).new_page()
                await phone.goto(await _link(server, FOCAL))
                await phone.click("#login")
                await phone.wait_for_url("**/web/tasks")
                await phone.goto(f"http://127.0.0.1:{port}/web/tasks/{item.task_id}")
                [current] = await phone.query_selector_all("#items tr[id^=item-]:has-text('Sở Tư pháp')")
                current_id = (await current.get_attribute("id") or "").removeprefix("item-")
                form = f"#evidence-{current_id}"
                if not await phone.is_visible(form):
                    await phone.click(f"#item-{current_id} + tr summary")
                await phone.set_input_files(f"{form} input[type=file]", str(proof))
                await phone.click(f"{form} button[type=submit]")
                await phone.wait_for_selector("#history a.file")
                async with phone.expect_download() as downloading:
                    await phone.click("#history a.file")
                download = await downloading.value
                assert download.suggested_filename == "Biên bản kiểm tra.pdf"
                assert Path(await download.path()).read_bytes() == proof.read_bytes()
                await phone.locator("#history tr:has(a.file)").screenshot(path=str(shots / f"process-evidence-360-{db}.png"))
                refused = await phone.goto(f"http://127.0.0.1:{port}/web/tasks/{other}")
                assert refused is not None and refused.status == 404
                await phone.wait_for_selector("#refused")
            finally:
                await browser.close()
        assert proc.returncode == 0
        async with sm() as s:
            dates = set(await s.scalars(select(DueItem.due_on).where(DueItem.task_id == item.task_id, DueItem.cancelled.is_(False))))
        assert {d.isoformat() for d in dates} == {"2026-12-31"}
    finally:
        await engine.dispose()
