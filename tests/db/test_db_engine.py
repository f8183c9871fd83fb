"""URL normalisation, SQLite connection settings, running migrations from a live event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    _server_settings,
    alembic_config,
    current_revision_async,
    head_revision,
    make_engine,
    normalize_url,
    upgrade_database,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p%40ss@db.example:5432/nv", "postgresql+asyncpg://u:p%40ss@db.example:5432/nv"),
        ("postgresql://u@h/nv", "postgresql+asyncpg://u@h/nv"),
        ("postgresql://u@h/nv?sslmode=require", "postgresql+asyncpg://u@h/nv?ssl=require"),
        ("postgresql+asyncpg://u@h/nv", "postgresql+asyncpg://u@h/nv"),
        ("sqlite:///nhacviec.db", "sqlite+aiosqlite:///nhacviec.db"),
        ("sqlite:////var/lib/nv/x.db", "sqlite+aiosqlite:////var/lib/nv/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_postgres_options_become_server_settings() -> None:
    assert _server_settings("-csearch_path=nv -c statement_timeout=5000") == {
        "search_path": "nv",
        "statement_timeout": "5000",
    }
    with pytest.raises(ValueError):
        _server_settings("-x")


def test_alembic_config_keeps_percent_in_password() -> None:
    cfg = alembic_config("postgres://u:p%25w@h/nv")
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql+asyncpg://u:p%25w@h/nv"
    assert Path(cfg.get_main_option("script_location") or "").joinpath("env.py").is_file()


async def test_sqlite_runs_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == SQLITE_BUSY_TIMEOUT_MS
    finally:
        await engine.dispose()


async def test_in_memory_sqlite_keeps_its_data_across_connections() -> None:
    engine = make_engine("sqlite://")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT x FROM t"))).scalar() == 1
    finally:
        await engine.dispose()


def test_upgrade_database_from_plain_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade_database(url)  # as the CLI calls it: no event loop running
    assert asyncio.run(current_revision_async(url)) == head_revision()


async def test_sync_upgrade_inside_a_running_loop(tmp_path: Path) -> None:
    # e.g. called from the bot's start-up: runs on a worker thread instead of failing.
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade_database(url)
    assert await current_revision_async(url) == head_revision()


async def test_sqlite_writer_waits_for_another_process_instead_of_failing(tmp_path: Path) -> None:
    # The CLI importing while the bot writes: the second writer queues (busy timeout),
    # and readers are never blocked (WAL).
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    bot, cli = make_engine(url), make_engine(url)
    try:
        async with bot.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        holding = asyncio.Event()

        async def long_write() -> None:
            async with bot.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (1)"))
                holding.set()
                await asyncio.sleep(0.3)

        async def second_write() -> None:
            await holding.wait()
            async with cli.connect() as reader:
                assert (await reader.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            async with cli.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (2)"))

        await asyncio.gather(long_write(), second_write())
        async with cli.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2
    finally:
        await bot.dispose()
        await cli.dispose()
