"""Issue 7's acceptance test: two REAL bot processes on ONE PostgreSQL database never send
the same reminder twice.

Every process ticks and sends: at start-up its catch-up job queues the day's reminders
(racing the other process's tick for the same rows) and starts the outbox sender, which runs
again every OUTBOX_INTERVAL seconds in both processes. Claims take row locks (`SELECT … FOR
UPDATE SKIP LOCKED` inside the claiming UPDATE) and every later transition is conditional on
the claim, so each outbox row goes out from exactly one of them.

The world: the Phú Thọ sample plan imported with the real parser; the 15 agencies with
reminders on Monday 23/06/2025 bound to 6 group chats each (90 chats), plus the province's
leaders' chat (escalations); the fake Bot API server (tests/fakebot) records every message.
What must be sent is computed beforehand by a tick whose transaction is rolled back; at the
end every chat must hold exactly those messages, each once, and every outbox row must be
`sent` after one attempt, with the id of the message that went out.

- `nhacviec run` ×2 in webhook mode (both can run at once behind a proxy; two pollers would
  fight over getUpdates). `run` has no date option, so a `sitecustomize` written by the test
  pins the processes' clock (`bot.app.utc_now`) to Monday 23/06/2025 09:00 in Vietnam,
  running on from there; REMINDER_TIME is 08:00, so the start-up catch-up ticks. Then a
  claim race on purpose: the test queues Tuesday's reminders while holding an EXCLUSIVE lock
  on the outbox table; both senders block on it (seen in pg_locks, by application_name);
  the commit releases them together and their claims run at the same moment. (The start-up
  race alone hardly ever overlaps two claims: the second tick waits for the first, so the
  first sender has claimed its batch before the second looks. With the claim guards
  removed it still passed; the aligned claims then sent dozens of messages twice.)
- `nhacviec tick --date 23/06/2025` ×2 at once (the operator's command after an outage).

PostgreSQL only (SQLite has one writer: nothing to race), at TEST_POSTGRES_URL or the local
default like the other end-to-end tests: skipped when it does not answer, a failure then when
TEST_REQUIRE_POSTGRES=1. Each test gets its own schema.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage, ReminderRun
from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
from tests.e2e.conftest import E2E_PG_URL, E2E_REQUIRE_PG, _e2e_pg_answers
from tests.e2e.test_bot_run import _env as bot_process_env
from tests.fakebot import FakeBotApi
from tests.timing import until

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PLAN = ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
PG_URL = E2E_PG_URL

MONDAY, TUESDAY = date(2025, 6, 23), date(2025, 6, 24)
MONDAY_0900 = datetime(2025, 6, 23, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam; reminders at 08:00
CHATS_PER_AGENCY = 6
FIRST_CHAT = -4_700_000_000
LEADERS_CHAT = -4_799_999_999
ADMIN = 500_001
OUTBOX_INTERVAL = 0.5
CONNECTED = "đã kết nối tới"
QUEUED = re.compile(r"23/06/2025: \d+ nhắc việc cho \d+ cơ quan, \d+ nhóm; thêm (\d+) tin vào hàng đợi")

# On PYTHONPATH for the `run` processes: "now" for the bot, from NHACVIEC_TEST_NOW on.
SITECUSTOMIZE = '''\
"""Written by tests/e2e/test_two_processes.py: `nhacviec run` with a pinned clock."""
import os

if os.environ.get("NHACVIEC_TEST_NOW"):
    import time
    from datetime import datetime, timedelta

    import bot.app

    _origin, _t0 = datetime.fromisoformat(os.environ["NHACVIEC_TEST_NOW"]), time.monotonic()
    bot.app.utc_now = lambda: _origin + timedelta(seconds=time.monotonic() - _t0)
'''


# --- the database ------------------------------------------------------------------------------


async def _pg_connect(schema: str | None = None) -> Any:
    import asyncpg  # type: ignore[import-untyped]

    u = make_url(PG_URL)
    return await asyncpg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
        database=u.database, timeout=10, server_settings={"search_path": schema} if schema else None,
    )


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    """A fresh schema in the TEST_POSTGRES_URL database, dropped afterwards."""
    if not await _e2e_pg_answers():
        if E2E_REQUIRE_PG:
            pytest.fail(f"TEST_REQUIRE_POSTGRES=1 but PostgreSQL does not answer at {PG_URL}")
        pytest.skip("PostgreSQL does not answer: two processes need one PostgreSQL database")
    schema = f"nv_two_{uuid.uuid4().hex[:12]}"
    conn = await _pg_connect()
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    try:
        yield schema
    finally:
        conn = await _pg_connect()
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()


def schema_url(schema: str, application_name: str = "nhacviec-test") -> str:
    """TEST_POSTGRES_URL on `schema`; the application name tells the processes apart in
    pg_stat_activity."""
    options = f"-csearch_path={schema} -capplication_name={application_name}"
    return make_url(PG_URL).update_query_dict({"options": options}).render_as_string(hide_password=False)


@dataclass
class World:
    server: FakeBotApi
    schema: str
    # What must go out: chat → HTML bodies, from the test's own ticks (Monday's rolled back).
    expected: dict[int, list[str]] = field(default_factory=dict)
    queued: dict[date, int] = field(default_factory=dict)  # rows per day

    @property
    def url(self) -> str:
        return schema_url(self.schema)

    @property
    def total(self) -> int:
        return sum(len(bodies) for bodies in self.expected.values())

    def session(self) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
        from bot.db.engine import make_engine, make_sessionmaker

        engine = make_engine(self.url)
        return engine, make_sessionmaker(engine)

    async def rows(self) -> list[OutboxMessage]:
        engine, sm = self.session()
        try:
            async with sm() as s:
                return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        finally:
            await engine.dispose()

    async def tick(self, session: AsyncSession, on_date: date) -> int:
        """Queue a day's reminders as the bot does (settings: REMINDER_TIME 08:00 and the
        rest default); record what was queued as expected. Returns the rows queued."""
        from bot.config import load_settings
        from bot.services.reminders import (
            calendar_from_settings,
            enqueue_reminders,
            policy_from_settings,
        )

        settings = load_settings(database_url=self.url, reminder_time="08:00")
        report = await enqueue_reminders(
            session, on_date=on_date, calendar=calendar_from_settings(settings),
            policy=policy_from_settings(settings), now=MONDAY_0900,
        )
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.on_date == on_date)
            .order_by(OutboxMessage.tg_chat_id, OutboxMessage.kind, OutboxMessage.part)
        )
        for row in rows:
            self.expected.setdefault(row.tg_chat_id, []).append(row.body)
        assert report.queued > 0, report.summary
        self.queued[on_date] = report.queued
        return report.queued

    async def lock_waiters(self, conn: Any) -> set[str]:
        """application_name of every connection waiting for a lock on the outbox table."""
        rows = await conn.fetch(
            "SELECT DISTINCT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.relation = 'outbox'::regclass AND NOT l.granted"
        )
        return {r[0] for r in rows}

    async def queue_while_senders_wait(self, on_date: date, senders: set[str]) -> int:
        """Queue a day's reminders inside a transaction holding an EXCLUSIVE lock on the
        outbox; commit only when every one of `senders` (application names) waits for it,
        so their claims start together."""
        engine, sm = self.session()
        conn = await _pg_connect(self.schema)
        try:
            async with sm() as s, s.begin():
                await s.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))
                queued = await self.tick(s, on_date)

                async def all_waiting() -> bool:
                    return senders <= await self.lock_waiters(conn)

                await until(all_waiting, timeout=20, what=f"the senders of {sorted(senders)} waiting for the outbox")
            return queued
        finally:
            await conn.close()
            await engine.dispose()


async def bind_agency_chats(
    s: AsyncSession,
    server: FakeBotApi,
    province: Any,
    groups: Any,
    *,
    first_chat: int = FIRST_CHAT,
    per_agency: int = CHATS_PER_AGENCY,
    leaders_chat: int = LEADERS_CHAT,
    admin: int = ADMIN,
    now: datetime = MONDAY_0900,
) -> None:
    """`per_agency` chats for each agency with reminders (ids down from `first_chat`) and
    the leaders' chat, each known to the fake server and bound in the database."""
    from bot.db import agencies as agencies_repo
    from bot.db import chats as chats_repo

    tg_chat_id = first_chat
    for group in groups:
        agency = await agencies_repo.get_agency(s, agency_id=group.agency_id)
        for _ in range(per_agency):
            tg_chat_id -= 1
            server.add_chat(tg_chat_id, title=f"Nhóm {tg_chat_id}", members=[admin])
            await chats_repo.bind_chat(
                s, province=province, tg_chat_id=tg_chat_id, role=ChatRole.AGENCY, now=now,
                agency=agency, title=f"Nhóm {tg_chat_id}",
            )
    server.add_chat(leaders_chat, title="Lãnh đạo tỉnh", members=[admin])
    await chats_repo.bind_chat(
        s, province=province, tg_chat_id=leaders_chat, role=ChatRole.LEADERS, now=now,
        title="Lãnh đạo tỉnh",
    )


