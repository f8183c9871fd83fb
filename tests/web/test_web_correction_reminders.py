"""The issue's "done when": a correction made in the console flows from the stored plan to the
reminders — the corrected lead's group is reminded of the task, the old lead's is not (the
real bot's reminder engine and outbox against the fake Bot API server, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from scheduler.reminders import engine_for
from tests.web.conftest import ADMIN, SNV_GROUP, STP_GROUP, Web
from tests.web.test_web_http import _task_of


def _mentions(web: Web, chat_id: int, task: int, since: int = 0) -> bool:
    return any(f"NV{task})" in (m.text or "") for m in web.world.server.messages_in(chat_id)[since:])


async def test_a_corrected_lead_gets_the_reminder_and_the_old_one_does_not(web: Web) -> None:
    engine = engine_for(web.world.app)
    assert engine is not None
    task = await _task_of(web, "so-tu-phap")
    sxd = await web.world.agency_id("so-xay-dung")  # SNV_GROUP is Sở Xây dựng's group here
    admin = await web.sign_in(ADMIN)
    csrf = web.csrf((await admin.get(f"/web/tasks/{task}")).text)
    dated = await admin.post(f"/web/tasks/{task}/deadline", data={"csrf": csrf, "deadline": "25/06/2025"})
    assert dated.status_code == 303

    # Tuesday 24/06, due tomorrow: Sở Tư pháp's group is reminded of it, Sở Xây dựng's is not.
    await engine.tick(date(2025, 6, 24))
    await engine.drain(web.world.app.bot)  # type: ignore[attr-defined]
    assert _mentions(web, STP_GROUP, task) and not _mentions(web, SNV_GROUP, task)

    moved = await admin.post(f"/web/tasks/{task}/lead", data={"csrf": csrf, "agency": str(sxd), "reason": "giao nhầm"})
    assert moved.status_code == 303
    stp_seen, sxd_seen = len(web.world.server.messages_in(STP_GROUP)), len(web.world.server.messages_in(SNV_GROUP))

    # Wednesday 25/06, due today: now the corrected lead's group, and only it.
    await engine.tick(date(2025, 6, 25))
    await engine.drain(web.world.app.bot)  # type: ignore[attr-defined]
    assert _mentions(web, SNV_GROUP, task, sxd_seen)
    assert not _mentions(web, STP_GROUP, task, stp_seen)
