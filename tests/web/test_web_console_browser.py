"""In a real Chromium (Debian's, driven by Playwright) against the real bot: a focal point
attaches an evidence file to an item on a 360-px phone; an admin dates an event task, adds a
day off in the settings form, and reads the Reports page's trend chart at desktop width.
Screenshots at both widths go to $NV_SCREENSHOTS (or the test's tmp dir)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import Agency, CalendarDay, DueItem, StatusChange, Task
from bot.domain.status import Status
from tests.web.conftest import ADMIN, FOCAL, Web
from tests.web.test_web_browser import ARGS, CHROMIUM, bot_settings_overrides, console  # noqa: F401

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")


async def test_evidence_upload_event_dating_and_settings_in_a_browser(
    web: Web, console: str, tmp_path: Path, bot_db_url: str  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright

    shots = Path(os.environ.get("NV_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    db = "pg" if bot_db_url.startswith("postgresql") else "sqlite"
    evidence = tmp_path / "Biên bản họp.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% bien ban\n" + b"x" * 4000)
    async with web.world.sm() as s:
        item = await s.scalar(
            select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
            .where(Agency.code == "so-tu-phap", DueItem.status == Status.PENDING, DueItem.cancelled.is_(False))
            .order_by(DueItem.due_on.desc()).limit(1)
        )
        dated = select(DueItem.task_id).where(DueItem.cancelled.is_(False))
        event = await s.scalar(select(Task.id).where(Task.removed.is_(False), Task.id.not_in(dated)).order_by(Task.id).limit(1))
    assert item is not None and event is not None
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone = await (await browser.new_context(viewport={"width": 360, "height": 740})).new_page()
            await phone.goto(await web.link(FOCAL))
            await phone.click("#login")
            await phone.wait_for_url("**/web/tasks")
            await phone.goto(f"{console}/web/tasks/{item.task_id}")
            form = f"#evidence-{item.id}"
            if not await phone.is_visible(form):
                await phone.click(f"#item-{item.id} + tr summary")
            await phone.set_input_files(f"{form} input[type=file]", str(evidence))
            await phone.fill(f"{form} input[name=note]", "Biên bản họp ngày 20/06/2025")
            await phone.locator(f"#item-{item.id} + tr").screenshot(path=str(shots / f"evidence-form-360-{db}.png"))
            await phone.click(f"{form} button[type=submit]")
            await phone.wait_for_selector("#history:has-text('Biên bản họp.pdf')")
            await phone.locator("#history tr:has(a.file)").screenshot(path=str(shots / f"evidence-history-360-{db}.png"))
            # Downloaded back through the bot, under its Vietnamese name (RFC 5987's filename*).
            async with phone.expect_download() as downloading:
                await phone.click("#history a.file")
            download = await downloading.value
            assert download.suggested_filename == "Biên bản họp.pdf"
            assert Path(await download.path()).read_bytes() == evidence.read_bytes()

            admin_phone = await (await browser.new_context(viewport={"width": 360, "height": 740})).new_page()
            await admin_phone.goto(await web.link(ADMIN))
            await admin_phone.click("#login")
            await admin_phone.wait_for_url("**/web/tasks")
            await admin_phone.goto(f"{console}/web/settings#emails")
            await admin_phone.select_option("#agency-email-form select[name=agency]", label="Sở Tư pháp")
            await admin_phone.fill("#agency-email-form input[name=address]", "vanthu@stp.phutho.gov.vn")
            await admin_phone.check("#email-always")
            await admin_phone.locator("#agency-email-form").screenshot(path=str(shots / f"settings-email-360-{db}.png"))
            await admin_phone.click("#agency-email-form button[type=submit]")
            await admin_phone.wait_for_selector("#email-list:has-text('nhắc việc: luôn')")
            await admin_phone.locator("#email-list").screenshot(path=str(shots / f"settings-email-list-360-{db}.png"))
            await admin_phone.goto(f"{console}/web/settings#calendar")
            await admin_phone.fill("#calendar-form input[name=day]", "05/09/2025")
            await admin_phone.fill("#calendar-form input[name=note]", "nghỉ bù Quốc khánh")
            await admin_phone.click("#calendar-form button[type=submit]")
            await admin_phone.wait_for_selector("#message:has-text('Đã lưu ngày nghỉ 05/09/2025.')")
            await admin_phone.wait_for_selector("#calendar-list:has-text('nghỉ bù Quốc khánh')")
            await admin_phone.screenshot(path=str(shots / f"settings-360-{db}.png"))
            await admin_phone.locator("#calendar-form").screenshot(path=str(shots / f"settings-calendar-360-{db}.png"))
            await admin_phone.goto(f"{console}/web/tasks/undated")
            await admin_phone.screenshot(path=str(shots / f"undated-360-{db}.png"))
            await admin_phone.goto(f"{console}/web/reports?kind=month&date=30/06/2025")
            await admin_phone.wait_for_selector("#trend-chart")
            await admin_phone.locator(".trend-figure").screenshot(path=str(shots / f"trend-360-{db}.png"))

            desktop = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
            await desktop.goto(await web.link(ADMIN))
            await desktop.click("#login")
            await desktop.wait_for_url("**/web/tasks")
            await desktop.goto(f"{console}/web/tasks/undated")
            await desktop.check(f"#undated-{event} input[type=checkbox]")
            await desktop.fill("#undated-actions input[name=deadline]", "15/08/2025")
            await desktop.click("#undated-actions button[type=submit]")
            await desktop.wait_for_selector("#message:has-text('Đã đặt hạn cho 1 nhiệm vụ.')")
            assert await desktop.query_selector(f"#undated-{event}") is None
            await desktop.screenshot(path=str(shots / f"undated-1280-{db}.png"))
            await desktop.goto(f"{console}/web/reports?kind=month&date=30/06/2025")
            chart = await desktop.wait_for_selector("#trend-chart")
            assert chart is not None and (await chart.bounding_box() or {"width": 0})["width"] > 500
            await desktop.locator(".trend-figure").screenshot(path=str(shots / f"trend-1280-{db}.png"))
            await desktop.goto(f"{console}/web/settings")
            await desktop.screenshot(path=str(shots / f"settings-1280-{db}.png"))
            await desktop.goto(f"{console}/web/tasks/{item.task_id}")
            await desktop.locator(f"#item-{item.id} + tr").screenshot(path=str(shots / f"evidence-form-1280-{db}.png"))
        finally:
            await browser.close()

    async with web.world.sm() as s:
        change = await s.scalar(
            select(StatusChange).where(StatusChange.due_item_id == item.id).order_by(StatusChange.id.desc()).limit(1)
        )
        day = await s.scalar(select(CalendarDay).where(CalendarDay.day == date(2025, 9, 5)))
        due = await s.scalar(select(DueItem.due_on).where(DueItem.task_id == event, DueItem.cancelled.is_(False)))
    assert change is not None and change.evidence is not None and change.actor_tg_id == FOCAL
    assert change.evidence["files"][0]["name"] == "Biên bản họp.pdf" and change.evidence["files"][0]["size"] == 4020
    assert day is not None and day.note == "nghỉ bù Quốc khánh" and day.actor_tg_id == ADMIN
    assert due in (date(2025, 8, 15), None)  # None: the event task has no lead agency to remind


# Telegram's web-app script reads the launch data from the URL's fragment (#tgWebAppData=…); the
# test serves this stand-in for it (the machine has no Internet), so the page's own glue runs.
TELEGRAM_JS = (
    "window.Telegram = {WebApp: {initData: new URLSearchParams(location.hash.slice(1)).get('tgWebAppData') || ''}};"
)


async def test_the_mini_app_opens_the_focal_points_page_and_holds_show_in_a_browser(
    web: Web, console: str, tmp_path: Path, bot_db_url: str  # noqa: F811
) -> None:
    """A focal point opens the console as a Telegram Mini App (genuine initData signed with the
    bot token; forged data is refused) and lands on their agency's tasks; a task an admin
    dropped (/khongthuchien) shows "Không thực hiện" there, on a 360-px phone."""
    import json
    from urllib.parse import quote

    from playwright.async_api import async_playwright

    from bot.web import initdata
    from tests.web.conftest import STP_GROUP

    shots = Path(os.environ.get("NV_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    db = "pg" if bot_db_url.startswith("postgresql") else "sqlite"
    async with web.world.sm() as s:
        item = await s.scalar(
            select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
            .where(Agency.code == "so-tu-phap", DueItem.status == Status.PENDING, DueItem.cancelled.is_(False))
            .order_by(DueItem.due_on, DueItem.id).limit(1)
        )
    assert item is not None
    [dropped] = await web.world.send(STP_GROUP, ADMIN, f"/khongthuchien NV{item.task_id} đã sáp nhập vào nhiệm vụ khác")
    assert dropped.text.startswith(f"🚫 NV{item.task_id}")
    fields = {
        "auth_date": str(int(web.clock.now.timestamp())), "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": FOCAL, "first_name": "Đầu mối", "last_name": "STP"}, ensure_ascii=False),
    }
    genuine = initdata.sign(fields, web.world.server.token)
    forged = initdata.sign({**fields, "user": json.dumps({"id": ADMIN, "first_name": "Giả"})}, "123:not-the-bot")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 360, "height": 740})
            await context.route(
                "https://telegram.org/js/telegram-web-app.js",
                lambda route: route.fulfill(status=200, content_type="application/javascript", body=TELEGRAM_JS),
            )
            phone = await context.new_page()
            await phone.goto(f"{console}/web/app#tgWebAppData={quote(forged)}&tgWebAppVersion=7.0")
            await phone.wait_for_selector("#failed")  # the page posted it; refused, no session
            assert "nv_session" not in {c["name"] for c in await context.cookies()}
            await phone.close()
            phone = await context.new_page()  # a fresh launch (the same URL with another fragment would not reload)
            await phone.goto(f"{console}/web/app#tgWebAppData={quote(genuine)}&tgWebAppVersion=7.0")
            await phone.wait_for_url("**/web/tasks")
            assert "Sở Tư pháp" in await phone.inner_text("main") and "Cài đặt" not in await phone.inner_text("nav")
            await phone.goto(f"{console}/web/tasks?cat=waived")
            await phone.wait_for_selector(f"tr.held:has-text('NV{item.task_id}') .hold:has-text('Không thực hiện')")
            await phone.screenshot(path=str(shots / f"miniapp-waived-360-{db}.png"), full_page=True)
            await phone.goto(f"{console}/web/tasks/{item.task_id}")
            await phone.wait_for_selector(f"#item-{item.id} .hold:has-text('Không thực hiện')")
            await phone.locator("#items").screenshot(path=str(shots / f"miniapp-task-held-360-{db}.png"))
            await phone.goto(f"{console}/web/history?task={item.task_id}")
            await phone.wait_for_selector("#history .hold:has-text('Không thực hiện')")
            await phone.screenshot(path=str(shots / f"history-360-{db}.png"), full_page=True)
        finally:
            await browser.close()