@pytest.fixture
async def world(fake_bot_api: FakeBotApi, pg_schema: str) -> World:
    """The sample plan imported, 90 agency chats and a leaders' chat bound, nothing queued."""
    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db import agencies as agencies_repo
    from bot.db.engine import upgrade_database_async
    from bot.services.plans import read_and_parse, store_draft
    from bot.services.reminders import (
        calendar_from_settings,
        collect_reminders,
        policy_from_settings,
    )

    server = fake_bot_api
    server.add_user(ADMIN, "Quản trị")
    world = World(server, pg_schema)
    settings = load_settings(database_url=world.url, reminder_time="08:00")
    catalog = Catalog(settings.data_dir)
    await upgrade_database_async(world.url)
    engine, sm = world.session()
    try:
        draft = read_and_parse(SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, catalog=catalog, province=None, max_bytes=20 << 20)
        async with sm() as s, s.begin():
            await store_draft(s, draft=draft, catalog=catalog, timezone=settings.timezone, actor="test")
            province = await agencies_repo.get_province(s, slug="phu-tho")
            assert province is not None
            day = await collect_reminders(
                s, on_date=MONDAY, calendar=calendar_from_settings(settings), policy=policy_from_settings(settings)
            )
            assert len(day.groups) >= 10, "the sample plan has reminders for many agencies that Monday"
            await bind_agency_chats(s, server, province, day.groups)
        async with sm() as s:  # Monday's tick, rolled back: what the processes must send
            tx = await s.begin()
            await world.tick(s, MONDAY)
            await tx.rollback()
    finally:
        await engine.dispose()
    agency_chats = {c for c in world.expected if c != LEADERS_CHAT}
    assert len(agency_chats) == len(day.groups) * CHATS_PER_AGENCY  # every bound chat hears something
    assert world.expected.get(LEADERS_CHAT), "the leaders get an escalation that Monday"
    assert await world.rows() == []  # nothing queued yet: the processes race for everything
    return world


