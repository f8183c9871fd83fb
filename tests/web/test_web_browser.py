"""The console in a real Chromium (Debian's, driven by Playwright) against the real bot:
sign in with /web, correct a flagged task's lead and deadline (an event task of Sở Nội vụ: given
to Sở Xây dựng and dated), see it in `nhacviec tasks`;
a stranger and another agency's focal point are refused. Screenshots at 360 px and desktop
widths go to $NV_SCREENSHOTS (or the test's tmp dir)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Text, cast, select

from bot.db.models import Agency, Task, TaskAgency
from bot.domain.kinds import LinkRole
from tests.web.conftest import ADMIN, FOCAL, STRANGER, Web

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def bot_settings_overrides() -> dict[str, object]:
    return {"web_port": _free_port()}


@pytest.fixture
async def console(web: Web) -> AsyncIterator[str]:
    """The console served by uvicorn in the bot's loop, as `nhacviec run` serves it."""
    from bot.web.server import Console

    served = Console()
    await served.start(web.world.app)
    assert served.server is not None, "the console did not start"
    try:
        yield web.world.app.bot_data.settings.web_url  # type: ignore[attr-defined]
    finally:
        await served.stop()


async def test_sign_in_correct_a_flagged_task_and_refusals(web: Web, console: str, tmp_path: Path, bot_db_url: str) -> None:
    from playwright.async_api import async_playwright

    shots = Path(os.environ.get("NV_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    db = "pg" if bot_db_url.startswith("postgresql") else "sqlite"
    async with web.world.sm() as s:  # a task the parser flagged (its deadline is an event), led by Sở Nội vụ
        task = await s.scalar(
            select(Task.id)
            .join(TaskAgency, (TaskAgency.task_id == Task.id) & (TaskAgency.role == LinkRole.LEAD))
            .join(Agency, TaskAgency.agency_id == Agency.id)
            .where(Agency.code == "so-noi-vu", cast(Task.needs_review, Text).like('%"event_deadline"%'))
            .order_by(Task.id)
            .limit(1)
        )
        sxd_only = await s.scalar(
            select(Task.id)
            .join(TaskAgency, (TaskAgency.task_id == Task.id) & (TaskAgency.role == LinkRole.LEAD))
            .join(Agency, TaskAgency.agency_id == Agency.id)
            .where(Agency.code == "so-xay-dung", Task.id.not_in(
                select(TaskAgency.task_id).join(Agency, TaskAgency.agency_id == Agency.id).where(Agency.code == "so-tu-phap")
            ))
            .limit(1)
        )
    assert task and sxd_only
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone = await browser.new_context(viewport={"width": 360, "height": 740})
            page = await phone.new_page()
            await page.goto(await web.link(ADMIN))
            await page.click("#login")
            await page.wait_for_url("**/web/tasks")
            assert "Nhiệm vụ — " in await page.inner_text("h1")
            await page.screenshot(path=str(shots / f"tasks-360-{db}.png"), full_page=False)

            await page.goto(f"{console}/web/tasks/{task}")
            assert "chờ sự kiện, cần đặt hạn" in await page.inner_text("span.flag")
            await page.fill("#lead-search", "xay dung")
            for box in await page.query_selector_all("#lead-form input[type=checkbox]:checked"):
                await box.uncheck()
            await page.check("#lead-form label.opt:not([hidden]) input[type=checkbox]")
            await page.click("#lead-form button[type=submit]")
            await page.wait_for_selector("#lead:has-text('Sở Xây dựng')")
            await page.fill("#deadline", "31/01/2027")
            await page.wait_for_selector("#deadline-preview:has-text('31/01/2027')")  # htmx preview
            await page.click("#deadline-form button[type=submit]")
            await page.wait_for_selector("#items:has-text('31/01/2027')")
            assert await page.query_selector("span.flag") is None  # the correction settled the flag
            await page.screenshot(path=str(shots / f"task-360-{db}.png"), full_page=True)

            desktop = await browser.new_context(viewport={"width": 1280, "height": 800})
            wide = await desktop.new_page()
            await wide.goto(await web.link(ADMIN))
            await wide.click("#login")
            await wide.wait_for_url("**/web/tasks")
            await wide.screenshot(path=str(shots / f"tasks-1280-{db}.png"))
            await wide.goto(f"{console}/web/tasks/{task}")
            corrected = await wide.inner_text("#corrections")
            assert "Sở Nội vụ → Sở Xây dựng" in corrected and "31/01/2027" in corrected
            assert "Sở Xây dựng" in await wide.inner_text("#items")
            await wide.screenshot(path=str(shots / f"task-1280-{db}.png"), full_page=True)

            stranger = await (await browser.new_context()).new_page()
            await stranger.goto(await web.link(STRANGER))
            await stranger.click("#login")
            await stranger.wait_for_selector("#refused")
            assert "Sở Tư pháp" not in await stranger.content()

            focal = await (await browser.new_context()).new_page()
            await focal.goto(await web.link(FOCAL))
            await focal.click("#login")
            await focal.wait_for_url("**/web/tasks")
            response = await focal.goto(f"{console}/web/tasks/{sxd_only}")
            assert response is not None and response.status == 404
            await focal.wait_for_selector("#refused")
        finally:
            await browser.close()

    # The correction as the command line sees it.
    env = {**os.environ, "DATABASE_URL": bot_db_url, "PROVINCE": "phu-tho"}
    proc = await asyncio.create_subprocess_exec(
        shutil.which("nhacviec") or sys.executable, *([] if shutil.which("nhacviec") else ["-m", "bot"]),
        "tasks", "--agency", "Sở Xây dựng", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    table = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "31/01/2027" in table
