"""Reply latency: status replies from many groups at once, answered by the real bot.

The Phú Thọ sample plan is imported, 100 groups are bound to the agencies that have
reminders on Monday 23/06/2025, the real Application (bot.app.build_application: polling,
AIORateLimiter, PerChatUpdateProcessor, the reminder engine) sends the day's reminders to
the fake Bot API server (in this process); then each group's focal point answers the
reminder ("1 đang làm 40%", "1 đang làm 45%", …) at a steady overall rate, round robin over
the groups. Latency: from the reply reaching the server to the bot's confirmation arriving
there (both on the server's clock). Each group gets one reply every 100/rate seconds, so at
20/s a group gets 12 confirmations a minute, under Telegram's 20 per group.

Prints per rate: answered/sent, p50/p95/p99/max latency, wall and CPU time (this process: the
bot and the fake server; child processes: the digest worker), the load average, and how the
ids of the confirmations were stored (bot/services/sent_ids.py: inside the next reply's
transaction, or in a transaction of their own when none came within 0.2 s); the saturation
point is the first rate whose p95 exceeds 1 s or that leaves a reply unanswered.

With --report-tasks N (e.g. 100000), the province also gets N generated tasks (bench/digest.py's
data set) and every rate runs twice: quietly, then while an admin's `/baocao` for the whole
province is being built (sent as the replies start; built in a child process by
bot.services.digest_worker) — the two latency lines side by side, and when the report's
workbook arrived.

Run: python bench/replies.py [--db URL] [--rates 10 20 40] [--seconds 15] [--groups 100] [--report-tasks N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from reminders import database

SAMPLE_PLAN = ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
MONDAY_0900 = datetime(2025, 6, 23, 2, 0, tzinfo=UTC)
FIRST_GROUP = -4_900_000_000
FOCAL = 700_000
ADMIN = 500_001


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process (the bot and the fake server) and of its finished children
    (the /baocao digest worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def prepare(server, url: str, groups: int):
    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db import agencies as agencies_repo
    from bot.db import chats as chats_repo
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.domain.kinds import ChatRole
    from bot.services.plans import read_and_parse, store_draft
    from bot.services.reminders import (
        calendar_from_settings,
        collect_reminders,
        policy_from_settings,
    )

    settings = load_settings(
        telegram_bot_token=server.token, telegram_api_url=server.url, database_url=url, province="phu-tho",
        reminder_time="08:00", admin_ids=str(ADMIN), digest_enabled=False,
    )
    catalog = Catalog(settings.data_dir)
    await upgrade_database_async(url)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    draft = read_and_parse(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, catalog=catalog, province=None, max_bytes=20 << 20)
    server.add_user(ADMIN, "Quản trị")
    async with sm() as s, s.begin():
        await store_draft(s, draft=draft, catalog=catalog, timezone=settings.timezone, actor="bench")
        province = await agencies_repo.get_province(s, slug="phu-tho")
        day = await collect_reminders(
            s, on_date=MONDAY_0900.date(), calendar=calendar_from_settings(settings), policy=policy_from_settings(settings)
        )
        agencies = [await agencies_repo.get_agency(s, agency_id=g.agency_id) for g in day.groups]
        for n in range(groups):
            chat_id = FIRST_GROUP - n
            server.add_user(FOCAL + n, f"Đầu mối {n}")
            server.add_chat(chat_id, title=f"Nhóm {n}", members=[ADMIN, FOCAL + n])
            await chats_repo.bind_chat(
                s, province=province, tg_chat_id=chat_id, role=ChatRole.AGENCY, now=MONDAY_0900,
                agency=agencies[n % len(agencies)], title=f"Nhóm {n}",
            )
    return settings, catalog, engine, sm


async def run(args: argparse.Namespace) -> None:
    from sqlalchemy.engine import make_url

    from bot.app import build_application
    from bot.db.engine import normalize_url
    from tests.fakebot import FakeBotApi

    url, cleanup = await database(args.db)
    backend = make_url(normalize_url(url)).get_backend_name()
    t_origin = time.monotonic()

    def clock() -> datetime:
        return MONDAY_0900 + timedelta(seconds=time.monotonic() - t_origin)

    async with FakeBotApi() as server:
        settings, catalog, engine, sm = await prepare(server, url, args.groups)
        if args.report_tasks:
            from digest import seed  # bench/digest.py: the province-scale data set

            t = time.monotonic()
            await seed(url, tasks=args.report_tasks, agencies=max(10, args.report_tasks // 100), bind_chats=False)
            print(f"seeded {args.report_tasks} more tasks for /baocao in {time.monotonic() - t:.0f} s")
        app = build_application(settings, sessionmaker=sm, catalog=catalog, clock=clock)
        await app.initialize()
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            chats = [FIRST_GROUP - n for n in range(args.groups)]

            def reminders() -> dict[int, int]:
                found = {}
                for chat in chats:
                    for m in server.messages_in(chat):
                        if (m.text or "").startswith("🔔"):
                            found.setdefault(chat, m.message_id)
                return found

            await server.wait_for(lambda: len(reminders()) == len(chats), 120, message="reminders sent")
            targets = reminders()
            sent_ids = app.bot_data.sent_ids
            print(f"nhacviec reply latency — {backend}, {args.groups} groups, {os.cpu_count()} cores; "
                  f"update → confirmation on the fake server's clock; load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            saturated = None
            step = 0

            async def one_rate(rate: float, label: str, report: bool) -> tuple[int, int, list[float]]:
                nonlocal step
                total = int(rate * args.seconds)
                pending: list[tuple[int, float, int]] = []  # chat, injected at, messages before
                report_before = len(server.messages_in(ADMIN))
                report_at = server.clock()
                cpu_before, wall_before = _cpu(), time.monotonic()
                ids_before = (sent_ids.written, sent_ids.own_transactions)
                if report:
                    server.send_text(ADMIN, ADMIN, "/baocao")
                start = time.monotonic()
                for n in range(total):
                    due = start + n / rate
                    if (delay := due - time.monotonic()) > 0:
                        await asyncio.sleep(delay)
                    chat = chats[(step + n) % len(chats)]
                    before = len(server.messages_in(chat))
                    pct_value = 40 + (step + n) % 50
                    server.send_text(chat, FOCAL + chats.index(chat), f"1 đang làm {pct_value}%",
                                     reply_to_message_id=targets[chat])
                    pending.append((chat, server.clock(), before))
                step += total
                deadline = time.monotonic() + 60
                latencies: list[float] = []
                while time.monotonic() < deadline:
                    latencies = []
                    for chat, at, before in pending:
                        later = [m.time for m in server.messages_in(chat)[before:] if m.time >= at]
                        if later:
                            latencies.append(min(later) - at)
                    if len(latencies) == len(pending):
                        break
                    await asyncio.sleep(0.2)
                answered = len(latencies)
                ms = [x * 1000 for x in latencies] or [float("nan")]
                own, children = _cpu()
                wall = time.monotonic() - wall_before
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                print(
                    f"  {rate:>4g} replies/s × {args.seconds:g} s{label}: answered {answered}/{total}; latency ms "
                    f"p50 {statistics.median(ms):.0f} · p95 {pct(ms, 0.95):.0f} · p99 {pct(ms, 0.99):.0f} · "
                    f"max {max(ms):.0f}\n"
                    f"       {wall:.1f} s wall; CPU: bot + fake server {own - cpu_before[0]:.1f} s, child processes "
                    f"{children - cpu_before[1]:.1f} s; load average {load}; ids of sent messages: "
                    f"{sent_ids.written - ids_before[0]} stored, {sent_ids.own_transactions - ids_before[1]} "
                    f"transactions of their own (the rest rode in the replies' transactions)"
                )
                if report:
                    def workbook() -> list[float]:
                        return [m.time for m in server.messages_in(ADMIN)[report_before:] if m.method == "sendDocument"]

                    await server.wait_for(workbook, 600, message="the report never came")
                    print(f"       /baocao: workbook sent {workbook()[0] - report_at:.1f} s after the command; the digest "
                          f"child's CPU {_cpu()[1] - cpu_before[1]:.1f} s")
                return answered, total, ms

            for rate in args.rates:
                for report in (False, True) if args.report_tasks else (False,):
                    answered, total, ms = await one_rate(rate, " during /baocao" if report else "", report)
                    if saturated is None and (answered < total or pct(ms, 0.95) > 1000):
                        saturated = rate
                    await asyncio.sleep(2)  # let the groups' rate windows drain a little
            print(f"  saturation: {'beyond ' + str(args.rates[-1]) if saturated is None else saturated} replies/s")
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await engine.dispose()
            await cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (PostgreSQL: a temporary schema is used)")
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 20, 40])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--report-tasks", type=int, default=0, help="also measure during a /baocao over N more tasks")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