# --- the processes -----------------------------------------------------------------------------


def _env(tmp_path: Path, server: FakeBotApi, url: str, **values: str) -> dict[str, str]:
    env = bot_process_env(
        tmp_path,
        PYTHONPATH=os.pathsep.join([str(tmp_path / "shim"), str(ROOT)]),
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_URL=server.url,
        DATABASE_URL=url,
        ADMIN_IDS=str(ADMIN),
        PROVINCE="phu-tho",
        REMINDER_TIME="08:00",
        OUTBOX_INTERVAL=str(OUTBOX_INTERVAL),
        DIGEST_ENABLED="false",
        COLUMNS="200",
    )
    env.pop("NHACVIEC_TEST_NOW", None)  # not from the shell: only the processes given one get a clock
    env.update(values)
    return env


class Process:
    """A `python -m bot …` subprocess whose output (stdout and stderr) is read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name
        self.lines: list[str] = []
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, cwd: Path, env: dict[str, str], *args: str) -> Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        return cls(proc, name)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while raw := await self.proc.stdout.readline():
            self.lines.append(raw.decode())

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.wait()

    async def wait(self, timeout: float = 60) -> int:
        await asyncio.wait_for(self.reader, timeout)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid(worker: str | None) -> int:
    """The process id in an outbox worker name (host:pid:random)."""
    assert worker is not None
    return int(worker.split(":")[-2])


def _clean(process: Process) -> None:
    log = process.log
    assert "Traceback" not in log and not re.search(r"\bERROR\b", log), log


async def check_sent_once(world: World, processes: list[Process]) -> list[OutboxMessage]:
    """Every expected message in its chat exactly once; every outbox row sent after one
    attempt by one of the processes, with the id of the message that went out."""
    server = world.server
    # Reminders are texts; the leaders' one alert a day is the Excel file with its caption.
    sends = len(server.calls("sendMessage")) + len(server.calls("sendDocument"))
    assert sends == world.total, "a message too many (or too few)"
    assert len(server.sent) == world.total
    for chat_id, bodies in world.expected.items():
        # Parts of one day's message to one chat may be claimed by different processes:
        # what arrives is compared, not the order.
        assert Counter(m.raw_text or m.raw_caption for m in server.messages_in(chat_id)) == Counter(bodies), f"chat {chat_id}"

    rows = await world.rows()
    assert len(rows) == world.total
    assert max(Counter((r.chat_id, r.on_date, r.kind, r.part) for r in rows).values()) == 1, "a row queued twice"
    assert Counter(r.on_date for r in rows) == world.queued
    pids = {p.proc.pid for p in processes}
    for row in rows:
        assert row.status is OutboxStatus.SENT, (row.id, row.status, row.error)
        assert row.attempts == 1, f"outbox {row.id}: {row.attempts} attempts"
        assert row.kind is (OutboxKind.ESCALATION if row.tg_chat_id == LEADERS_CHAT else OutboxKind.REMINDER)
        assert _pid(row.claimed_by) in pids, row.claimed_by
    delivered = [(m.chat_id, m.message_id) for m in server.sent]
    assert sorted((r.tg_chat_id, r.tg_message_id) for r in rows) == sorted(delivered)  # one message per row
    return rows


async def check_outcome(world: World, processes: list[Process], codes: list[int]) -> None:
    """Every message sent exactly once, then both processes ended with exit code 0 and logs
    without errors; prints which process sent how many."""
    rows = await check_sent_once(world, processes)
    print(f"\n{world.total} messages to {len(world.expected)} chats; sent by {_split(rows, processes)}")
    assert codes == [0, 0], [p.log for p in processes]
    for p in processes:
        _clean(p)


async def check_monday_ticks(world: World, processes: list[Process]) -> None:
    """Each process ticked Monday (its log says so); all ticks together queued every row once
    (reminder_runs counts the ticks and the rows they added)."""
    for p in processes:
        assert QUEUED.search(p.log), f"{p.name} did not tick Monday:\n{p.log}"
    engine, sm = world.session()
    try:
        async with sm() as s:
            run = await s.get(ReminderRun, MONDAY)
    finally:
        await engine.dispose()
    assert run is not None and run.runs >= len(processes), "a Monday tick missing from reminder_runs"
    assert run.messages == world.queued[MONDAY], (run.runs, run.messages)


def _split(rows: list[OutboxMessage], processes: list[Process]) -> str:
    """Which process sent how many, per day (reported, not asserted: it depends on timing)."""
    counts = Counter((r.on_date, _pid(r.claimed_by)) for r in rows)
    return "; ".join(
        f"{day:%d/%m}: " + ", ".join(f"{p.name} {counts.get((day, p.proc.pid), 0)}" for p in processes)
        for day in sorted({r.on_date for r in rows})
    )


# --- the tests ---------------------------------------------------------------------------------


async def test_two_run_processes_send_every_reminder_exactly_once(world: World, tmp_path: Path) -> None:
    (tmp_path / "shim").mkdir()
    (tmp_path / "shim" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    names = ("nhacviec-a", "nhacviec-b")
    processes: list[Process] = []

    async def settled(count: int) -> bool:
        for p in processes:
            assert p.proc.returncode is None, f"{p.name} exited early:\n{p.log}"
        if len(world.server.sent) < count:
            return False
        rows = await world.rows()
        return len(rows) == count and all(r.status is OutboxStatus.SENT for r in rows)

    try:
        for name in names:
            port = _free_port()
            env = _env(
                tmp_path, world.server, schema_url(world.schema, name),
                NHACVIEC_TEST_NOW=MONDAY_0900.isoformat(), WEBHOOK_SECRET=f"secret-{uuid.uuid4().hex}",
            )
            hook = f"http://127.0.0.1:{port}/{name}/hook"
            processes.append(await Process.start(name, tmp_path, env, "run", "--webhook-url", hook, "--port", str(port)))

        # 1. Start-up: both catch-up ticks queue Monday's reminders, both senders send.
        await until(lambda: settled(world.total), timeout=60, what=f"Monday's {world.total} messages sent")
        await check_monday_ticks(world, processes)

        # 2. Both senders released at the same moment onto Tuesday's reminders.
        await world.queue_while_senders_wait(TUESDAY, set(names))
        await until(lambda: settled(world.total), timeout=30, what=f"{world.total} messages sent")
        # Both keep ticking and sending for a few more outbox intervals: nothing else may go out.
        await asyncio.sleep(4 * OUTBOX_INTERVAL)
        codes = [await p.stop() for p in processes]
    finally:
        for p in processes:
            p.kill()
    await check_outcome(world, processes, codes)
    for p in processes:
        assert p.log.count(CONNECTED) == 1, p.log


async def test_two_tick_commands_for_the_same_day_send_every_reminder_exactly_once(
    world: World, tmp_path: Path
) -> None:
    env = _env(tmp_path, world.server, world.url)
    processes = [await Process.start(name, tmp_path, env, "tick", "--date", "23/06/2025") for name in ("tick-a", "tick-b")]
    try:
        codes = [await p.wait() for p in processes]
    finally:
        for p in processes:
            p.kill()
    await check_outcome(world, processes, codes)
    await check_monday_ticks(world, processes)
    sent = [[int(n) for n in re.findall(r"Lượt này đã gửi (\d+) tin", p.log)] for p in processes]
    assert all(len(s) == 1 for s in sent) and sum(s[0] for s in sent) == world.total, sent
