"""Holds on the console's pages: an item snoozed ("tạm dừng nhắc NV3 đến …"), an agency
paused (/tamdung) or a task dropped (/khongthuchien) is shown as such wherever its status is
shown — the tasks list, the task (focal point's) page, the agency pages, the history — never
as overdue; the tasks page's status filter has them, and the overdue filter leaves them out,
as the digest counts them (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date

import httpx
from sqlalchemy import select

from bot.db.models import Agency, DueItem
from bot.domain.status import Status
from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, SNV_GROUP, STP_GROUP, Web

TODAY = date(2025, 6, 23)  # BOT_NOW, local


def _count(page: httpx.Response) -> int:
    found = re.search(r'id="count">(\d+) ', page.text)
    assert found, page.text[:500]
    return int(found.group(1))


async def _open_overdue(web: Web, code: str) -> list[DueItem]:
    async with web.world.sm() as s:
        return list(
            await s.scalars(
                select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
                .where(
                    Agency.code == code, DueItem.cancelled.is_(False), DueItem.due_on < TODAY,
                    DueItem.status.not_in([Status.DONE, Status.UNKNOWN]),
                )
                .order_by(DueItem.due_on.desc(), DueItem.id)
            )
        )


async def _open_items(web: Web, *, task_id: int | None = None, code: str | None = None) -> list[DueItem]:
    async with web.world.sm() as s:
        query = select(DueItem).join(Agency, DueItem.agency_id == Agency.id).where(
            DueItem.cancelled.is_(False), DueItem.status != Status.DONE
        )
        if task_id is not None:
            query = query.where(DueItem.task_id == task_id)
        if code is not None:
            query = query.where(Agency.code == code)
        return list(await s.scalars(query))


async def test_holds_are_shown_as_such_and_filtered(web: Web) -> None:
    stp = await web.world.agency_id("so-tu-phap")
    sxd = await web.world.agency_id("so-xay-dung")
    overdue = await _open_overdue(web, "so-tu-phap")
    dropped_task = overdue[0].task_id
    snoozed = next(i for i in overdue if i.task_id != dropped_task)
    admin = await web.sign_in(ADMIN)
    overdue_before = _count(await admin.get(f"/web/tasks?agency={stp}&cat=overdue"))
    assert _count(await admin.get("/web/tasks?cat=held")) == 0 == _count(await admin.get("/web/tasks?cat=waived"))

    # The holds, made the bot's ways: an admin drops a task, a focal point snoozes one, another
    # agency's focal point pauses their agency.
    [dropped] = await web.world.send(STP_GROUP, ADMIN, f"/khongthuchien NV{dropped_task} nội dung đã sáp nhập vào nhiệm vụ khác")
    assert dropped.text.startswith(f"🚫 NV{dropped_task}: ghi nhận không thực hiện")
    before = len(web.world.server.messages_in(STP_GROUP))  # a reply to the bot: read in privacy mode
    web.world.server.send_text(
        STP_GROUP, FOCAL, f"tạm dừng nhắc NV{snoozed.task_id} đến 15/07/2025 vì chờ Bộ hướng dẫn",
        reply_to_message_id=dropped.message_id,
    )
    [answer] = (await web.world.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    await web.world.settle()
    assert answer.text.startswith(f"⏸ Đã tạm dừng nhắc NV{snoozed.task_id}.")
    [paused] = await web.world.send(SNV_GROUP, OTHER_FOCAL, "/tamdung đến 31/07/2025 cán bộ đầu mối nghỉ phép")
    assert paused.text.startswith("⏸ Đã tạm dừng nhắc việc của Sở Xây dựng")

    waived_stp = [i for i in await _open_items(web, task_id=dropped_task) if i.agency_id == stp]
    snoozed_stp = [i for i in await _open_items(web, task_id=snoozed.task_id, code="so-tu-phap")]
    paused_sxd = [i for i in await _open_items(web, code="so-xay-dung") if i.task_id != dropped_task]
    assert waived_stp and snoozed_stp and paused_sxd

    # Tasks list: the status filter has both holds; overdue no longer lists them.
    held_page = await admin.get(f"/web/tasks?agency={stp}&cat=held")
    assert _count(held_page) == len(snoozed_stp)
    assert "Tạm dừng nhắc đến 15/07/2025" in held_page.text and f">NV{snoozed.task_id}<" in held_page.text
    assert '<option value="held" selected>Tạm dừng nhắc</option>' in held_page.text
    waived_page = await admin.get(f"/web/tasks?agency={stp}&cat=waived")
    assert _count(waived_page) == len(waived_stp) and f">NV{dropped_task}<" in waived_page.text
    assert '<span class="hold">Không thực hiện</span>' in waived_page.text
    held_overdue = {i.id for i in overdue if i.id in {x.id for x in waived_stp + snoozed_stp}}
    assert _count(await admin.get(f"/web/tasks?agency={stp}&cat=overdue")) == overdue_before - len(held_overdue)
    paused_page = await admin.get(f"/web/tasks?agency={sxd}&cat=held")
    assert _count(paused_page) == len(paused_sxd) and "Cơ quan tạm dừng nhắc đến 31/07/2025" in paused_page.text
    everything = await admin.get(f"/web/tasks?agency={stp}&q=&from=&to=")  # unfiltered: the labels too
    assert _count(everything) >= len(waived_stp) + len(snoozed_stp)
    # Done items are never "on hold", whatever the filter.
    assert _count(await admin.get(f"/web/tasks?agency={sxd}&cat=done_on_time")) == 0

    # The task page (what the focal point opens): the items and the history say it.
    focal = await web.sign_in(FOCAL)
    task_page = await focal.get(f"/web/tasks/{dropped_task}")
    items_table = task_page.text.split('id="items"', 1)[1].split("</table>", 1)[0]
    assert '<span class="hold">Không thực hiện</span>' in items_table
    history = task_page.text.split('id="history"', 1)[1]
    assert '<span class="hold">Không thực hiện</span> · ' in history and "nội dung đã sáp nhập vào nhiệm vụ khác" in history
    snoozed_page = await focal.get(f"/web/tasks/{snoozed.task_id}")
    assert snoozed_page.text.count("Tạm dừng nhắc đến 15/07/2025") >= 2  # the item, and its history row
    assert '<option value="waived"' in (await focal.get("/web/tasks")).text

    # The agency pages: counts apart, the pause itself, the history rows.
    leader = await web.sign_in(LEADER)
    agencies = await leader.get("/web/agencies")
    assert "<th>Tạm dừng nhắc</th><th>Không thực hiện</th>" in agencies.text
    row = agencies.text.split(f'id="a-{stp}"', 1)[1].split("</tr>", 1)[0]
    assert f'data-label="Tạm dừng nhắc" class="num">{len(snoozed_stp)}<' in row
    assert f'data-label="Không thực hiện" class="num">{len(waived_stp)}<' in row
    stp_page = await leader.get(f"/web/agencies/{stp}")
    figures = stp_page.text.split('id="figures">', 1)[1].split("</dd>", 1)[0]
    assert f"tạm dừng nhắc {len(snoozed_stp)}</a>" in figures and f"không thực hiện {len(waived_stp)}</a>" in figures
    recent = stp_page.text.split('id="history"', 1)[1]
    assert '<span class="hold">Không thực hiện</span> · ' in recent
    assert '<span class="hold">Tạm dừng nhắc đến 15/07/2025</span> · ' in recent
    assert 'id="pause"' not in stp_page.text
    sxd_page = await leader.get(f"/web/agencies/{sxd}")
    assert 'id="pause"><span class="hold">Cơ quan tạm dừng nhắc đến 31/07/2025</span>' in sxd_page.text
    assert "cán bộ đầu mối nghỉ phép" in sxd_page.text

    # The overdue figures agree with the overdue lists once holds are counted apart: the
    # agency's figure with its filtered task list, the Reports page's total with its list.
    shown_overdue = int(re.search(r"quá hạn <b[^>]*>(\d+)</b>", figures).group(1))  # type: ignore[union-attr]
    assert shown_overdue == _count(await leader.get(f"/web/tasks?agency={stp}&cat=overdue"))
    reports = (await leader.get("/web/reports")).text
    total = int(re.search(r'<div class="bad"><b>(\d+)</b><span>mốc quá hạn', reports).group(1))  # type: ignore[union-attr]
    listed = int(re.search(r"<h2>Quá hạn \((\d+)\)</h2>", reports).group(1))  # type: ignore[union-attr]
    assert listed == total
    trail = (await leader.get(f"/web/history?task=NV{dropped_task}")).text.split('id="history"', 1)[1]
    assert '<span class="hold">Không thực hiện</span> · ' in trail  # the History page too
    assert set(re.findall(r'href="/web/tasks/(\d+)"', trail)) == {str(dropped_task)}  # "NV12" typed as people write it
