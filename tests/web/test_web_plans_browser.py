"""The Plans, Agencies and Reports pages in a real Chromium against the real bot: upload a .docx, watch the parse,
correct a flagged row's lead and deadline, drop a row, import; screenshots at 360 px and
1280 px go to $NV_SCREENSHOTS (or the test's tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import Agency, DueItem, Plan, StatusChange, Task
from tests.web.conftest import ADMIN, Web
from tests.web.test_web_browser import ARGS, CHROMIUM, bot_settings_overrides, console  # noqa: F401
from tests.web.test_web_plans import NUMBER, plan_docx

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")


async def test_upload_correct_and_import_a_plan_in_a_browser(web: Web, console: str, tmp_path: Path, bot_db_url: str) -> None:
    from playwright.async_api import async_playwright

    shots = Path(os.environ.get("NV_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    db = "pg" if bot_db_url.startswith("postgresql") else "sqlite"
    plan_file = tmp_path / "ke-hoach-99.docx"
    plan_file.write_bytes(plan_docx())
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone = await (await browser.new_context(viewport={"width": 360, "height": 740})).new_page()
            await phone.goto(await web.link(ADMIN))
            await phone.click("#login")
            await phone.wait_for_url("**/web/tasks")
            await phone.click("text=Kế hoạch")
            await phone.wait_for_selector("#upload-form")
            await phone.screenshot(path=str(shots / f"plans-360-{db}.png"), full_page=True)
            await phone.set_input_files("#file", str(plan_file))
            await phone.click("#upload-form button[type=submit]")
            await phone.wait_for_url("**/web/plans/uploads/*", timeout=60_000)  # htmx polled the parse
            await phone.screenshot(path=str(shots / f"plan-review-360-{db}.png"), full_page=True)

            await phone.click("#r-2 a.button")
            await phone.fill("#lead-form .filter", "nong nghiep va moi truong")
            await phone.check("#lead-form label.opt:not([hidden]) input[type=checkbox]")
            await phone.click("#lead-form button[type=submit]")
            await phone.wait_for_selector("#r-2:has-text('Sở Nông nghiệp và Môi trường')")
            await phone.click("#r-2 a.button")
            await phone.fill("#deadline", "Quý IV/2025")
            await phone.wait_for_selector("#deadline-preview:has-text('31/12/2025')")
            await phone.screenshot(path=str(shots / f"plan-row-360-{db}.png"), full_page=True)
            await phone.click("#deadline-form button[type=submit]")
            await phone.wait_for_selector("#r-2:has-text('31/12/2025')")
            await phone.click("#r-3 a.button")
            await phone.click("#drop")
            await phone.wait_for_selector("#r-3.dropped")

            wide = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
            await wide.goto(await web.link(ADMIN))
            await wide.click("#login")
            await wide.wait_for_url("**/web/tasks")
            await wide.goto(phone.url.split("#")[0])
            await wide.screenshot(path=str(shots / f"plan-review-1280-{db}.png"), full_page=True)
            await wide.click("#import")
            await wide.wait_for_selector("#imported")
            assert "Đã nhập Kế hoạch 99/KH-UBND: 2 nhiệm vụ" in await wide.inner_text("#imported")
            await wide.screenshot(path=str(shots / f"plan-imported-1280-{db}.png"))
            await wide.goto(f"{console}/web/plans")
            await wide.screenshot(path=str(shots / f"plans-1280-{db}.png"), full_page=True)

            # The follow-up pages at both widths: agencies, one agency, reports (chart loaded).
            stp = await web.world.agency_id("so-tu-phap")
            for tab, width in ((phone, 360), (wide, 1280)):
                await tab.goto(f"{console}/web/agencies")
                await tab.wait_for_selector(f"#a-{stp}")
                await tab.screenshot(path=str(shots / f"agencies-{width}-{db}.png"), full_page=True)
                await tab.goto(f"{console}/web/agencies/{stp}")
                await tab.wait_for_selector("#figures")
                await tab.screenshot(path=str(shots / f"agency-{width}-{db}.png"), full_page=True)
                await tab.goto(f"{console}/web/reports")
                await tab.wait_for_function("document.querySelector('img.chart').naturalWidth > 0")
                await tab.screenshot(path=str(shots / f"reports-{width}-{db}.png"), full_page=True)
        finally:
            await browser.close()
    async with web.world.sm() as s:
        items = set(
            (await s.execute(
                select(Task.ref, Agency.code, DueItem.due_on).join(Task).join(Agency, DueItem.agency_id == Agency.id)
                .join(Plan, Task.plan_id == Plan.id).where(Plan.number == NUMBER, DueItem.cancelled.is_(False))
            )).all()
        )
    assert {(ref, code) for ref, code, _ in items} >= {("2", "so-nong-nghiep-moi-truong")}
    assert all(ref != "3" for ref, _, _ in items)


async def test_a_focal_point_reports_done_and_a_leader_approves_in_a_browser(
    web: Web, console: str, tmp_path: Path, bot_db_url: str
) -> None:
    from playwright.async_api import async_playwright

    from bot.domain.status import Status
    from tests.web.conftest import FOCAL, LEADER

    shots = Path(os.environ.get("NV_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    db = "pg" if bot_db_url.startswith("postgresql") else "sqlite"
    async with web.world.sm() as s:
        first, second = list(
            await s.scalars(
                select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
                .where(Agency.code == "so-tu-phap", DueItem.cancelled.is_(False)).order_by(DueItem.due_on.desc()).limit(2)
            )
        )
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone = await (await browser.new_context(viewport={"width": 360, "height": 740})).new_page()
            await phone.goto(await web.link(FOCAL))
            await phone.click("#login")
            await phone.wait_for_url("**/web/tasks")
            await phone.screenshot(path=str(shots / f"focal-tasks-360-{db}.png"), full_page=True)
            await phone.goto(f"{console}/web/tasks/{first.task_id}")
            form = f"#report-{first.id}"
            if not await phone.is_visible(form):
                await phone.click(f"#item-{first.id} + tr summary")
            # Done "with a file": the evidence first (kept on Telegram, listed in the history), then the report.
            proof = tmp_path / "Quyết định ban hành.pdf"
            proof.write_bytes(b"%PDF-1.4\n% quyet dinh\n" + b"x" * 3000)
            await phone.set_input_files(f"#evidence-{first.id} input[type=file]", str(proof))
            await phone.click(f"#evidence-{first.id} button[type=submit]")
            await phone.wait_for_selector("#history:has-text('Quyết định ban hành.pdf')")
            if not await phone.is_visible(form):
                await phone.click(f"#item-{first.id} + tr summary")
            await phone.check(f"{form} input[value=done]")
            await phone.fill(f"{form} input[name=date]", "20/06/2025")
            await phone.screenshot(path=str(shots / f"focal-report-360-{db}.png"), full_page=True)
            await phone.click(f"{form} button[type=submit]")
            await phone.wait_for_selector(f"#item-{first.id}:has-text('Hoàn thành')")
            await phone.screenshot(path=str(shots / f"focal-done-with-file-360-{db}.png"), full_page=True)
            await phone.goto(f"{console}/web/tasks/{second.task_id}")
            form = f"#report-{second.id}"
            if not await phone.is_visible(form):
                await phone.click(f"#item-{second.id} + tr summary")
            await phone.check(f"{form} input[value=extension]")
            await phone.fill(f"{form} input[name=date]", "31/12/2026")
            await phone.fill(f"{form} textarea[name=note]", "chờ hướng dẫn của Bộ Nội vụ")
            await phone.click(f"{form} button[type=submit]")
            await phone.wait_for_selector(f"#item-{second.id}:has-text('Đề nghị gia hạn')")

            for width in (360, 1280):
                leader = await (await browser.new_context(viewport={"width": width, "height": 800})).new_page()
                await leader.goto(await web.link(LEADER))
                await leader.click("#login")
                await leader.wait_for_url("**/web/tasks")
                await leader.goto(f"{console}/web/extensions")
                await leader.wait_for_selector("#requests li")
                await leader.screenshot(path=str(shots / f"extensions-{width}-{db}.png"), full_page=True)
            await leader.click("#requests li button.approve")
            await leader.wait_for_selector("#message")
            assert "Đã đồng ý gia hạn" in await leader.inner_text("#message")
        finally:
            await browser.close()
    async with web.world.sm() as s:
        done = await s.get(DueItem, first.id)
        extended = await s.get(DueItem, second.id)
        assert done is not None and extended is not None
        assert done.status is Status.DONE and str(done.completed_on) == "2025-06-20"
        files = [
            f["name"] for c in await s.scalars(select(StatusChange).where(StatusChange.due_item_id == first.id))
            for f in (c.evidence or {}).get("files", [])
        ]
        assert files == ["Quyết định ban hành.pdf"]
        assert extended.status is Status.EXTENDED and str(extended.due_on) == "2026-12-31"
