"""The web console at province scale: response times of its pages with 100,000 due items.

Generates the reminders bench's province (bench/reminders.py `generate`: 100,000 tasks, one
due item each, the past mostly done, 60 agencies) into a temporary SQLite database — or
PostgreSQL with --db (a private schema, dropped afterwards) — opens an admin's and a focal
point's console session, and times each page through the real ASGI application (httpx's
ASGI transport: routing, session check, SQL, Jinja2 rendering; no network). Prints the
median and the slowest of --runs requests per page.

Run: python bench/web_scale.py [--tasks N] [--runs N] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time as clock
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from reminders import NOW, generate  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.catalog import Catalog  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async  # noqa: E402
from bot.db.models import Agency, DueItem, Province  # noqa: E402
from bot.web import auth  # noqa: E402
from bot.web.app import COOKIE, WebContext, create_app  # noqa: E402


async def _schema(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password, database=u.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def add_history(sm) -> None:  # noqa: ANN001
    """The history a real province has: the import's row for every item (as `nhacviec import`
    writes it) and the row of each completion, on the day it was done (the reminders bench's
    generator writes items only)."""
    from datetime import UTC, datetime, time

    from sqlalchemy import insert, literal

    from bot.db.models import StatusChange
    from bot.domain.status import ChangeSource, Status

    imported = datetime(2021, 5, 5, 2, 0, tzinfo=UTC)
    cols = ["due_item_id", "at", "actor_name", "source", "old_status", "new_status", "progress", "due_on", "completed_on"]
    async with sm() as s, s.begin():
        await s.execute(insert(StatusChange).from_select(cols, select(
            DueItem.id, literal(imported), literal("Nhập kế hoạch"), literal(ChangeSource.IMPORT.value),
            literal(None), literal(Status.PENDING.value), literal(0), DueItem.original_due_on, literal(None),
        )))
        done = (await s.execute(
            select(DueItem.id, DueItem.due_on, DueItem.completed_on).where(DueItem.status == Status.DONE.value)
        )).all()
        rows = [
            {"due_item_id": item_id, "at": datetime.combine(completed, time(3), UTC), "actor_name": "Đầu mối",
             "source": ChangeSource.CHAT, "old_status": Status.PENDING, "new_status": Status.DONE, "progress": 100,
             "due_on": due, "completed_on": completed}
            for item_id, due, completed in done
        ]
        for start in range(0, len(rows), 5000):
            await s.execute(insert(StatusChange), rows[start : start + 5000])

async def run(args: argparse.Namespace) -> None:
    schema = None
    tmp = tempfile.TemporaryDirectory()
    reuse = False
    if args.db:
        schema = args.pg_schema or f"nv_webbench_{uuid.uuid4().hex[:10]}"
        if args.pg_schema:
            import asyncpg

            u = make_url(args.db)
            conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, database=u.database)
            reuse = bool(await conn.fetchval("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", schema))
            await conn.close()
        if not reuse:
            await _schema(args.db, f'CREATE SCHEMA "{schema}"')
        url = make_url(args.db).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    else:
        path = Path(args.sqlite_file) if args.sqlite_file else Path(tmp.name) / "web.db"
        url = f"sqlite+aiosqlite:///{path}"
        reuse = Path(path).exists()
    engine = make_engine(url)
    try:
        await upgrade_database_async(url)
        sm = make_sessionmaker(engine)
        started = clock.perf_counter()
        if not reuse:
            items, agencies = await generate(sm, chats=args.agencies, tasks=args.tasks)
            if not args.no_history:
                await add_history(sm)
            if args.db:  # what autovacuum does to a real database: statistics, visibility map
                tables = ("plans", "tasks", "task_agencies", "due_items", "status_changes", "item_figures", "agencies", "chats")
                await _schema(args.db, "VACUUM ANALYZE " + ", ".join(f'"{schema}".{t}' for t in tables))
            print(f"Generated {items:,} due items, {agencies} agencies in {clock.perf_counter() - started:.1f} s "
                  f"({'PostgreSQL' if args.db else 'SQLite'}{', no history' if args.no_history else ', with history'})")
        async with sm() as s, s.begin():
            province = await s.scalar(select(Province).where(Province.slug == "bench"))
            assert province is not None
            busiest = await s.scalar(
                select(DueItem.agency_id).group_by(DueItem.agency_id).order_by(func.count().desc()).limit(1)
            )
            assert busiest is not None
            admin = await auth.open_session(
                s, tg_user_id=1, user_name="Quản trị", grants={"admin": [province.id], "leader": [], "agency": {}}, now=NOW
            )
            focal = await auth.open_session(
                s, tg_user_id=2, user_name="Đầu mối", now=NOW,
                grants={"admin": [], "leader": [], "agency": {str(province.id): [busiest]}},
            )
            agency_name = await s.scalar(select(Agency.name).where(Agency.id == busiest))
        settings = load_settings(telegram_bot_token="1:bench", database_url=url)
        ctx = WebContext(settings=settings, sessionmaker=sm, catalog=Catalog(settings.data_dir), clock=lambda: NOW, bot=None)
        app = create_app(ctx)
        pages = [
            ("admin", "/web/tasks", "tasks, first page"),
            ("admin", "/web/tasks?page=1000", "tasks, page 1000"),
            ("admin", "/web/tasks?cat=overdue", "tasks, overdue"),
            ("admin", f"/web/tasks?agency={busiest}&from=01/01/2025&to=31/12/2025", "tasks, one agency, 2025"),
            ("admin", "/web/tasks?q=ra soat van ban", "tasks, text search (accents ignored)"),
            ("focal", "/web/tasks", "tasks as a focal point"),
            ("admin", "/web/reports", "reports, this week"),
            ("admin", "/web/reports?kind=month&date=31/12/2024", "reports, a past month"),
            ("admin", "/web/reports/chart.png", "reports chart (PNG)"),
            ("admin", "/web/agencies", "agencies, ranked"),
            ("admin", f"/web/agencies/{busiest}", f"one agency ({agency_name})"),
            ("admin", "/web/plans", "plans"),
            ("admin", "/web/reports/download?fmt=xlsx", "report workbook (.xlsx, every item)"),
            ("focal", "/web/history/export", "history export (CSV) as a focal point"),
        ]
        cookies = {"admin": admin, "focal": focal}
        load = os.getloadavg()[0]
        print(f"Machine: {os.cpu_count()} CPUs, load average {load:.1f} (figures scale with it)")
        print(f"{'page':44} {'median':>9} {'slowest':>9} {'cpu/req':>9}  status  load")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for who, path, label in pages:
                if args.only and not any(word in label for word in args.only.split(",")):
                    continue
                runs = args.runs if "download" not in path else max(1, args.runs // 3)
                times, status = [], 0
                cpu0 = clock.process_time()
                for _ in range(runs):
                    t0 = clock.perf_counter()
                    response = await client.get(path, cookies={COOKIE: cookies[who]})
                    times.append(clock.perf_counter() - t0)
                    status = response.status_code
                cpu = (clock.process_time() - cpu0) / runs
                print(
                    f"{label:44} {statistics.median(times) * 1000:7.0f} ms {max(times) * 1000:7.0f} ms "
                    f"{cpu * 1000:6.0f} ms  {status}     {os.getloadavg()[0]:.1f}"
                )
    finally:
        await engine.dispose()
        if schema and args.db and not args.pg_schema:
            await _schema(args.db, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="only the pages whose label contains one of these words (comma-separated)")
    parser.add_argument("--pg-schema", help="with --db: keep the data in this schema (reused when it exists)")
    parser.add_argument("--sqlite-file", help="keep the SQLite database in this file (reused when it exists)")
    parser.add_argument("--no-history", action="store_true", help="items without history rows (the figures before 12/2026)")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB"), help="PostgreSQL URL (default: a temporary SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
