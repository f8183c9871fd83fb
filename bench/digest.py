"""Digest build time and memory on a generated province: 100 000 tasks across 1 000 agencies.

Run: python bench/digest.py [--quick] [--db URL] [--tasks N] [--agencies N]
Default: a temporary SQLite file. With --db postgresql://…, a schema of its own is created
and dropped afterwards. Seeding is not measured. Then two measurements:

1. the way the bot builds it (bot.services.digest_worker: a child process with its own
   engine, the bot's event loop only awaits a pipe): wall time, the child's CPU time and
   its peak RSS — the figures issue 18 asks for (≤ 10 s, ≤ 200 MB);
2. in this process, step by step: the digest (SQL figures, rows streamed once into the
   lists and the capped workbook selection), the text, the chart and the workbook, each on
   its own line (wall and CPU), then the figures.

Absolute times depend on the machine (and on what else runs on it: CPU time is printed
beside wall time for that reason); compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reminders import database  # noqa: E402  (bench/reminders.py: the same scratch databases)
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async  # noqa: E402
from bot.db.models import Agency, Chat, DueItem, OutboxMessage, Plan, Province, StatusChange, Task, TaskAgency  # noqa: E402
from bot.domain.digest import week_period  # noqa: E402
from bot.domain.kinds import ChatRole, LinkRole, OutboxKind, OutboxStatus  # noqa: E402
from bot.domain.status import ChangeSource, Status  # noqa: E402
from bot.render.format import percent  # noqa: E402

AS_OF = date(2025, 6, 22)
TZ_OFFSET = timedelta(hours=7)
PLANS = 10
PLACES = ("Thanh Thủy", "Lâm Thao", "Phù Ninh", "Đoan Hùng", "Hạ Hòa", "Cẩm Khê", "Yên Lập", "Tân Sơn", "Thanh Ba")


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - TZ_OFFSET


def _change(rng: random.Random, due: date) -> dict[str, object] | None:
    """One reported change after the import (None: nothing reported): done early or late,
    in progress / blocked / extension requested, or an extension granted."""
    roll = rng.random()
    when = min(due + timedelta(days=rng.randrange(-60, 40)), AS_OF + timedelta(days=5))
    if roll < 0.45:
        return {"at": _at(when), "source": ChangeSource.CHAT, "old_status": Status.PENDING, "new_status": Status.DONE,
                "progress": 100, "due_on": due, "completed_on": when, "note": None}
    if roll < 0.65:
        status = (Status.IN_PROGRESS, Status.BLOCKED, Status.EXTENSION_REQUESTED)[int(roll * 100) % 3]
        note = {"blocked": "Chờ ý kiến của sở, ngành", "extension_requested": "Xin gia hạn thêm 30 ngày"}.get(status.value)
        return {"at": _at(min(when, AS_OF)), "source": ChangeSource.BUTTON, "old_status": Status.PENDING,
                "new_status": status, "progress": 50, "due_on": due, "note": note}
    if roll < 0.68:
        return {"at": _at(min(due, AS_OF)), "source": ChangeSource.ADMIN, "old_status": Status.PENDING,
                "new_status": Status.EXTENDED, "progress": 0, "due_on": due + timedelta(days=90), "note": "Đồng ý gia hạn."}
    return None


async def seed(url: str, *, tasks: int, agencies: int, bind_chats: bool = True) -> None:
    """A province with `agencies` agencies, PLANS plans, `tasks` tasks (one lead agency,
    one due item each; every tenth task yearly 2022–2025, every fiftieth undated) and a
    history like a running bot's: imported, then done / in progress / blocked / extension."""
    rng = random.Random(20250622)
    sm = make_sessionmaker(make_engine(url))
    async with sm() as s, s.begin():
        province = await s.scalar(select(Province).where(Province.slug == "phu-tho"))  # bench/replies.py's
        if province is None:
            province = Province(slug="phu-tho", name="Phú Thọ", timezone="Asia/Ho_Chi_Minh")
            s.add(province)
            await s.flush()
        await s.execute(
            insert(Agency.__table__),
            [
                {
                    "province_id": province.id, "code": f"CQ{i:04d}", "kind": "xa", "aliases": [], "search_key": "",
                    "name": f"Ủy ban nhân dân xã {PLACES[i % len(PLACES)]} {i:04d}", "active": True,
                }
                for i in range(agencies)
            ],
        )
        agency_ids = list(await s.scalars(select(Agency.id).where(Agency.code.like("CQ%")).order_by(Agency.id)))
        await s.execute(
            insert(Plan.__table__),
            [
                {
                    "province_id": province.id, "number": f"{100 + p}/KH-UBND", "title": f"Kế hoạch cải cách hành chính số {p + 1}",
                    "issued_on": date(2021 + p % 4, 3, 1), "first_year": 2021, "last_year": 2025,
                    "source_name": f"kh-{p}.txt", "source_sha256": f"{p:064d}",
                    "imported_at": _at(date(2025, 1, 2)), "updated_at": _at(date(2025, 1, 2)),
                }
                for p in range(PLANS)
            ],
        )
        plan_ids = list(await s.scalars(select(Plan.id).where(Plan.source_name.like("kh-%")).order_by(Plan.id)))
        task_rows = []
        for t in range(tasks):
            task_rows.append(
                {
                    "plan_id": plan_ids[t % PLANS], "ref": str(t // PLANS + 1), "position": t // PLANS,
                    "section": "I. Cải cách thể chế",
                    "title": f"Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực {t % 97} năm {2022 + t % 4}",
                    "product": "Kế hoạch", "lead_text": None, "support_text": "Sở Nội vụ",
                    "deadline_text": "Quý II hằng năm" if t % 10 == 0 else "Trong năm kế hoạch",
                    "deadline_rule": {}, "deadline_kind": "once", "needs_review": [],
                }
            )
        for chunk in range(0, len(task_rows), 20_000):
            await s.execute(insert(Task.__table__), task_rows[chunk : chunk + 20_000])
        task_ids = list(await s.scalars(select(Task.id).where(Task.plan_id.in_(plan_ids)).order_by(Task.id)))
        links, items, changes = [], [], []
        for t, task_id in enumerate(task_ids):
            agency_id = agency_ids[t % agencies]
            links.append({"task_id": task_id, "agency_id": agency_id, "role": LinkRole.LEAD})
            if t % 50 == 49:
                continue  # undated
            dates = [date(y, 6, 30) for y in range(2022, 2026)] if t % 10 == 0 else [
                date(2022, 1, 1) + timedelta(days=rng.randrange(5 * 365))
            ]
            for due in dates:
                change = _change(rng, due)
                changes.append(change)
                final = change or {"new_status": Status.PENDING, "progress": 0, "due_on": due}
                items.append(
                    {"task_id": task_id, "agency_id": agency_id, "due_on": final["due_on"], "original_due_on": due,
                     "status": final["new_status"], "progress": final["progress"],
                     "completed_on": final.get("completed_on"), "updated_at": _at(date(2025, 1, 2))}
                )
        for chunk in range(0, len(links), 20_000):
            await s.execute(insert(TaskAgency.__table__), links[chunk : chunk + 20_000])
        for chunk in range(0, len(items), 20_000):
            await s.execute(insert(DueItem.__table__), items[chunk : chunk + 20_000])
        rows = (await s.execute(
            select(DueItem.id, DueItem.original_due_on).where(DueItem.task_id.in_(select(Task.id).where(Task.plan_id.in_(plan_ids))))
            .order_by(DueItem.id)
        )).all()
        history = []
        for (item_id, due), change in zip(rows, changes, strict=True):  # ids follow the insert order
            history.append({"due_item_id": item_id, "at": _at(date(2021, 12, 1)), "source": ChangeSource.IMPORT,
                            "old_status": None, "new_status": Status.PENDING, "progress": 0, "due_on": due,
                            "note": "Tạo từ kế hoạch."})
            if change:
                history.append({"due_item_id": item_id, **change})
        history = [{"completed_on": None, **row} for row in history]  # executemany: the same keys
        for chunk in range(0, len(history), 20_000):
            await s.execute(insert(StatusChange.__table__), history[chunk : chunk + 20_000])
        if not bind_chats:  # bench/replies.py: no chats the reminder engine would write to
            return
        chats = [
            {"province_id": province.id, "tg_chat_id": -1_000_000 - i, "title": f"Nhóm {i}", "role": ChatRole.AGENCY,
             "agency_id": agency_id, "active": i % 25 != 0, "bound_at": _at(date(2025, 1, 2))}
            for i, agency_id in enumerate(agency_ids) if i % 10 != 0
        ]
        chats.append({"province_id": province.id, "tg_chat_id": -999, "title": "Lãnh đạo tỉnh", "role": ChatRole.LEADERS,
                      "agency_id": None, "active": True, "bound_at": _at(date(2025, 1, 2))})
        await s.execute(insert(Chat.__table__), chats)
        chat_rows = (await s.execute(select(Chat.id, Chat.tg_chat_id).where(Chat.agency_id.in_(agency_ids)))).all()
        reminders = [
            {"chat_id": chat_id, "tg_chat_id": tg_id, "on_date": day, "kind": OutboxKind.REMINDER, "part": 0,
             "parts": 1, "body": "…", "status": OutboxStatus.SENT, "sent_at": _at(day, 8),
             "next_attempt_at": _at(day, 8), "created_at": _at(day, 8)}
            for chat_id, tg_id in chat_rows
            for day in (date(2025, 6, 2), date(2025, 6, 16))
        ]
        await s.execute(insert(OutboxMessage.__table__), reminders)
    engine = sm.kw["bind"]
    if engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum keeps them on a live server: without them the
        # freshly bulk-loaded tables are planned as if empty.
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    await engine.dispose()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure_worker(url: str, label: str = "as the bot builds it") -> None:
    from bot.services.digest_worker import digest_parts

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s:
        province = await s.scalar(select(Province))
        assert province is not None
    await engine.dispose()
    parts, run = await digest_parts(database_url=url, province_id=province.id, period=week_period(AS_OF), with_report=False)
    print(f"{label} (child process): {run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU, "
          f"peak RSS {run.max_rss_mb:.0f} MB; parts: {', '.join(p.kind for p in parts)}\n")


async def measure(url: str) -> None:
    from bot.render import chart as charts
    from bot.render.digest import digest_messages, period_label
    from bot.render.xlsx import build_workbook
    from bot.services.digests import build_digest

    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    timings: list[tuple[str, float, float]] = []
    start, cpu_start = time.perf_counter(), _cpu()
    async with sm() as s:
        province = await s.scalar(select(Province))
        assert province is not None
        digest = await build_digest(s, province=province, period=week_period(AS_OF))
    timings.append(("digest (SQL, as of the date)", time.perf_counter() - start, _cpu() - cpu_start))
    t, c = time.perf_counter(), _cpu()
    messages = digest_messages(digest)
    timings.append(("text", time.perf_counter() - t, _cpu() - c))
    t, c = time.perf_counter(), _cpu()
    png = charts.render_chart(charts.chart_data(digest, title=f"Tình trạng nhiệm vụ — {period_label(digest.period)}"))
    timings.append(("chart (PNG)", time.perf_counter() - t, _cpu() - c))
    t, c = time.perf_counter(), _cpu()
    workbook = build_workbook(digest)
    timings.append(("workbook (XLSX)", time.perf_counter() - t, _cpu() - c))
    timings.append(("total", time.perf_counter() - start, _cpu() - cpu_start))
    await engine.dispose()

    print("in this process, step by step:")
    for name, seconds, cpu in timings:
        print(f"{name:32} {seconds:7.2f} s wall {cpu:7.2f} s CPU")
    f = digest.total
    print(
        f"\nas of {AS_OF:%d/%m/%Y}: {f.total} items in {len(digest.plans)} plans, {len(digest.agencies)} agencies, "
        f"{len(digest.rows)} workbook rows" + (f" of {digest.rows_total} (capped)" if digest.rows_capped else "")
    )
    print(
        f"due so far {f.due_so_far}: done {f.done_due} (on time {f.done_on_time_due}, late {f.done_late}), "
        f"overdue {f.overdue} (>30 d {f.overdue_30}, >90 d {f.overdue_90}); in term {f.in_term} "
        f"(in progress {f.on_track}, not due {f.not_due}); done early {f.done_early}; no deadline {f.no_deadline}"
    )
    print(f"completion {percent(f.completion_rate)}, on time {percent(f.on_time_rate)}")
    print(
        f"week: {len(digest.completed)} done, {len(digest.new_blockers)} new blockers, "
        f"{len(digest.extension_requests)} extension requests, {len(digest.became_overdue)} became overdue, "
        f"{len(digest.due_soon)} due in {digest.soon_days} days; unreachable {len(digest.unreachable)}, unbound {len(digest.unbound)}, "
        f"silent {len(digest.silent)}"
    )
    print(
        f"outputs: {len(messages)} message(s) (longest {max(map(len, messages))} chars), "
        f"PNG {len(png) / 1024:.0f} KB, XLSX {len(workbook) / 1024 / 1024:.1f} MB"
    )


async def run(args: argparse.Namespace) -> None:
    url, cleanup = await database(args.db)  # a temporary SQLite file or PostgreSQL schema
    try:
        await _bench(url, args)
    finally:
        await cleanup()


async def _bench(url: str, args: argparse.Namespace) -> None:
    await upgrade_database_async(url)
    t = time.perf_counter()
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s:
        seeded = await s.scalar(select(func.count()).select_from(Task))
    await engine.dispose()
    if seeded and args.reuse:
        print(f"{make_url(url).get_backend_name()}: reusing {seeded} tasks already seeded")
    else:
        await seed(url, tasks=args.tasks, agencies=args.agencies)
        print(f"{make_url(url).get_backend_name()}: {args.tasks} tasks, {args.agencies} agencies "
              f"(seeded in {time.perf_counter() - t:.1f} s, not measured)")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores\n")
    for _ in range(args.repeat):
        if args.compare:
            # The child runs `python -m bot.services.digest_worker` from the current folder:
            # from another work tree, it is that tree's code, on the same data, in the same run.
            os.chdir(args.compare)
            try:
                await measure_worker(url, f"{args.compare}, load {os.getloadavg()[0]:.2f}")
            finally:
                os.chdir(ROOT)
            await measure_worker(url, f"this tree, load {os.getloadavg()[0]:.2f}")
        else:
            await measure_worker(url)
    if args.steps:
        await measure(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 000 tasks, 100 agencies")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=1_000)
    parser.add_argument("--reuse", action="store_true", help="a --db that already holds the seeded tasks: measure only")
    parser.add_argument("--compare", help="another work tree (e.g. main before a change): its digest worker too, alternating")
    parser.add_argument("--repeat", type=int, default=1, help="child-process builds to time (1st is cold)")
    parser.add_argument("--steps", action=argparse.BooleanOptionalAction, default=True,
                        help="also the step-by-step measurement in this process")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.agencies = 10_000, 100
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
