"""Reminder engine at province scale: a day's selection, and the fan-out under Telegram's limits.

Generates 1,000 agency chats and 100,000 tasks (one due item each, plus one reminder-day item
per agency, a few merged agencies) into a temporary SQLite database — or PostgreSQL with
--db (a private schema, dropped afterwards) — then measures:

- selection: `collect_reminders` for one working day (policy → candidate due dates → one SQL
  query over the indexed due_on → grouping per recipient agency), median of 3;
- the tick: selection + rendering + queueing every message in the outbox;
- fan-out: the real OutboxSender and a PTB bot with AIORateLimiter, against the fake Bot API
  server with Telegram's flood limits on (rate_limits=True): messages/second as a fraction of
  30/s, 429s received, messages lost or doubled (both must be 0).

Run: python bench/reminders.py [--quick] [--db URL] [--chats N] [--tasks N]
(default ≈ 1–1.5 minutes, mostly the fan-out itself at ~28 messages/s; --quick: 100 chats,
10,000 tasks, a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.db.codec import deadline_to_json  # noqa: E402
from bot.db.engine import make_engine, make_sessionmaker, normalize_url, upgrade_database_async  # noqa: E402
from bot.db.models import Agency, Chat, DueItem, OutboxMessage, Plan, Province, Task, TaskAgency  # noqa: E402
from bot.domain.calendar import WorkCalendar  # noqa: E402
from bot.domain.deadlines import DeadlineKind, DeadlineRule  # noqa: E402
from bot.domain.kinds import ChatRole, LinkRole, OutboxStatus  # noqa: E402
from bot.domain.reminders import ReminderPolicy  # noqa: E402
from bot.domain.status import Status  # noqa: E402
from bot.services.reminders import collect_reminders, enqueue_reminders  # noqa: E402
from bot.services.sender import OutboxSender  # noqa: E402

DAY = date(2025, 6, 23)  # a Monday, a working day
NOW = datetime(2025, 6, 23, 1, 0, tzinfo=UTC)
WORDS = (
    "xây dựng kế hoạch rà soát văn bản quy phạm pháp luật số hoá hồ sơ thủ tục hành chính "
    "dịch vụ công trực tuyến cải cách tổ chức bộ máy nâng cao chất lượng công chức"
).split()
CHUNK = 5000


def title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize()


async def generate(sm, *, chats: int, tasks: int, seed: int = 7) -> tuple[int, int]:  # noqa: ANN001
    """Returns (due items, agencies)."""
    rng = random.Random(seed)
    merged = max(1, chats // 20)
    async with sm() as s, s.begin():
        province = Province(slug="bench", name="Tỉnh thử", timezone="Asia/Ho_Chi_Minh")
        s.add(province)
        await s.flush()
        pid = province.id
        await s.execute(
            Agency.__table__.insert(),
            [
                {"province_id": pid, "code": f"cq-{i:05d}", "name": f"Sở thử nghiệm số {i}", "kind": "so",
                 "aliases": [], "search_key": f"so thu nghiem so {i}", "active": i < chats}
                for i in range(chats + merged)
            ],
        )
        ids = list(await s.scalars(select(Agency.id).where(Agency.province_id == pid).order_by(Agency.code)))
        active, gone = ids[:chats], ids[chats:]
        for agency_id in gone:  # merged agencies: their tasks go to a successor's chat
            await s.execute(Agency.__table__.update().where(Agency.id == agency_id).values(successor_id=rng.choice(active)))
        await s.execute(
            Chat.__table__.insert(),
            [
                {"province_id": pid, "tg_chat_id": -1_000_000_000_000 - n, "title": f"Nhóm {n}", "role": ChatRole.AGENCY,
                 "agency_id": agency_id, "active": True, "bound_at": NOW}
                for n, agency_id in enumerate(active)
            ],
        )
        plans = max(1, tasks // 1000)
        await s.execute(
            Plan.__table__.insert(),
            [
                {"province_id": pid, "number": f"{n}/KH-UBND", "title": "Kế hoạch thử", "source_name": "bench",
                 "source_sha256": "0" * 64, "imported_at": NOW, "updated_at": NOW}
                for n in range(plans)
            ],
        )
        plan_ids = list(await s.scalars(select(Plan.id).where(Plan.province_id == pid).order_by(Plan.id)))

        # Due dates over the plan period; the past mostly done, as in a province that works.
        first, span = date(2021, 6, 30), (date(2026, 12, 31) - date(2021, 6, 30)).days
        rows, links, items = [], [], []
        total = tasks + chats
        for n in range(total):
            if n < tasks:
                due = first + timedelta(days=rng.randrange(span))
                lead = rng.choice(ids)
            else:  # one item per agency due in 7 days: every chat has a reminder today
                due, lead = DAY + timedelta(days=7), active[n - tasks]
            past = (DAY - due).days
            done = rng.random() < (0.9 if past > 60 else 0.2 if past > 0 else 0.05)
            rule = deadline_to_json(DeadlineRule(text=f"Hoàn thành trước ngày {due:%d/%m/%Y}", kind=DeadlineKind.ONCE, on=due))
            rows.append({
                "plan_id": plan_ids[n % plans], "ref": str(n), "position": n, "title": title(rng),
                "deadline_text": rule["text"], "deadline_rule": rule, "deadline_kind": "once",
            })
            items.append((lead, due, done))
        for start in range(0, len(rows), CHUNK):
            await s.execute(Task.__table__.insert(), rows[start : start + CHUNK])
        task_ids = list(await s.scalars(select(Task.id).order_by(Task.id)))
        for task_id, (lead, due, done) in zip(task_ids, items, strict=True):
            links.append({"task_id": task_id, "agency_id": lead, "role": LinkRole.LEAD})
        due_rows = [
            {"task_id": task_id, "agency_id": lead, "due_on": due, "original_due_on": due,
             "status": Status.DONE if done else Status.PENDING, "progress": 100 if done else 0,
             "completed_on": due if done else None, "updated_at": NOW}
            for task_id, (lead, due, done) in zip(task_ids, items, strict=True)
        ]
        for start in range(0, len(links), CHUNK):
            await s.execute(TaskAgency.__table__.insert(), links[start : start + CHUNK])
            await s.execute(DueItem.__table__.insert(), due_rows[start : start + CHUNK])
    return len(due_rows), len(ids)


async def run(args: argparse.Namespace) -> None:
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    from tests.fakebot import FakeBotApi

    chats, tasks = (100, 10_000) if args.quick else (args.chats, args.tasks)
    url, cleanup = await database(args.db)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    calendar = WorkCalendar(years=range(2021, 2028))
    policy = ReminderPolicy()
    try:
        t0 = time.perf_counter()
        await upgrade_database_async(url)
        due_items, agencies = await generate(sm, chats=chats, tasks=tasks)
        backend = make_url(normalize_url(url)).get_backend_name()
        print(f"nhacviec reminder benchmark — {backend}, {chats} agency chats, {tasks:,} tasks")
        print(f"  data: {agencies} agencies, {due_items:,} due items generated in {time.perf_counter() - t0:.1f} s")

        timings = []
        for _ in range(3):
            t0 = time.perf_counter()
            async with sm() as s:
                day = await collect_reminders(s, on_date=DAY, calendar=calendar, policy=policy)
            timings.append(time.perf_counter() - t0)
        print(
            f"  selection (one day's reminders, median of 3): {statistics.median(timings) * 1000:.0f} ms — "
            f"{day.items:,} reminder lines for {len(day.groups)} agencies, "
            f"{len(day.selection.dates)} candidate due dates in one query"
        )
        t0 = time.perf_counter()
        async with sm() as s, s.begin():
            report = await enqueue_reminders(s, on_date=DAY, calendar=calendar, policy=policy, now=NOW)
        print(f"  tick (select + render + queue): {time.perf_counter() - t0:.2f} s — {report.queued:,} messages queued")
        t0 = time.perf_counter()
        async with sm() as s, s.begin():
            again = await enqueue_reminders(s, on_date=DAY, calendar=calendar, policy=policy, now=NOW)
        print(f"  tick again: {time.perf_counter() - t0:.2f} s — {again.queued} queued (idempotent)")

        async with FakeBotApi(rate_limits=True) as server:
            async with sm() as s:
                for tg_chat_id, title_ in (await s.execute(select(Chat.tg_chat_id, Chat.title))).all():
                    server.add_chat(tg_chat_id, title=title_)
            bot = (
                ApplicationBuilder().token(server.token).base_url(server.base_url)
                .base_file_url(server.base_file_url).rate_limiter(AIORateLimiter(max_retries=2))
                .build().bot
            )
            async with bot:
                sender = OutboxSender(sessionmaker=sm, bot=bot, clock=lambda: datetime.now(UTC))
                t0 = time.perf_counter()
                drained = await sender.drain(wait_for_deferred=120)
                elapsed = time.perf_counter() - t0
            sent = [m for m in server.sent]
            first, last = (min(m.time for m in sent), max(m.time for m in sent)) if sent else (0.0, 0.0)
            rate = (len(sent) - 1) / (last - first) if len(sent) > 1 and last > first else 0.0
            too_many = sum(1 for r in server.calls("sendMessage") if r.status == 429)
            async with sm() as s:
                rows = list(await s.execute(select(OutboxMessage.tg_chat_id, OutboxMessage.body, OutboxMessage.status)))
            delivered = Counter((m.chat_id, m.raw_text) for m in sent)
            lost = sum(1 for tg, body, status in rows if delivered[(tg, body)] == 0)
            doubled = sum(count - 1 for count in delivered.values() if count > 1)
            not_sent = sum(1 for *_, status in rows if status is not OutboxStatus.SENT)
            print(
                f"  fan-out: {len(sent):,} messages to {len({m.chat_id for m in sent}):,} chats in {elapsed:.1f} s — "
                f"{rate:.1f} msg/s = {rate / 30:.2f} of Telegram's 30/s"
            )
            print(f"  429s received: {too_many} (sender saw {drained.retry_after}); lost: {lost}; doubled: {doubled}"
                  f"; rows not marked sent: {not_sent}")
        if lost or doubled:
            raise SystemExit("FAILED: messages lost or doubled")
    finally:
        await engine.dispose()
        await cleanup()


async def database(url: str | None):  # noqa: ANN201
    """The URL to use and an async cleanup: a temp SQLite file, or a private PostgreSQL schema."""
    if url is None:
        folder = tempfile.TemporaryDirectory(prefix="nhacviec-bench-")

        async def drop_folder() -> None:
            folder.cleanup()

        return f"sqlite+aiosqlite:///{folder.name}/bench.db", drop_folder
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "postgresql":
        return url, _nothing
    import asyncpg

    schema = f"nv_bench_{uuid.uuid4().hex[:10]}"
    connect = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432, "user": parsed.username,
               "password": parsed.password, "database": parsed.database}
    conn = await asyncpg.connect(**connect)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()

    async def drop_schema() -> None:
        conn = await asyncpg.connect(**connect)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()

    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False), drop_schema


async def _nothing() -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 chats, 10,000 tasks")
    parser.add_argument("--db", help="database URL (PostgreSQL: a temporary schema is used)")
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=100_000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
