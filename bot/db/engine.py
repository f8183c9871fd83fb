"""Engines, sessions and migrations.

Callers own the transaction: `async with sessionmaker() as s, s.begin(): ...`;
repositories only flush.

SQLite runs in WAL mode with a busy timeout so the CLI can import a plan while the
bot runs; writers still queue one at a time (fine for this load).
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 15_000
DB_DIR = Path(__file__).resolve().parent


def normalize_url(url: str) -> str:
    """The async-driver form of a database URL.

    `postgres://` and `postgresql://` (as hosting providers hand them out) become
    `postgresql+asyncpg://`, with libpq's `sslmode=` renamed to asyncpg's `ssl=`;
    `sqlite:///x.db` becomes `sqlite+aiosqlite:///x.db`. Explicit drivers are kept.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query.setdefault("ssl", query.pop("sslmode"))
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=False)


def _server_settings(options: str) -> dict[str, str]:
    """libpq's `options=-c key=value ...` as asyncpg `server_settings`."""
    settings: dict[str, str] = {}
    tokens = shlex.split(options)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "-c" and i + 1 < len(tokens):
            i += 1
            token = tokens[i]
        elif token.startswith("-c"):
            token = token[2:]
        elif token.startswith("--"):
            token = token[2:]
        key, sep, value = token.partition("=")
        if not sep:
            raise ValueError(f"unsupported PostgreSQL option {tokens[i]!r} (use -c name=value)")
        settings[key.replace("-", "_")] = value
        i += 1
    return settings


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # Vietnamese stays readable in the database


def make_engine(url: str, *, sqlite_mmap: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL (see `normalize_url`).

    `sqlite_mmap=False`: SQLite reads with read() into its default 2 MB cache instead of a
    memory map and a 64 MB cache — for a short-lived process whose peak memory is measured
    (the digest worker: the pages of a mapped file count in its resident size).

    A PostgreSQL URL may carry `options=-csearch_path%3Dschema` as libpq does;
    asyncpg gets it as `server_settings`.
    """
    parsed = make_url(normalize_url(url))
    kwargs.setdefault("json_serializer", _dumps)
    if parsed.get_backend_name() == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        # No JIT: the province-wide figures (a few hundred ms of work over 100,000 items) are
        # costed high enough to trigger it, and compiling took a second more than running.
        settings = {"jit": "off", **dict(connect_args.get("server_settings", {}))}
        if "options" in parsed.query:
            query = dict(parsed.query)
            settings.update(_server_settings(str(query.pop("options"))))
            parsed = parsed.set(query=query)
        connect_args["server_settings"] = settings
        kwargs["connect_args"] = connect_args
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_pre_ping", True)  # the bot outlives server restarts
        return create_async_engine(parsed, **kwargs)

    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if in_memory and "poolclass" not in kwargs:
        kwargs["poolclass"] = StaticPool  # every new connection would be a new empty database
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _install_sqlite_pragmas(engine, wal=not in_memory, mmap=sqlite_mmap)
    return engine


SQLITE_MMAP_BYTES = 256 * 1024 * 1024
SQLITE_CACHE_KIB = 64 * 1024


def _install_sqlite_pragmas(engine: AsyncEngine, *, wal: bool, mmap: bool = True) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if wal and mmap:
            # Pages read through a memory map and a 64 MB page cache, not a read() system call
            # per page from a 2 MB cache: the console's province-wide figures read every item.
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# --- migrations ------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration from the files shipped inside the package.

    `url` (any form `normalize_url` accepts) becomes `sqlalchemy.url`, which
    migrations/env.py reads; without it env.py falls back to the app settings.
    """
    from alembic.config import Config

    cfg = Config(str(DB_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(DB_DIR / "migrations"))
    if url is not None:
        # ConfigParser interpolation: a '%' in a password must be doubled.
        cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    # The app owns logging; only the `alembic` command line applies the ini's logging.
    cfg.attributes["configure_logger"] = False
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision_async(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.pool import NullPool

    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
            )
    finally:
        await engine.dispose()


async def upgrade_database_async(url: str, revision: str = "head") -> None:
    """Run the migrations up to `revision`, from inside a running event loop.

    Alembic is synchronous: it runs on the async connection through `run_sync`
    (migrations/env.py uses the connection handed over in `config.attributes`).
    """
    from alembic import command

    await _run_alembic(url, command.upgrade, revision)


async def downgrade_database_async(url: str, revision: str) -> None:
    """Undo migrations down to `revision` ("base": an empty database)."""
    from alembic import command

    await _run_alembic(url, command.downgrade, revision)


async def _run_alembic(url: str, fn: Callable[..., Any], *args: Any) -> None:
    from sqlalchemy.pool import NullPool

    cfg = alembic_config(url)
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_with_connection, cfg, fn, *args)
    finally:
        await engine.dispose()


def _with_connection(
    connection: Connection, cfg: Config, fn: Callable[..., Any], *args: Any
) -> None:
    cfg.attributes["connection"] = connection
    fn(cfg, *args)


def upgrade_database(url: str, revision: str = "head") -> None:
    """Synchronous `upgrade_database_async` for the CLI.

    Called from a thread that already runs an event loop, it runs the migrations
    on a private loop in a worker thread (blocking the caller until done); prefer
    `await upgrade_database_async(url)` there.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(upgrade_database_async(url, revision))
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alembic") as pool:
        pool.submit(asyncio.run, upgrade_database_async(url, revision)).result()
