"""Fan-out pacing on a busy machine: the real OutboxSender (with PTB's AIORateLimiter
underneath, as `nhacviec run` has it) sends one reminder to each of N chats while CPU hogs
keep every core busy, against the fake Bot API server with Telegram's flood limits on
(30 messages/s per bot, 20/min per group) running in its own process (Telegram's clock
does not stall when ours does).

Prints, per run: messages/s between the first and the last arrival at the server as a
fraction of 30/s (target ≥ 0.9), the 429s the server answered (target 0), lost and doubled
messages (must be 0), and the most messages the server saw in any 1-second window.

Run: python bench/fanout_load.py [--chats 1000 5000] [--hogs 2] [--db URL]
(--hogs 0: the idle machine, for comparison)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

FIRST = -1_000_000_000_000
DAY = date(2025, 6, 23)
BODY = "🔔 <b>Nhắc việc</b> — Sở thử nghiệm số {n}\nThứ Hai, 23/06/2025\n\n1. Xây dựng kế hoạch rà soát văn bản\n   Hạn 30/06/2025 · còn 7 ngày"


# --- the fake Telegram, in its own process ---------------------------------------------------


async def serve(chats: int) -> None:
    from tests.fakebot import FakeBotApi

    async with FakeBotApi(rate_limits=True) as server:
        for n in range(chats):
            server.add_chat(FIRST - n, title=f"Nhóm {n}")
        print(server.url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the bench closes stdin
        times = sorted(m.time for m in server.sent)
        peak, j = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - 1.0:
                j += 1
            peak = max(peak, i - j + 1)
        counts = Counter((m.chat_id, m.raw_text) for m in server.sent)
        print(json.dumps({
            "sent": len(times), "first": times[0] if times else 0.0, "last": times[-1] if times else 0.0,
            "too_many": sum(1 for r in server.calls("sendMessage") if r.status == 429),
            "doubled": sum(c - 1 for c in counts.values()), "chats": len({c for c, _ in counts}),
            "peak_1s": peak,
        }), flush=True)


# --- CPU hogs ----------------------------------------------------------------------------------


def _hog(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x = (x * 31 + 7) % 1_000_003


# --- the bench -----------------------------------------------------------------------------------


async def database(url: str | None):
    sys.path.insert(0, str(ROOT / "bench"))
    from reminders import (
        database as bench_database,  # the same temp SQLite / private PG schema
    )

    return await bench_database(url)


async def one_run(chats: int, hogs: int, db: str | None) -> dict[str, float]:
    from sqlalchemy import insert
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.db.models import Chat, OutboxMessage, Province
    from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
    from bot.services.sender import OutboxSender

    url, cleanup = await database(db)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(chats), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    stop = multiprocessing.Event()
    workers = [multiprocessing.Process(target=_hog, args=(stop,), daemon=True) for _ in range(hogs)]
    try:
        assert server.stdout is not None and server.stdin is not None
        base = (await server.stdout.readline()).decode().strip()
        await upgrade_database_async(url)
        now = datetime.now(UTC)
        async with sm() as s, s.begin():
            province = Province(slug="bench", name="Tỉnh thử", timezone="Asia/Ho_Chi_Minh")
            s.add(province)
            await s.flush()
            await s.execute(insert(Chat), [
                {"province_id": province.id, "tg_chat_id": FIRST - n, "title": f"Nhóm {n}", "role": ChatRole.AGENCY,
                 "active": True, "bound_at": now} for n in range(chats)
            ])
            ids = {tg: cid for cid, tg in (await s.execute(Chat.__table__.select().with_only_columns(Chat.id, Chat.tg_chat_id))).all()}
            await s.execute(insert(OutboxMessage), [
                {"chat_id": ids[FIRST - n], "tg_chat_id": FIRST - n, "on_date": DAY, "kind": OutboxKind.REMINDER,
                 "part": 0, "parts": 1, "body": BODY.format(n=n), "next_attempt_at": now, "created_at": now}
                for n in range(chats)
            ])
        for w in workers:
            w.start()
        bot = (
            ApplicationBuilder().token("123456789:AAFakeTokenForNhacviecTests").base_url(f"{base}/bot")
            .rate_limiter(AIORateLimiter(max_retries=2)).build().bot
        )
        async with bot:
            sender = OutboxSender(sessionmaker=sm, bot=bot, clock=lambda: datetime.now(UTC))
            t0 = time.perf_counter()
            drained = await sender.drain(wait_for_deferred=120)
            elapsed = time.perf_counter() - t0
        stop.set()
        server.stdin.close()
        stats = json.loads((await server.stdout.readline()).decode())
        async with sm() as s:
            from sqlalchemy import func, select

            not_sent = await s.scalar(select(func.count()).where(OutboxMessage.status != OutboxStatus.SENT))
        rate = (stats["sent"] - 1) / (stats["last"] - stats["first"]) if stats["sent"] > 1 else 0.0
        return {"elapsed": elapsed, "rate": rate, "lost": chats - stats["chats"], "not_sent": not_sent or 0,
                "retry_after_seen": drained.retry_after, **stats}
    finally:
        stop.set()
        for w in workers:
            w.join(5)
        if server.returncode is None:
            server.kill()
            await server.wait()
        await engine.dispose()
        await cleanup()


async def main_async(args: argparse.Namespace) -> None:
    from sqlalchemy.engine import make_url

    from bot.db.engine import normalize_url

    backend = "sqlite" if args.db is None else make_url(normalize_url(args.db)).get_backend_name()
    print(f"nhacviec fan-out under load — {backend}, {args.hogs} CPU hog(s) on {os.cpu_count()} cores")
    failed = False
    for chats in args.chats:
        r = await one_run(chats, args.hogs, args.db)
        print(
            f"  {chats:>5} chats: {r['sent']:,} messages in {r['elapsed']:.1f} s — {r['rate']:.1f} msg/s = "
            f"{r['rate'] / 30:.2f} of 30/s; 429s: {r['too_many']}; peak in any 1 s: {r['peak_1s']}; "
            f"lost: {r['lost']}; doubled: {r['doubled']}; rows not sent: {r['not_sent']}"
        )
        failed |= bool(r["lost"] or r["doubled"] or r["not_sent"])
    if failed:
        raise SystemExit("FAILED: messages lost, doubled or not marked sent")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(serve(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="CPU-bound processes (default: one per core)")
    parser.add_argument("--db", help="database URL (PostgreSQL: a temporary schema is used)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
