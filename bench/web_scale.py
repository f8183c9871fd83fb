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
import time
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


async def run(args: argparse.Namespace) -> None:
    schema = None
    tmp = tempfile.TemporaryDirectory()
    if args.db:
        schema = f"nv_webbench_{uuid.uuid4().hex[:10]}"
        await _schema(args.db, f'CREATE SCHEMA "{schema}"')
        url = make_url(args.db).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'web.db'}"
    engine = make_engine(url)
    try:
        await upgrade_database_async(url)
        sm = make_sessionmaker(engine)
        started = time.perf_counter()
        items, agencies = await generate(sm, chats=args.agencies, tasks=args.tasks)
        print(f"Generated {items:,} due items, {agencies} agencies in {time.perf_counter() - started:.1f} s "
              f"({'PostgreSQL' if args.db else 'SQLite'})")
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
        print(f"{'page':44} {'median':>9} {'slowest':>9}  status")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for who, path, label in pages:
                runs = args.runs if "download" not in path else max(1, args.runs // 3)
                times, status = [], 0
                for _ in range(runs):
                    t0 = time.perf_counter()
                    response = await client.get(path, cookies={COOKIE: cookies[who]})
                    times.append(time.perf_counter() - t0)
                    status = response.status_code
                print(f"{label:44} {statistics.median(times) * 1000:7.0f} ms {max(times) * 1000:7.0f} ms  {status}")
    finally:
        await engine.dispose()
        if schema and args.db:
            await _schema(args.db, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB"), help="PostgreSQL URL (default: a temporary SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
