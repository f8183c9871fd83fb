"""A focal point reports from the console and a leader decides an extension, through the
status service (same rules and history as the group), as each role (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.db.models import Agency, DueItem, StatusChange
from bot.domain.status import Status
from tests.web.conftest import ADMIN, FOCAL, LEADER, LEADERS_GROUP, OTHER_FOCAL, STP_GROUP, STRANGER, Web


async def _items(web: Web, code: str) -> list[DueItem]:
    async with web.world.sm() as s:
        return list(
            await s.scalars(
                select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
                .where(Agency.code == code, DueItem.cancelled.is_(False), DueItem.status == Status.PENDING)
                .order_by(DueItem.due_on.desc(), DueItem.id)
            )
        )


async def _item(web: Web, item_id: int) -> DueItem:
    async with web.world.sm() as s:
        item = await s.get(DueItem, item_id)
        assert item is not None
        return item


async def test_a_focal_point_reports_and_a_leader_decides_an_extension(web: Web) -> None:
    first, second, third = (await _items(web, "so-tu-phap"))[:3]
    other = (await _items(web, "so-xay-dung"))[0]
    focal = await web.sign_in(FOCAL)
    page = await focal.get(f"/web/tasks/{first.task_id}")
    assert page.status_code == 200 and f'id="report-{first.id}"' in page.text
    csrf = web.csrf(page.text)

    progress = await focal.post(f"/web/items/{first.id}/report", data={"csrf": csrf, "kind": "progress", "progress": "60", "note": "đang lấy ý kiến"})
    assert progress.status_code == 303
    item = await _item(web, first.id)
    assert item.status is Status.IN_PROGRESS and item.progress == 60
    async with web.world.sm() as s:
        change = await s.scalar(select(StatusChange).where(StatusChange.due_item_id == first.id).order_by(StatusChange.id.desc()).limit(1))
    assert change is not None and change.channel == "web" and change.actor_tg_id == FOCAL and change.note == "đang lấy ý kiến"

    done = await focal.post(f"/web/items/{second.id}/report", data={"csrf": csrf, "kind": "done", "date": "20/06/2025"})
    assert done.status_code == 303
    item = await _item(web, second.id)
    assert item.status is Status.DONE and item.completed_on == date(2025, 6, 20)
    future = await focal.post(f"/web/items/{first.id}/report", data={"csrf": csrf, "kind": "done", "date": "20/06/2030"})
    assert future.status_code == 422 and (await _item(web, first.id)).status is Status.IN_PROGRESS  # the rules refuse it
    blocked = await focal.post(f"/web/items/{first.id}/report", data={"csrf": csrf, "kind": "blocked"})
    assert blocked.status_code == 422  # a blocker needs its line, as in the group

    before = len(web.world.server.messages_in(LEADERS_GROUP))
    proposed = max(third.due_on, date(2025, 6, 23)) + timedelta(days=60)
    asked = await focal.post(
        f"/web/items/{third.id}/report",
        data={"csrf": csrf, "kind": "extension", "date": proposed.strftime("%d/%m/%Y"), "note": "chờ hướng dẫn của Bộ"},
    )
    assert asked.status_code == 303
    assert (await _item(web, third.id)).status is Status.EXTENSION_REQUESTED
    # The leaders' post (with the decision buttons) goes through the outbox, queued with the request.
    posted = await web.world.server.wait_for(
        lambda: [m for m in web.world.server.messages_in(LEADERS_GROUP)[before:] if "Đề nghị gia hạn" in (m.text or "")],
        message="the leaders got no extension request",
    )
    assert any(d.startswith("gh:") for d in posted[0].callback_data)

    refused = await focal.post(f"/web/items/{other.id}/report", data={"csrf": csrf, "kind": "done"})
    assert refused.status_code in (403, 404) and (await _item(web, other.id)).status is Status.PENDING
    assert (await focal.get("/web/extensions")).status_code == 403

    leader = await web.sign_in(LEADER)
    listing = await leader.get("/web/extensions")
    assert listing.status_code == 200 and "chờ hướng dẫn của Bộ" in listing.text
    leader_csrf = web.csrf(listing.text)
    not_theirs = await leader.post(f"/web/items/{other.id}/report", data={"csrf": leader_csrf, "kind": "done"})
    assert not_theirs.status_code == 422 and (await _item(web, other.id)).status is Status.PENDING  # leaders decide, not report
    request_id = int(listing.text.split('id="req-', 1)[1].split('"', 1)[0])
    for who in (FOCAL, OTHER_FOCAL, STRANGER):
        client = web.sessions.get(who) or await web.sign_in(who)
        token = csrf if who == FOCAL else "x"
        assert (await client.post(f"/web/extensions/{request_id}/decide", data={"csrf": token, "verb": "ok"})).status_code in (403, 404)
    group_before = len(web.world.server.messages_in(STP_GROUP))
    decided = await leader.post(f"/web/extensions/{request_id}/decide", data={"csrf": leader_csrf, "verb": "ok"})
    assert decided.status_code == 303 and "%C4%90%C3%A3+%C4%91%E1%BB%93ng+%C3%BD" in decided.headers["location"]
    item = await _item(web, third.id)
    assert item.status is Status.EXTENDED and item.due_on == proposed and item.original_due_on == third.due_on
    # The agency hears the outcome and the leaders' post shows it, both through the outbox.
    await web.world.server.wait_for(
        lambda: any("Đã được gia hạn" in (m.text or "") for m in web.world.server.messages_in(STP_GROUP)[group_before:]),
        message="the agency was not told the outcome",
    )
    await web.world.server.wait_for(
        lambda: "Đã đồng ý" in web.world.text(LEADERS_GROUP, posted[0].message_id),
        message="the leaders' post does not show the decision",
    )
    again = await leader.post(f"/web/extensions/{request_id}/decide", data={"csrf": leader_csrf, "verb": "no"})
    assert again.status_code == 303 and (await _item(web, third.id)).status is Status.EXTENDED  # decided once

    admin = await web.sign_in(ADMIN)
    assert (await admin.get("/web/extensions")).status_code == 200
