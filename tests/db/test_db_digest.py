"""Digest figures on a hand-built data set, as of a date, on SQLite and PostgreSQL.

The data set (plan 1782/KH-UBND, issued 05/05/2021; digest week 16/06–22/06/2025, as of
Sunday 22/06/2025). Changes are dated; a few happen after the 22nd and must not count.

 ref agency  due         history                                        as of 22/06
 1   STP     31/03/2025  done 20/03                                     done on time
 2   STP     30/04/2025  done 10/05                                     done late
 3   STP     15/01/2025  (done 25/06: after the date)                   overdue 158 d (>90)
 4   SNV     15/05/2025  in progress 01/05                              overdue 38 d (>30)
 5   SNV     18/06/2025  —                                              overdue 4 d, became overdue
 6   SNV     31/07/2025  in progress 02/06, blocked 17/06 "Chờ ý kiến"  on track, new blocker
 7   STC     30/06/2025  extended to 15/07 on 15/06, undone 16/06       not due, due in 8 days
 8   STC     31/05/2025  extension requested 10/06                      overdue, request waiting
 9   STC     30/04/2025  extended 25/04 to 31/08/2025                   on track (due 31/08)
 10  STTTT   20/06/2025  done 19/06 (by an admin)                       done on time → Sở KH&CN
 11  VPUB    event       —                                              no deadline
 12  SKHCN   30/01 yearly 2022 done 20/01/22, 2023 done 25/01/23,       2 on time, 1 late,
                         2024 done 10/02/24, 2025 —                      1 overdue 143 d (>90)
 13  STP     31/12/2025  done 20/06                                     done on time, early
 14  SNV     30/09/2025  cancelled by a re-import                       left out
 A later plan (issued 01/07/2025) is not yet in force on the 22nd.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from db_factories import DIRECTORY, event, import_in_tx, once, plan_draft, seed_province, task, yearly, yearly_dates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import plans as plans_repo
from bot.db import status_changes as status_changes_repo
from bot.db.digests import figures_by_plan_and_agency
from bot.db.models import DueItem, ExtensionRequest, OutboxMessage, Plan, Task
from bot.domain.digest import Figures, month_period, week_period
from bot.domain.kinds import ChatRole, ExtensionState, OutboxKind, OutboxStatus
from bot.domain.plans.draft import PlanDraft
from bot.domain.status import Category, ChangeSource, Status
from bot.services.digests import build_digest, render_digest
from bot.services.importing import import_plan

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
D = date(2025, 6, 22)
SM = async_sessionmaker[AsyncSession]


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


def tasks(with_14: bool = True) -> tuple:
    def t(ref: str, lead: str, due: date, title: str | None = None):  # type: ignore[no-untyped-def]
        return task(ref, title or f"Nhiệm vụ {ref} của {lead}", lead=(lead,), deadline=once(due))

    drafts = [
        t("1", "STP", date(2025, 3, 31)),
        t("2", "STP", date(2025, 4, 30)),
        t("3", "STP", date(2025, 1, 15), "Rà soát văn bản QPPL <hết hiệu lực> & công bố"),
        t("4", "SNV", date(2025, 5, 15)),
        t("5", "SNV", date(2025, 6, 18)),
        t("6", "SNV", date(2025, 7, 31)),
        t("7", "STC", date(2025, 6, 30)),
        t("8", "STC", date(2025, 5, 31)),
        t("9", "STC", date(2025, 4, 30)),
        t("10", "STTTT", date(2025, 6, 20)),
        task("11", "Phân tích Chỉ số PCI", lead=("VPUB",), deadline=event()),
        task("12", "Ban hành Kế hoạch CCHC năm", lead=("SKHCN",), deadline=yearly(1, 30), due=yearly_dates(1, 30)),
        t("13", "STP", date(2025, 12, 31)),
    ]
    if with_14:
        drafts.append(t("14", "SNV", date(2025, 9, 30)))
    return tuple(drafts)


async def _item(s: AsyncSession, ref: str, due: date | None = None) -> DueItem:
    query = (
        select(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(Task.ref == ref, Plan.number == "1782/KH-UBND")
    )
    if due is not None:
        query = query.where(DueItem.original_due_on == due)
    items = list(await s.scalars(query))
    assert len(items) == 1, (ref, items)
    return items[0]


async def _change(
    sm: SM, ref: str, status: Status, day: date, *, due: date | None = None, source: ChangeSource = ChangeSource.CHAT,
    note: str | None = None, progress: int | None = None, new_due_on: date | None = None,
) -> None:
    async with sm() as s, s.begin():
        item = await _item(s, ref, due)
        await status_changes_repo.change_status(
            s, item=item, status=status, source=source, now=at(day), today=day, note=note,
            progress=progress, new_due_on=new_due_on, actor_name="Đầu mối",
        )


async def _request(sm: SM, ref: str, *, asked: date, proposed: date, reason: str | None = None, decided: date | None = None) -> None:
    async with sm() as s, s.begin():
        item = await _item(s, ref)
        s.add(
            ExtensionRequest(
                due_item_id=item.id, state=ExtensionState.APPROVED if decided else ExtensionState.PENDING,
                current_due_on=item.due_on, proposed_due_on=proposed, reason=reason, prev_status=item.status,
                requested_by_tg_id=1, tg_chat_id=-1, created_at=at(asked), decided_at=at(decided) if decided else None,
            )
        )


async def _import(sm: SM, draft: PlanDraft, day: date) -> None:
    """Imported on `day` (the history is dated like a running bot's)."""
    async with sm() as s, s.begin():
        await seed_province(s, "phu-tho", "Phú Thọ")
        await import_plan(s, draft=draft, province_slug="phu-tho", agencies=DIRECTORY, now=at(day, 8))


@pytest.fixture
async def dataset(sm: SM) -> SM:
    await _import(sm, plan_draft(tasks()), date(2021, 12, 1))
    await _import(sm, plan_draft(tasks(with_14=False), sha256="b" * 64), date(2025, 2, 1))  # cancels 14
    await _import(
        sm,
        plan_draft(
            (task("1", "Nhiệm vụ kế hoạch mới", lead=("STP",), deadline=once(date(2025, 6, 1))),),
            number="99/KH-UBND", sha256="c" * 64,
        ),
        date(2025, 6, 1),
    )
    async with sm() as s, s.begin():  # the later plan: issued after the digest date
        plan = await plans_repo.get_plan_by_number(s, province=await agencies_repo.get_province(s, slug="phu-tho"), number="99/KH-UBND")  # type: ignore[arg-type]
        assert plan is not None
        plan.issued_on = date(2025, 7, 1)

    await _change(sm, "1", Status.DONE, date(2025, 3, 20))
    await _change(sm, "2", Status.DONE, date(2025, 5, 10))
    await _change(sm, "3", Status.DONE, date(2025, 6, 25))  # after the digest date
    await _change(sm, "4", Status.IN_PROGRESS, date(2025, 5, 1), progress=40, note="Đang lấy ý kiến")
    await _change(sm, "6", Status.IN_PROGRESS, date(2025, 6, 2), progress=30)
    await _change(sm, "6", Status.BLOCKED, date(2025, 6, 17), note="Chờ ý kiến Bộ Nội vụ")
    await _change(sm, "8", Status.EXTENSION_REQUESTED, date(2025, 6, 10), note="Xin gia hạn đến 31/07/2025")
    await _request(sm, "8", asked=date(2025, 6, 10), proposed=date(2025, 7, 31), reason="Chờ thẩm định của Bộ")
    await _request(sm, "9", asked=date(2025, 4, 20), proposed=date(2025, 8, 31), decided=date(2025, 4, 25))
    await _change(sm, "9", Status.EXTENDED, date(2025, 4, 25), source=ChangeSource.ADMIN, new_due_on=date(2025, 8, 31))
    await _change(sm, "10", Status.DONE, date(2025, 6, 19), source=ChangeSource.ADMIN)
    await _change(sm, "12", Status.DONE, date(2022, 1, 20), due=date(2022, 1, 30))
    await _change(sm, "12", Status.DONE, date(2023, 1, 25), due=date(2023, 1, 30))
    await _change(sm, "12", Status.DONE, date(2024, 2, 10), due=date(2024, 1, 30))
    await _change(sm, "13", Status.DONE, date(2025, 6, 20), source=ChangeSource.BUTTON)
    # 7: an extension to 15/07 granted on 15/06, undone on 16/06 the way "Hoàn tác" does it:
    # a new history row, then the item's date put back behind it.
    await _change(sm, "7", Status.EXTENDED, date(2025, 6, 15), source=ChangeSource.ADMIN, new_due_on=date(2025, 7, 15))
    await _change(sm, "7", Status.PENDING, date(2025, 6, 16), source=ChangeSource.ADMIN)
    async with sm() as s, s.begin():
        (await _item(s, "7")).due_on = date(2025, 6, 30)
    return sm


EXPECTED = Figures(
    not_due=1,  # 7
    on_track=2,  # 6, 9
    overdue=5,  # 3, 4, 5, 8, 12/2025
    overdue_30=3,  # 3 (158 d), 4 (38 d), 12/2025 (143 d)
    overdue_90=2,  # 3, 12/2025
    done_on_time=5,  # 1, 10, 12/2022, 12/2023, 13
    done_early=1,  # 13
    done_late=2,  # 2, 12/2024
    no_deadline=1,  # 11
)


async def _digest(sm: SM, as_of: date = D, kind: str = "week"):  # type: ignore[no-untyped-def]
    period = week_period(as_of) if kind == "week" else month_period(as_of)
    async with sm() as s:
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert province is not None
        return await build_digest(s, province=province, period=period)


async def test_headline_figures_as_of_the_date(dataset: SM) -> None:
    digest = await _digest(dataset)
    assert digest.total == EXPECTED
    assert digest.total.total == 16
    assert digest.total.due_so_far == 11  # 4 done on time + 2 late + 5 overdue
    assert digest.total.completion_rate == pytest.approx(6 / 11)
    assert digest.total.on_time_rate == pytest.approx(4 / 11)
    assert [p.plan_number for p in digest.plans] == ["1782/KH-UBND"]  # 99/KH-UBND: not in force yet


async def test_agencies_ranked_worst_first_with_successors(dataset: SM) -> None:
    digest = await _digest(dataset)
    by_code = {a.agency_code: a.figures for a in digest.agencies}
    assert set(by_code) == {"STP", "SNV", "STC", "SKHCN", "VPUB"}  # STTTT's item is under SKHCN
    assert by_code["SNV"] == Figures(on_track=1, overdue=2, overdue_30=1)
    assert by_code["STP"] == Figures(overdue=1, overdue_30=1, overdue_90=1, done_on_time=2, done_early=1, done_late=1)
    assert by_code["SKHCN"] == Figures(overdue=1, overdue_30=1, overdue_90=1, done_on_time=3, done_late=1)
    assert by_code["STC"] == Figures(not_due=1, on_track=1, overdue=1)
    assert by_code["VPUB"] == Figures(no_deadline=1)
    # Most overdue first; equal counts: the lowest on-time rate first (STC 0 %, STP 33 %, SKHCN 60 %).
    assert [a.agency_code for a in digest.agencies] == ["SNV", "STC", "STP", "SKHCN", "VPUB"]


async def test_what_changed_in_the_week(dataset: SM) -> None:
    digest = await _digest(dataset)
    assert [(e.line.task_ref, e.on) for e in digest.completed] == [
        ("10", date(2025, 6, 19)), ("13", date(2025, 6, 20))
    ]
    assert [(e.line.task_ref, e.on, e.note) for e in digest.new_blockers] == [
        ("6", date(2025, 6, 17), "Chờ ý kiến Bộ Nội vụ")
    ]
    assert [(e.line.task_ref, e.on, e.proposed_due_on, e.note) for e in digest.extension_requests] == [
        ("8", date(2025, 6, 10), date(2025, 7, 31), "Chờ thẩm định của Bộ")
    ]
    assert [(e.line.task_ref, e.on) for e in digest.became_overdue] == [("5", date(2025, 6, 19))]
    assert [line.task_ref for line in digest.due_soon] == ["7"]
    assert not digest.quiet


async def test_a_past_date_reproduces_what_was_true_then(dataset: SM) -> None:
    """On 20/04/2025: item 9 was not extended yet, 2 not done, 13 not done; blocked 6 not yet."""
    digest = await _digest(dataset, date(2025, 4, 20))
    rows = {(r.task_ref, r.due_on): r for r in digest.rows}
    assert rows[("9", date(2025, 4, 30))].category is Category.NOT_DUE  # due date before the extension
    assert rows[("2", date(2025, 4, 30))].category is Category.NOT_DUE
    assert rows[("1", date(2025, 3, 31))].category is Category.DONE_ON_TIME
    assert rows[("3", date(2025, 1, 15))].category is Category.OVERDUE
    assert rows[("12", date(2024, 1, 30))].category is Category.DONE_LATE
    assert rows[("12", date(2024, 1, 30))].completed_on == date(2024, 2, 10)
    assert digest.total == Figures(
        not_due=9,  # 2, 4, 5, 6, 7, 8, 9, 10, 13
        overdue=2, overdue_30=2, overdue_90=1,  # 3 (95 days), 12/2025 (80 days)
        done_on_time=3, done_late=1, no_deadline=1,  # 1, 12/2022, 12/2023; 12/2024; 11
    )
    # 7 between its extension and the undo; after the undo, the item's own date again.
    on_15 = {r.task_ref: r for r in (await _digest(dataset, date(2025, 6, 15))).rows}
    assert (on_15["7"].status, on_15["7"].due_on, on_15["7"].category) == (Status.EXTENDED, date(2025, 7, 15), Category.ON_TRACK)
    assert {r.task_ref: r for r in (await _digest(dataset)).rows}["7"].due_on == date(2025, 6, 30)
    # The request for 9 (20/04, decided 25/04) was waiting then.
    on_22 = await _digest(dataset, date(2025, 4, 22))
    assert [(e.line.task_ref, e.proposed_due_on) for e in on_22.extension_requests] == [("9", date(2025, 8, 31))]
    # And after everything: 3 is done (late) on the 25th.
    later = await _digest(dataset, date(2025, 6, 30))
    three = next(r for r in later.rows if r.task_ref == "3")
    assert three.category is Category.DONE_LATE and three.completed_on == date(2025, 6, 25)


async def test_sql_figures_match_the_rows(dataset: SM) -> None:
    """The GROUP BY figures and the workbook rows are the same data."""
    for as_of in (date(2022, 1, 31), date(2025, 4, 20), D, date(2025, 12, 31)):
        digest = await _digest(dataset, as_of)
        assert Figures.of_rows(digest.rows, as_of) == digest.total, as_of
        assert sum((a.figures for a in digest.agencies), Figures()) == digest.total


async def test_figures_by_plan_and_agency_are_keyed_by_ids(dataset: SM) -> None:
    async with dataset() as s:
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert province is not None
        end = datetime(2025, 6, 22, 17, tzinfo=UTC)  # midnight in Vietnam
        figures = await figures_by_plan_and_agency(s, province_id=province.id, end=end, today=D)
    assert sum(figures.values(), Figures()) == EXPECTED


async def test_unreachable_and_silent_agencies(dataset: SM) -> None:
    async with dataset() as s, s.begin():
        province = await agencies_repo.get_province(s, slug="phu-tho")
        assert province is not None
        agencies = await agencies_repo.agencies_by_code(s, province=province, codes=["STP", "SNV", "SKHCN"])
        now = at(date(2025, 5, 1))
        stp = await chats_repo.bind_chat(s, province=province, tg_chat_id=-1, role=ChatRole.AGENCY, now=now, agency=agencies["STP"])
        await chats_repo.bind_chat(s, province=province, tg_chat_id=-2, role=ChatRole.AGENCY, now=now, agency=agencies["SNV"])
        khcn = await chats_repo.bind_chat(s, province=province, tg_chat_id=-3, role=ChatRole.AGENCY, now=now, agency=agencies["SKHCN"])
        await chats_repo.deactivate_chat(s, tg_chat_id=-2)  # the bot was removed from SNV's group
        for chat, day in ((stp, date(2025, 6, 2)), (khcn, date(2025, 6, 2)), (khcn, date(2025, 6, 16))):
            s.add(
                OutboxMessage(
                    chat_id=chat.id, tg_chat_id=chat.tg_chat_id, on_date=day, kind=OutboxKind.REMINDER, body="…",
                    status=OutboxStatus.SENT, sent_at=at(day, 8), next_attempt_at=at(day, 8), created_at=at(day, 8),
                )
            )
    digest = await _digest(dataset)
    # SNV: its only chat stopped working; STC: never bound (VPUB has nothing open → not named).
    assert digest.unreachable == ["Sở Nội vụ"]
    assert digest.unbound == ["Sở Tài chính"]
    # Sở KH&CN was reminded on 02/06 and never answered (the 19/06 completion was an admin's);
    # STP answered on 20/06 (a button).
    assert digest.silent == ["Sở Khoa học và Công nghệ"]


async def test_empty_province_gives_a_quiet_digest(sm: SM) -> None:
    await import_in_tx(sm, plan_draft((task("1", lead=("STP",), deadline=once(date(2030, 12, 31))),)))
    digest = await _digest(sm)
    assert digest.quiet
    output = render_digest(digest, province_slug="phu-tho")
    assert len(output.parts) == 1 and output.chart is None and output.workbook is None
    assert "không có nhiệm vụ nào quá hạn" in output.messages[0]


async def test_monthly_report_covers_the_month(dataset: SM) -> None:
    digest = await _digest(dataset, date(2025, 5, 31), kind="month")
    assert digest.period.start == date(2025, 5, 1) and digest.period.is_full_month
    assert [(e.line.task_ref, e.on) for e in digest.completed] == [("2", date(2025, 5, 10))]
    assert digest.soon_days == 31
    # Due on the 31st itself (8: no request yet then) up to a month ahead.
    assert [line.task_ref for line in digest.due_soon] == ["8", "5", "10", "7"]
    assert sum(1 for r in digest.rows if r.due_item_id is not None) + 1 == len(digest.rows)
    assert digest.total.due_so_far == Figures.of_rows(digest.rows, date(2025, 5, 31)).due_so_far


@pytest.mark.parametrize("limit", [1, 3, 6, 9, 12])
async def test_a_capped_workbook_reads_only_its_rows_and_keeps_the_same(dataset: SM, limit: int) -> None:
    """Over the cap, the rows are chosen in SQL (ranked, counted, then only those within the
    cap and the period's lists read): the same rows by rank as ranking every row in Python,
    the same lists, and the total still counts every row."""
    from bot.domain.digest import RowSelection, workbook_rank

    for as_of, kind in ((D, "week"), (date(2025, 4, 22), "week"), (D, "month")):
        period = week_period(as_of) if kind == "week" else month_period(as_of)
        async with dataset() as s:
            province = await agencies_repo.get_province(s, slug="phu-tho")
            assert province is not None
            whole = await build_digest(s, province=province, period=period, row_limit=10_000)
            capped = await build_digest(s, province=province, period=period, row_limit=limit)
        every = len(whole.rows)
        assert whole.rows_total is None and every == whole.total.total  # every row, the undated task too
        reference = RowSelection(period=period, soon_days=whole.soon_days, limit=limit)
        for n, row in enumerate(whole.rows):
            reference.add((n,), row)
        ranks = lambda rows: sorted(workbook_rank(r, period, whole.soon_days) for r in rows)  # noqa: E731
        assert ranks(capped.rows) == ranks(reference.rows()), (as_of, kind)
        assert len(capped.rows) == min(limit, every)
        assert capped.rows_total == (every if every > limit else None)
        assert (capped.completed, capped.new_blockers, capped.extension_requests, capped.became_overdue, capped.due_soon) == (
            whole.completed, whole.new_blockers, whole.extension_requests, whole.became_overdue, whole.due_soon
        )
        assert capped.total == whole.total and capped.agencies == whole.agencies
