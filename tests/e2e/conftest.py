"""Fixtures for end-to-end tests against the fake Telegram Bot API (tests/fakebot)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `tests` is not an installed package
    sys.path.insert(0, str(_ROOT))

from telegram.ext import ApplicationBuilder  # noqa: E402

from tests.fakebot import FakeBotApi, application_builder  # noqa: E402
from tests.timing import Clock  # noqa: E402


@pytest.fixture
async def fake_bot_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeBotApi]:
    """A started FakeBotApi (defaults: no rate limits, strict HTML, privacy mode on)."""
    # httpx honours HTTP(S)_PROXY; never send the fake server's traffic through a proxy.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def ptb_builder(fake_bot_api: FakeBotApi) -> Callable[[], ApplicationBuilder]:
    """Factory of ApplicationBuilder wired to ``fake_bot_api``; add handlers, then ``.build()``.

    Run the built app with ``tests.fakebot.running_application(app)``.
    """
    return lambda: application_builder(fake_bot_api)


class _ErrorLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def no_error_logs() -> Iterator[_ErrorLogs]:
    """Fail the test if PTB, asyncio or aiohttp log a warning or error (e.g. a polling error,
    an unhandled handler exception, a task destroyed while pending)."""
    handler = _ErrorLogs()
    loggers = [logging.getLogger(n) for n in ("telegram", "asyncio", "aiohttp")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    problems = [f"{r.name}: {r.getMessage()}" for r in handler.records]
    assert not problems, "unexpected log records:\n" + "\n".join(problems)


# --- the bot itself against the fake server (tests/e2e/test_bot_*.py) ---------------------
# The REAL Application from bot.app.build_application, polling the fake server, on SQLite
# and on PostgreSQL (per-test schema, skipped only when PostgreSQL does not answer — never
# with TEST_REQUIRE_POSTGRES=1), seeded by importing a sample plan with the real parser.

import asyncio  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from tests.fakebot import SentMessage  # noqa: E402

E2E_PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
E2E_REQUIRE_PG = os.environ.get("TEST_REQUIRE_POSTGRES", "") not in ("", "0", "false", "no")
SAMPLE_PLAN = _ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
# Monday 23/06/2025, 09:00 in Vietnam: the DESIGN.md examples' "today".
BOT_NOW = datetime(2025, 6, 23, 2, 0, tzinfo=UTC)

ADMIN, ADMIN2 = 500_001, 500_002
FOCAL, OTHER_FOCAL, LEADER, STRANGER = 600_001, 600_002, 600_003, 600_004
SENTINEL = 600_099  # a private chat used only to know when earlier updates are handled
STP_GROUP = -4_100_000_001  # basic groups (negative, not -100…)
SNV_GROUP = -4_100_000_002
KHCN_GROUP = -4_100_000_003
LEADERS_GROUP = -4_100_000_004
NEW_GROUP = -4_100_000_005

_e2e_pg: dict[str, bool] = {}


async def _e2e_pg_answers() -> bool:
    import asyncpg

    if "answers" not in _e2e_pg:
        u = make_url(E2E_PG_URL)
        try:
            conn = await asyncpg.connect(
                host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                password=u.password, database=u.database, timeout=3,
            )
        except (OSError, asyncio.TimeoutError):
            _e2e_pg["answers"] = False
        else:
            await conn.close()
            _e2e_pg["answers"] = True
    return _e2e_pg["answers"]


async def _e2e_pg_exec(sql: str) -> None:
    import asyncpg

    u = make_url(E2E_PG_URL)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
        password=u.password, database=u.database, timeout=10,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def bot_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database for the bot, SQLite or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    if not E2E_REQUIRE_PG and not await _e2e_pg_answers():
        pytest.skip("PostgreSQL does not answer")
    schema = f"nv_e2e_{uuid.uuid4().hex[:12]}"
    await _e2e_pg_exec(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_url(E2E_PG_URL).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        ).render_as_string(hide_password=False)
    finally:
        await _drop_e2e_schema(schema)


async def _drop_e2e_schema(schema: str) -> None:
    """Drop a test's schema. A connection the test's bot left behind may still be writing
    (a background flush finishing after the test): PostgreSQL then picks the DROP as a
    deadlock victim, so it is tried again once that writer is done."""
    import asyncpg

    for attempt in range(5):
        try:
            await _e2e_pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            return
        except asyncpg.exceptions.DeadlockDetectedError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.5)


@pytest.fixture
async def bot_sm(bot_db_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The bot's database migrated to the newest revision, and a sessionmaker on it (for the
    tests that start the Application themselves; `bot_world` starts its own)."""
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async

    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await upgrade_database_async(bot_db_url)
    engine = make_engine(bot_db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves (tests.e2e.timing.Clock), started at BOT_NOW."""
    return Clock(BOT_NOW)


_draft_cache: dict[str, object] = {}
_sqlite_templates: dict[bool, Path] = {}  # seeded or not → a migrated SQLite file to copy


def sample_draft(catalog: object) -> object:
    """The Phú Thọ sample plan through the real reader and parser (parsed once per run)."""
    from bot.services.plans import read_and_parse

    if "draft" not in _draft_cache:
        _draft_cache["draft"] = read_and_parse(
            SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, catalog=catalog, province=None,  # type: ignore[arg-type]
            max_bytes=20 * 1024 * 1024,
        )
    return _draft_cache["draft"]


@dataclass
class BotWorld:
    """The fake Telegram world, the running bot and its database."""

    server: FakeBotApi
    app: object  # telegram.ext.Application
    sm: async_sessionmaker[AsyncSession]

    async def send(self, chat_id: int, user_id: int, text: str, *, expect: int = 1, timeout: float = 5.0) -> list[SentMessage]:
        """A user writes `text`; returns every message the bot sent into the chat for it
        (at least `expect`), once the update has been handled completely."""
        before = len(self.server.messages_in(chat_id))
        self.server.send_text(chat_id, user_id, text)
        await self.server.wait_for_sent(chat_id, before + expect, timeout=timeout)
        await self.settle()
        return self.server.messages_in(chat_id)[before:]

    async def settle(self) -> None:
        """Wait until every update sent so far has been handled by all handler groups.

        Updates of different chats run concurrently (bot.app.PerChatUpdateProcessor), so a
        later answer in another chat proves nothing: once every update is fetched and
        confirmed (the server is idle), PTB's update queue is joined — it counts an update
        done only after every handler group has run.
        """
        before = len(self.server.messages_in(SENTINEL))
        self.server.send_text(SENTINEL, SENTINEL, "/help")
        await self.server.wait_for_sent(SENTINEL, before + 1)
        await self.server.wait_until_idle()
        await asyncio.wait_for(self.app.update_queue.join(), 10)  # type: ignore[attr-defined]

    async def press(
        self, chat_id: int, user_id: int, message: SentMessage | int, data: str, *, strict: bool = True
    ) -> str:
        """A user presses a button (on a message or message id); waits for the bot's answer."""
        message_id = message if isinstance(message, int) else message.message_id
        query_id = self.server.press_button(chat_id, user_id, message_id, data, strict=strict)
        await self.server.wait_for(
            lambda: self.server.answer_for(query_id), message=f"callback {data!r} never answered"
        )
        return query_id

    def buttons(self, chat_id: int) -> tuple[int, list[str]]:
        """The bot's latest message in the chat that currently shows buttons: (id, data)."""
        for sent in reversed(self.server.messages_in(chat_id)):
            current = self.server.message(chat_id, sent.message_id) or {}
            data = [
                b["callback_data"]
                for row in current.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
                if "callback_data" in b
            ]
            if data:
                return sent.message_id, data
        raise AssertionError(f"no message with buttons in {chat_id}")

    def text(self, chat_id: int, message_id: int) -> str:
        current = self.server.message(chat_id, message_id)
        assert current is not None
        return current.get("text", "")

    async def bind(self, tg_chat_id: int, code: str | None = None, *, leaders: bool = False) -> None:
        """Bind a chat directly in the database (setup for tests about something else)."""
        from bot.db import agencies as agencies_repo
        from bot.services import chats

        async with self.sm() as s, s.begin():
            province = await agencies_repo.get_province(s, slug="phu-tho")
            assert province is not None
            title = self.server.chat(tg_chat_id).title
            if leaders:
                await chats.bind_leaders(
                    s, province=province, tg_chat_id=tg_chat_id, title=title, by_tg_id=ADMIN, now=BOT_NOW
                )
                return
            agency = await agencies_repo.get_agency_by_code(s, province_id=province.id, code=code or "")
            assert agency is not None, code
            await chats.bind_agency(
                s, agency=agency, tg_chat_id=tg_chat_id, title=title, by_tg_id=ADMIN, now=BOT_NOW
            )

    async def agency_id(self, code: str) -> int:
        from bot.db import agencies as agencies_repo

        async with self.sm() as s:
            province = await agencies_repo.get_province(s, slug="phu-tho")
            assert province is not None
            agency = await agencies_repo.get_agency_by_code(s, province_id=province.id, code=code)
            assert agency is not None, code
            return agency.id

    async def task_ids(self, code: str, role: str | None = "lead") -> set[int]:
        """Ids of the tasks an agency leads (role "lead"), supports, or either (None)."""
        from sqlalchemy import select

        from bot.db.models import Agency, TaskAgency

        async with self.sm() as s:
            query = select(TaskAgency.task_id).join(Agency, TaskAgency.agency_id == Agency.id).where(
                Agency.code == code
            )
            if role is not None:
                query = query.where(TaskAgency.role == role)
            return set(await s.scalars(query))

    async def let_retries_come_due(self) -> None:
        """The bot's clock stands still in these tests: make the outbox's pending rows due now
        (as if their backoff had passed) and wake the senders."""
        from sqlalchemy import update

        from bot.db.models import OutboxMessage
        from bot.domain.kinds import OutboxStatus

        async with self.sm() as s, s.begin():
            await s.execute(update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING).values(
                next_attempt_at=BOT_NOW))
        self.app.bot_data.wake_senders()  # type: ignore[attr-defined]

    async def chat_row(self, tg_chat_id: int) -> object:
        from bot.db import chats as chats_repo

        async with self.sm() as s:
            return await chats_repo.get_chat(s, tg_chat_id=tg_chat_id)


