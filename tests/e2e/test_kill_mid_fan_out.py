"""Issue 18's crash test: a REAL `python -m bot run` killed with SIGKILL in the middle of a
fan-out, three times at different points, restarted each time; on SQLite and PostgreSQL.

The world: the Phú Thọ sample plan imported with the real parser; the agencies with
reminders on Monday 23/06/2025 bound to 20 group chats each (~300 chats) plus the leaders'
chat; the fake Bot API server with Telegram's flood limits on records every message. What
must be sent is computed beforehand by a tick whose transaction is rolled back.

Each process starts at 09:00 (reminders at 08:00), so its start-up catch-up ticks and its
sender sends. The test kills it (SIGKILL: no handler runs, nothing more is written) once
the server has received 40, then 130, then 220 messages in all, and starts a new process at
once. The last one is stopped with SIGTERM once every row is sent.

What must hold (delivery at least once, bounded duplicates):
- every expected message arrived in its chat;
- copies beyond the first only for rows that were `sending` when a process was killed,
  at most the sender's concurrency (8) per kill; printed: duplicates per kill and how long
  after each kill the dead process's rows went out again (their lease is 20 s).
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage
from bot.domain.kinds import OutboxStatus
from tests.e2e.conftest import E2E_PG_URL, E2E_REQUIRE_PG, _e2e_pg_answers
from tests.e2e.test_two_processes import (
    SITECUSTOMIZE,
    Process,
    _env,
    _free_port,
    _pg_connect,
    _pid,
    bind_agency_chats,
    schema_url,
    until,
)
from tests.fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PLAN = ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
MONDAY = date(2025, 6, 23)
MONDAY_0900 = datetime(2025, 6, 23, 2, 0, tzinfo=UTC)
CHATS_PER_AGENCY = 20
FIRST_CHAT = -4_800_000_000
LEADERS_CHAT = -4_899_999_999
ADMIN = 500_001
KILL_AT = (40, 130, 220)  # messages received by the server in all
CONCURRENCY = 8  # OutboxSender's default: the most a kill can double


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
        return
    if not await _e2e_pg_answers():
        if E2E_REQUIRE_PG:
            pytest.fail(f"TEST_REQUIRE_POSTGRES=1 but PostgreSQL does not answer at {E2E_PG_URL}")
        pytest.skip("PostgreSQL does not answer")
    schema = f"nv_kill_{uuid.uuid4().hex[:12]}"
    conn = await _pg_connect()
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    try:
        yield schema_url(schema, "nhacviec-kill")
    finally:
        conn = await _pg_connect()
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()


def _session(url: str) -> tuple[Any, async_sessionmaker[AsyncSession]]:
    from bot.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url)
    return engine, make_sessionmaker(engine)


async def _rows(url: str) -> list[OutboxMessage]:
    engine, sm = _session(url)
    try:
        async with sm() as s:
            return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        await engine.dispose()


async def _prepare(server: FakeBotApi, url: str) -> dict[int, list[str]]:
    """Import, bind the chats, and return what Monday's tick must send (chat → bodies)."""
    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db import agencies as agencies_repo
    from bot.db.engine import upgrade_database_async
    from bot.services.plans import read_and_parse, store_draft
    from bot.services.reminders import (
        calendar_from_settings,
        collect_reminders,
        enqueue_reminders,
        policy_from_settings,
    )

    server.add_user(ADMIN, "Quản trị")
    settings = load_settings(database_url=url, reminder_time="08:00")
    catalog = Catalog(settings.data_dir)
    await upgrade_database_async(url)
    engine, sm = _session(url)
    expected: dict[int, list[str]] = {}
    try:
        draft = read_and_parse(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, catalog=catalog, province=None, max_bytes=20 << 20)
        async with sm() as s, s.begin():
            await store_draft(s, draft=draft, catalog=catalog, timezone=settings.timezone, actor="test")
            province = await agencies_repo.get_province(s, slug="phu-tho")
            assert province is not None
            calendar, policy = calendar_from_settings(settings), policy_from_settings(settings)
            day = await collect_reminders(s, on_date=MONDAY, calendar=calendar, policy=policy)
            await bind_agency_chats(
                s, server, province, day.groups, first_chat=FIRST_CHAT, per_agency=CHATS_PER_AGENCY,
                leaders_chat=LEADERS_CHAT, admin=ADMIN, now=MONDAY_0900,
            )
        async with sm() as s:  # Monday's tick, rolled back: what the processes must send
            tx = await s.begin()
            await enqueue_reminders(s, on_date=MONDAY, calendar=calendar, policy=policy, now=MONDAY_0900)
            for row in await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
                expected.setdefault(row.tg_chat_id, []).append(row.body)
            await tx.rollback()
    finally:
        await engine.dispose()
    assert await _rows(url) == []
    return expected


