"""What `nhacviec status` reads: whether the database answers and at which migration, the
last reminder tick, the outbox by status, chats and stored rows counted. Reads only;
keyword-only where it takes a session. The report and its wording are
bot/services/health.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import false, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.engine import make_engine
from bot.db.models import Chat, DueItem, OutboxMessage, Plan, Province, ReminderRun
from bot.domain.kinds import OutboxStatus
from bot.domain.status import Status


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (None for another database or an in-memory one)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


@asynccontextmanager
async def probe_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine without a pool (nothing left open after a check), disposed on exit."""
    from sqlalchemy.pool import NullPool

    engine = make_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        await engine.dispose()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's Alembic revision; raises the driver's error when it does not answer."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def last_reminder_run(session: AsyncSession) -> ReminderRun | None:
    return (
        await session.execute(select(ReminderRun).order_by(ReminderRun.last_run_at.desc()).limit(1))
    ).scalar_one_or_none()


async def outbox_by_status(session: AsyncSession) -> dict[OutboxStatus, int]:
    """Outbox status → number of messages."""
    rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows.all()}


async def inactive_chats(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Chat).where(~Chat.active)) or 0


async def province_ids(session: AsyncSession) -> list[int]:
    """Every province's id, by name."""
    return list(await session.scalars(select(Province.id).order_by(Province.name)))


async def plan_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Plan)) or 0


async def due_item_counts(session: AsyncSession) -> tuple[int, int]:
    """(due items not cancelled, of them not done)."""
    live = DueItem.cancelled == false()
    total = await session.scalar(select(func.count()).select_from(DueItem).where(live)) or 0
    open_ = (
        await session.scalar(select(func.count()).select_from(DueItem).where(live, DueItem.status != Status.DONE))
        or 0
    )
    return total, open_