@pytest.fixture
def sample_plan(bot_db_url: str) -> tuple[object, object]:
    """(catalog, the Phú Thọ sample plan's draft), read and parsed once per run."""
    from bot.catalog import Catalog
    from bot.config import load_settings

    catalog = Catalog(load_settings(database_url=bot_db_url).data_dir)
    return catalog, sample_draft(catalog)


@pytest.fixture
def bot_settings_overrides() -> dict[str, object]:
    """Extra settings for the bot; override with @pytest.mark.parametrize("bot_settings_overrides", [...])."""
    return {}


@pytest.fixture
def bot_seed() -> bool:
    """Import the Phú Thọ sample plan before the bot starts (parametrize to False: empty DB)."""
    return True


@pytest.fixture
async def bot_world(
    fake_bot_api: FakeBotApi,
    bot_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    bot_settings_overrides: dict[str, object],
    bot_seed: bool,
) -> AsyncIterator[BotWorld]:
    """The real bot, polling the fake server, with the Phú Thọ sample plan imported."""
    from bot.app import build_application
    from bot.catalog import Catalog
    from bot.config import load_settings
    from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
    from bot.services.plans import store_draft

    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    server = fake_bot_api
    for user_id, name in (
        (ADMIN, "Quản trị"), (ADMIN2, "Quản trị 2"), (FOCAL, "Đầu mối STP"),
        (OTHER_FOCAL, "Đầu mối SNV"), (LEADER, "Lãnh đạo"), (STRANGER, "Người lạ"),
        (SENTINEL, "Người kiểm tra"),
    ):
        server.add_user(user_id, name)
    server.add_chat(STP_GROUP, title="Sở Tư pháp — nhắc việc", members=[FOCAL, ADMIN])
    server.add_chat(SNV_GROUP, title="Sở Nội vụ <CCHC> & nhắc việc", members=[OTHER_FOCAL, ADMIN])
    server.add_chat(KHCN_GROUP, title="Sở KH&CN", members=[ADMIN])
    server.add_chat(LEADERS_GROUP, title="Lãnh đạo tỉnh", members=[LEADER, ADMIN])

    # Reminders and digests are the scheduler's business (their own tests): with the daily
    # reminder time far from the fixed clock's 09:00 and digests off, the start-up catch-up
    # sends nothing into these chats.
    values: dict[str, object] = {
        "province": "phu-tho", "reminder_time": "23:00", "digest_enabled": False, "admin_ids": f"{ADMIN},{ADMIN2}",
    }
    values.update(bot_settings_overrides)
    settings = load_settings(
        telegram_bot_token=server.token, telegram_api_url=server.url, database_url=bot_db_url, **values
    )
    catalog = Catalog(settings.data_dir)
    sqlite_file = Path(make_url(bot_db_url).database or "") if bot_db_url.startswith("sqlite") else None
    template = _sqlite_templates.get(bot_seed)
    if sqlite_file is not None and template is not None:
        shutil.copyfile(template, sqlite_file)  # the same seeded database, without re-importing
    else:
        await upgrade_database_async(bot_db_url)
        if bot_seed:
            seed_engine = make_engine(bot_db_url)
            try:
                async with make_sessionmaker(seed_engine)() as session, session.begin():
                    await store_draft(
                        session, draft=sample_draft(catalog), catalog=catalog,  # type: ignore[arg-type]
                        timezone=settings.timezone, actor="test",
                    )
            finally:
                await seed_engine.dispose()  # SQLite: checkpoints the WAL into the file
        if sqlite_file is not None:
            copy = sqlite_file.with_name(f"template-{bot_seed}-{uuid.uuid4().hex}.db")
            shutil.copyfile(sqlite_file, copy)
            _sqlite_templates[bot_seed] = copy
    engine = make_engine(bot_db_url)
    sm = make_sessionmaker(engine)

    app = build_application(settings, sessionmaker=sm, catalog=catalog, clock=lambda: BOT_NOW)
    # The flood throttle's clock: 10 s pass between updates, so only the flood test (which
    # stops this clock) is ever throttled, however fast the machine runs the scenario.
    app.bot_data.monotonic = itertools.count(0.0, 10.0).__next__
    try:
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)  # what run_polling does between initialize and start
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield BotWorld(server, app, sm)
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
    finally:
        await engine.dispose()