async def test_sigkill_mid_fan_out_three_times_loses_nothing(
    fake_bot_api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    server = fake_bot_api
    server.set_rate_limits(True)
    expected = await _prepare(server, db_url)
    total = sum(len(b) for b in expected.values())
    assert total > max(KILL_AT) + 50, total
    (tmp_path / "shim").mkdir()
    (tmp_path / "shim" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    t0 = time.monotonic()

    async def start(n: int) -> Process:
        # Each process's clock goes on from where the test's is (a restarted server's clock
        # does not go back): the dead process's leases expire on the same time line.
        now = MONDAY_0900 + timedelta(seconds=time.monotonic() - t0)
        port = _free_port()
        env = _env(tmp_path, server, db_url, NHACVIEC_TEST_NOW=now.isoformat(), WEBHOOK_SECRET=uuid.uuid4().hex)
        hook = f"http://127.0.0.1:{port}/kill-{n}/hook"
        return await Process.start(f"run-{n}", tmp_path, env, "run", "--webhook-url", hook, "--port", str(port))

    processes: list[Process] = []
    kills: list[tuple[float, set[int]]] = []  # (when, ids of the rows then `sending`)
    try:
        for n, at in enumerate(KILL_AT):
            process = await start(n)
            processes.append(process)

            async def reached(at: int = at, process: Process = process) -> bool:
                assert process.proc.returncode is None, process.log
                return len(server.sent) >= at

            await until(reached, timeout=90, what=f"{at} messages sent")
            process.proc.send_signal(signal.SIGKILL)
            await process.wait()
            # The rows this process was sending (a previous dead one's may still wait for their lease).
            sending = {
                r.id for r in await _rows(db_url)
                if r.status is OutboxStatus.SENDING and _pid(r.claimed_by) == process.proc.pid
            }
            kills.append((time.monotonic(), sending))
        last = await start(len(KILL_AT))
        processes.append(last)

        async def all_sent() -> bool:
            assert last.proc.returncode is None, last.log
            rows = await _rows(db_url)
            return len(rows) == total and all(r.status is OutboxStatus.SENT for r in rows)

        await until(all_sent, timeout=180, what=f"all {total} rows sent")
        done = time.monotonic()
        await asyncio.sleep(1.0)  # a few more outbox intervals: nothing else may go out
        code = await last.stop()
    finally:
        for p in processes:
            p.kill()
    assert code == 0, last.log

    arrived = Counter((m.chat_id, m.raw_text or m.raw_caption) for m in server.sent)
    wanted = Counter((chat, body) for chat, bodies in expected.items() for body in bodies)
    missing = wanted - arrived
    assert not missing, f"{sum(missing.values())} message(s) lost"
    assert set(arrived) == set(wanted), "a message nobody queued"
    rows = {r.id: r for r in await _rows(db_url)}
    extra = arrived - wanted
    doubled_rows = {r.id for r in rows.values() if (r.tg_chat_id, r.body) in extra}
    in_flight = set().union(*(ids for _, ids in kills))
    assert doubled_rows <= in_flight, "a duplicate outside the in-flight window"
    assert sum(extra.values()) <= CONCURRENCY * len(KILL_AT)
    for _, ids in kills:
        assert len(ids) <= CONCURRENCY
    print(
        f"\n{total} messages, {len(KILL_AT)} kills; in flight at each kill: {[len(ids) for _, ids in kills]}; "
        f"duplicates: {sum(extra.values())}; everything sent {done - kills[-1][0]:.1f} s after the last kill; "
        f"429s: {sum(1 for r in server.calls('sendMessage') if r.status == 429)}"
    )


async def test_sigterm_mid_fan_out_finishes_or_releases_and_doubles_nothing(
    fake_bot_api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    """SIGTERM in the middle of the fan-out: the process ends with code 0 having finished the
    messages in flight and given back its other claims (nothing left `claimed` or `sending`,
    nothing waiting for a lease); the next process sends the rest; nothing arrives twice."""
    server = fake_bot_api
    server.set_rate_limits(True)
    expected = await _prepare(server, db_url)
    total = sum(len(b) for b in expected.values())
    (tmp_path / "shim").mkdir()
    (tmp_path / "shim" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    t0 = time.monotonic()

    async def start(n: int) -> Process:
        now = MONDAY_0900 + timedelta(seconds=time.monotonic() - t0)
        port = _free_port()
        env = _env(tmp_path, server, db_url, NHACVIEC_TEST_NOW=now.isoformat(), WEBHOOK_SECRET=uuid.uuid4().hex)
        return await Process.start(
            f"run-{n}", tmp_path, env, "run", "--webhook-url", f"http://127.0.0.1:{port}/term-{n}/hook", "--port", str(port)
        )

    processes: list[Process] = []
    try:
        first = await start(0)
        processes.append(first)

        async def reached() -> bool:
            assert first.proc.returncode is None, first.log
            return len(server.sent) >= 60

        await until(reached, timeout=90, what="60 messages sent")
        assert await first.stop() == 0, first.log
        rows = await _rows(db_url)
        left = Counter(r.status for r in rows)
        assert not left.get(OutboxStatus.CLAIMED) and not left.get(OutboxStatus.SENDING), left
        assert 60 <= left[OutboxStatus.SENT] < total, left
        assert Counter((m.chat_id, m.raw_text or m.raw_caption) for m in server.sent).most_common(1)[0][1] == 1

        second = await start(1)
        processes.append(second)

        async def all_sent() -> bool:
            assert second.proc.returncode is None, second.log
            rows = await _rows(db_url)
            return len(rows) == total and all(r.status is OutboxStatus.SENT for r in rows)

        await until(all_sent, timeout=120, what=f"all {total} rows sent")
        assert await second.stop() == 0, second.log
    finally:
        for p in processes:
            p.kill()
    arrived = Counter((m.chat_id, m.raw_text or m.raw_caption) for m in server.sent)
    assert arrived == Counter((chat, body) for chat, bodies in expected.items() for body in bodies)
