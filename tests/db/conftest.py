"""Database fixtures: every test runs on SQLite and on PostgreSQL.

PostgreSQL: TEST_POSTGRES_URL or postgres@127.0.0.1:5432/test. Each test gets its
own schema (via libpq-style `options=-csearch_path=…` in the URL), dropped at the
end, so runs never see each other's rows and leave nothing behind. The PostgreSQL
cases are skipped only when the server does not answer at all — and never when
TEST_REQUIRE_POSTGRES=1 (CI), where a missing server fails the run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import make_engine, make_sessionmaker, normalize_url, upgrade_database_async

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("TEST_REQUIRE_POSTGRES", "") not in ("", "0", "false", "no")

_pg_state: dict[str, bool] = {}


def _asyncpg_kwargs(url: str) -> dict[str, object]:
    u = make_url(normalize_url(url))
    return {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username,
        "password": u.password,
        "database": u.database,
    }


async def _pg_answers() -> bool:
    if "answers" not in _pg_state:
        try:
            conn = await asyncpg.connect(**_asyncpg_kwargs(PG_URL), timeout=3)
        except (OSError, asyncio.TimeoutError):
            _pg_state["answers"] = False  # nothing listening
        else:
            await conn.close()
            _pg_state["answers"] = True
        # Any other error (bad password, missing database) propagates: a real failure.
    return _pg_state["answers"]


async def _pg_exec(sql: str) -> None:
    conn = await asyncpg.connect(**_asyncpg_kwargs(PG_URL), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database; the URL in the short form users write (normalised by the code)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nhacviec.db'}"
        return
    if not REQUIRE_PG and not await _pg_answers():
        pytest.skip(f"PostgreSQL does not answer at {make_url(PG_URL).render_as_string()}")
    schema = f"nv_test_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        await _pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the database migrated to head."""
    await upgrade_database_async(db_url)
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sm(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)
