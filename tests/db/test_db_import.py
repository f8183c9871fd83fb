"""Importing a plan draft, and re-importing edited versions of it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from db_factories import (
    DIRECTORY,
    import_in_tx,
    once,
    plan_draft,
    seed_province,
    task,
    three_tasks,
    yearly,
    yearly_dates,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agencies import get_province
from bot.db.codec import deadline_from_json
from bot.db.models import Agency, DueItem, Plan, StatusChange, Task, TaskAgency
from bot.db.plans import get_plan_by_number
from bot.db.status_changes import change_status
from bot.domain.imports import DueKey, TaskUpdate
from bot.domain.kinds import DueOrigin, LinkRole
from bot.domain.status import ChangeSource, Status
from bot.render.imports import import_summary
from bot.services.importing import PlanImportError, import_plan

NOW = datetime(2025, 6, 23, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SM = async_sessionmaker[AsyncSession]


async def _count(s: AsyncSession, model: type) -> int:
    return await s.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]


async def _items(s: AsyncSession) -> dict[tuple[str, str, date], DueItem]:
    rows = await s.execute(
        select(Task.ref, Agency.code, DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Agency, DueItem.agency_id == Agency.id)
    )
    return {(ref, code, item.original_due_on): item for ref, code, item in rows.all()}


async def _set_status(sm: SM, key: tuple[str, str, date], status: Status, progress: int = 0) -> None:
    async with sm() as s, s.begin():
        item = (await _items(s))[key]
        await change_status(
            s, item=item, status=status, progress=progress, source=ChangeSource.CHAT,
            now=NOW, today=NOW.date(), actor_name="Đầu mối",
        )


async def test_import_creates_plan_tasks_links_and_due_items(sm: SM) -> None:
    report = await import_in_tx(sm, plan_draft(three_tasks()))

    assert report.created and report.changed
    assert report.tasks_added == ("1", "2", "3")
    assert report.task_count == 3 and report.due_count == 9
    assert report.due_added[0] == DueKey("1", "STP", date(2021, 6, 30))
    assert import_summary(report) == "Đã nhập Kế hoạch 1782/KH-UBND: 3 nhiệm vụ, 9 mốc thời hạn."
    assert report.warnings == ()

    async with sm() as s:
        province = await get_province(s, slug="phu-tho")
        assert province is not None
        plan = await get_plan_by_number(s, province=province, number="1782/KH-UBND")
        assert plan is not None
        assert (plan.first_year, plan.last_year, plan.issued_on) == (2021, 2025, date(2021, 5, 5))
        assert plan.source_sha256 == "a" * 64 and plan.imported_at.tzinfo is not None

        tasks = {t.ref: t for t in await s.scalars(select(Task).order_by(Task.position))}
        assert list(tasks) == ["1", "2", "3"]
        assert tasks["2"].deadline_kind == "recurring"
        assert deadline_from_json(tasks["2"].deadline_rule) == yearly(1, 30, "Trước ngày 30/01 của năm Kế hoạch")
        assert tasks["3"].needs_review == ["event_deadline"]
        assert not any(t.removed for t in tasks.values())

        links = await s.execute(
            select(Task.ref, Agency.code, TaskAgency.role)
            .join(Task, TaskAgency.task_id == Task.id)
            .join(Agency, TaskAgency.agency_id == Agency.id)
        )
        assert set(links.all()) == {
            ("1", "STP", LinkRole.LEAD),
            ("1", "SNV", LinkRole.SUPPORT),
            ("2", "SNV", LinkRole.LEAD),
            ("2", "STC", LinkRole.LEAD),
            ("3", "VPUB", LinkRole.LEAD),
        }

        items = await _items(s)
        assert set(items) == {("1", "STP", date(2021, 6, 30))} | {
            ("2", code, d) for code in ("SNV", "STC") for d in yearly_dates(1, 30)
        }  # the event task has none
        assert all(
            i.status is Status.PENDING and i.progress == 0 and not i.cancelled and i.due_on == i.original_due_on
            for i in items.values()
        )
        history = (await s.scalars(select(StatusChange))).all()
        assert len(history) == 9
        assert {(h.source, h.old_status, h.new_status, h.actor_name) for h in history} == {
            (ChangeSource.IMPORT, None, Status.PENDING, "cli")
        }
        # The directory was stored on the way.
        assert await _count(s, Agency) == len(DIRECTORY)


async def test_reimporting_the_same_draft_changes_nothing(sm: SM) -> None:
    draft = plan_draft(three_tasks())
    await import_in_tx(sm, draft)
    async with sm() as s:
        before = await s.scalar(select(Plan.updated_at))
        history_before = await _count(s, StatusChange)

    report = await import_in_tx(sm, draft)

    assert not report.created and not report.changed
    assert import_summary(report) == "Kế hoạch 1782/KH-UBND: không thay đổi."
    assert (report.tasks_added, report.tasks_updated, report.due_added, report.due_cancelled) == ((), (), (), ())
    async with sm() as s:
        assert await s.scalar(select(Plan.updated_at)) == before
        assert await _count(s, StatusChange) == history_before
        assert await _count(s, Plan) == 1 and await _count(s, Task) == 3 and await _count(s, DueItem) == 9


async def test_edited_plan_is_reconciled_and_reported_statuses_survive(sm: SM) -> None:
    await import_in_tx(sm, plan_draft(three_tasks()))
    await _set_status(sm, ("2", "SNV", date(2022, 1, 30)), Status.DONE)
    await _set_status(sm, ("2", "STC", date(2023, 1, 30)), Status.IN_PROGRESS, 40)
    async with sm() as s:
        history_before = await _count(s, StatusChange)

    t1, t2, _t3 = three_tasks()
    edited = plan_draft(
        (
            task("1", t1.title, lead=("STP",), support=("SNV",), deadline=once(date(2021, 7, 31))),
            t2,
            task("4", "Rà soát thủ tục hành chính", lead=("STP",), deadline=once(date(2021, 9, 30))),
        ),
        sha256="b" * 64,
        source_name="phu-tho-1782-KH-UBND-2021-sua-doi.docx",
    )
    report = await import_in_tx(sm, edited)

    assert not report.created and report.changed
    assert report.plan_fields == ("source_name", "source_sha256")
    assert report.tasks_added == ("4",)
    assert report.tasks_updated == (TaskUpdate("1", ("deadline_text", "deadline_rule")),)
    assert report.tasks_removed == ("3",)
    assert report.due_added == (
        DueKey("1", "STP", date(2021, 7, 31)),
        DueKey("4", "STP", date(2021, 9, 30)),
    )
    assert report.due_cancelled == (DueKey("1", "STP", date(2021, 6, 30)),)
    assert import_summary(report) == (
        "Đã cập nhật Kế hoạch 1782/KH-UBND: thêm 1, sửa 1, bỏ 1 nhiệm vụ; thêm 2, hủy 1 mốc thời hạn."
    )

    async with sm() as s:
        items = await _items(s)
        assert items[("2", "SNV", date(2022, 1, 30))].status is Status.DONE
        assert items[("2", "SNV", date(2022, 1, 30))].completed_on == NOW.date()
        kept = items[("2", "STC", date(2023, 1, 30))]
        assert (kept.status, kept.progress, kept.cancelled) == (Status.IN_PROGRESS, 40, False)
        old = items[("1", "STP", date(2021, 6, 30))]
        assert old.cancelled and old.status is Status.PENDING  # cancelled, never deleted
        assert not items[("1", "STP", date(2021, 7, 31))].cancelled
        removed = await s.scalar(select(Task).where(Task.ref == "3"))
        assert removed is not None and removed.removed
        # One history row per due item created or cancelled, all from the import.
        new_rows = (await s.scalars(select(StatusChange).order_by(StatusChange.id).offset(history_before))).all()
        assert len(new_rows) == 3
        assert {r.source for r in new_rows} == {ChangeSource.IMPORT}
        plan = await s.scalar(select(Plan))
        assert plan is not None and plan.updated_at > plan.imported_at


async def test_removed_task_cancels_open_items_keeps_done_ones_and_can_come_back(sm: SM) -> None:
    tasks = three_tasks()
    await import_in_tx(sm, plan_draft(tasks))
    await _set_status(sm, ("2", "SNV", date(2022, 1, 30)), Status.DONE)
    await _set_status(sm, ("2", "SNV", date(2023, 1, 30)), Status.BLOCKED)

    report = await import_in_tx(sm, plan_draft((tasks[0], tasks[2]), sha256="c" * 64))
    assert report.tasks_removed == ("2",)
    assert len(report.due_cancelled) == 7
    assert report.due_kept_done == (DueKey("2", "SNV", date(2022, 1, 30)),)
    async with sm() as s:
        items = await _items(s)
        assert not items[("2", "SNV", date(2022, 1, 30))].cancelled
        blocked = items[("2", "SNV", date(2023, 1, 30))]
        assert blocked.cancelled and blocked.status is Status.BLOCKED

    report = await import_in_tx(sm, plan_draft(tasks, sha256="d" * 64))
    assert report.tasks_restored == ("2",) and report.tasks_added == ()
    assert len(report.due_restored) == 7 and report.due_added == ()
    async with sm() as s:
        items = await _items(s)
        assert not any(i.cancelled for i in items.values())
        assert items[("2", "SNV", date(2023, 1, 30))].status is Status.BLOCKED


async def test_changed_agencies_move_due_items(sm: SM) -> None:
    tasks = three_tasks()
    await import_in_tx(sm, plan_draft(tasks))
    moved = task("1", tasks[0].title, lead=("SNV",), support=("STP",), deadline=tasks[0].deadline)
    report = await import_in_tx(sm, plan_draft((moved, *tasks[1:]), sha256="e" * 64))
    assert report.tasks_updated == (TaskUpdate("1", ("lead_text", "support_text", "lead", "support")),)
    assert report.due_added == (DueKey("1", "SNV", date(2021, 6, 30)),)
    assert report.due_cancelled == (DueKey("1", "STP", date(2021, 6, 30)),)


async def test_dates_set_by_an_admin_survive_reimport(sm: SM) -> None:
    draft = plan_draft(three_tasks())
    await import_in_tx(sm, draft)
    async with sm() as s, s.begin():
        task3 = await s.scalar(select(Task).where(Task.ref == "3"))
        vpub = await s.scalar(select(Agency).where(Agency.code == "VPUB"))
        assert task3 is not None and vpub is not None
        s.add(DueItem(task_id=task3.id, agency_id=vpub.id, due_on=date(2025, 8, 15),
                      original_due_on=date(2025, 8, 15), origin=DueOrigin.ADMIN))
    report = await import_in_tx(sm, plan_draft(three_tasks(), sha256="f" * 64))
    assert report.due_cancelled == ()
    async with sm() as s:
        assert not (await _items(s))[("3", "VPUB", date(2025, 8, 15))].cancelled


async def test_same_number_in_two_provinces_are_two_plans(sm: SM) -> None:
    await import_in_tx(sm, plan_draft(three_tasks()), province="phu-tho")
    other = plan_draft(
        (task("1", "Nhiệm vụ của Tuyên Quang", deadline=once(date(2022, 3, 31))),),
        province="tuyen-quang",
        sha256="9" * 64,
    )
    report = await import_in_tx(sm, other, province="tuyen-quang")
    assert report.created and report.tasks_added == ("1",)

    async with sm() as s:
        plans = (await s.execute(select(Plan.province_id, Plan.number))).all()
        assert len(plans) == 2 and {n for _, n in plans} == {"1782/KH-UBND"}
        # Each province got its own copy of the directory.
        assert await _count(s, Agency) == 2 * len(DIRECTORY)
        phu_tho = await get_province(s, slug="phu-tho")
        assert phu_tho is not None
        plan = await get_plan_by_number(s, province=phu_tho, number="1782/KH-UBND")
        assert plan is not None
        assert await s.scalar(select(func.count()).select_from(Task).where(Task.plan_id == plan.id)) == 3
    # Re-importing Phú Thọ's plan does not touch Tuyên Quang's.
    again = await import_in_tx(sm, plan_draft(three_tasks()), province="phu-tho")
    assert not again.changed


async def test_plan_from_another_province_is_imported_with_a_warning(sm: SM) -> None:
    # 2025: Phú Thọ absorbed Vĩnh Phúc, whose plans now belong to it.
    report = await import_in_tx(sm, plan_draft(three_tasks(), province="vinh-phuc"))
    assert report.created
    assert any("vinh-phuc" in w for w in report.warnings)


async def test_unknown_agency_codes_are_reported_not_stored(sm: SM) -> None:
    draft = plan_draft((task("1", lead=("XYZ", "STP"), deadline=once(date(2021, 6, 30))),))
    report = await import_in_tx(sm, draft)
    assert report.warnings == ("Mã cơ quan không có trong danh mục (bỏ qua, không nhắc việc): XYZ",)
    assert report.due_added == (DueKey("1", "STP", date(2021, 6, 30)),)


@pytest.mark.parametrize("number", [None, "  "])
async def test_a_draft_without_number_is_refused(sm: SM, number: str | None) -> None:
    async with sm() as s, s.begin():
        await seed_province(s)
        with pytest.raises(PlanImportError, match="số hiệu"):
            await import_plan(s, draft=plan_draft(three_tasks(), number=number),
                              province_slug="phu-tho", agencies=DIRECTORY)


async def test_duplicate_refs_and_unknown_province_are_refused(sm: SM) -> None:
    async with sm() as s, s.begin():
        await seed_province(s)
        dup = plan_draft((task("1"), task("1", "khác")))
        with pytest.raises(PlanImportError, match="trùng"):
            await import_plan(s, draft=dup, province_slug="phu-tho", agencies=DIRECTORY)
        with pytest.raises(PlanImportError, match="Chưa có tỉnh"):
            await import_plan(s, draft=plan_draft(three_tasks()), province_slug="ha-giang", agencies=DIRECTORY)


async def test_event_task_gets_a_date_when_the_plan_gains_one(sm: SM) -> None:
    tasks = three_tasks()
    await import_in_tx(sm, plan_draft(tasks))
    dated = task("3", tasks[2].title, lead=("VPUB",), deadline=once(date(2022, 3, 31), "Quý I/2022"))
    report = await import_in_tx(sm, plan_draft((*tasks[:2], dated), sha256="7" * 64))
    assert report.tasks_updated == (
        TaskUpdate("3", ("deadline_text", "deadline_rule", "deadline_kind", "needs_review")),
    )
    assert report.due_added == (DueKey("3", "VPUB", date(2022, 3, 31)),)
