"""One short write transaction, run again when the database reports a lock conflict.

SQLite has one writer: a transaction that cannot get the lock within the busy timeout fails
with "database is locked"; PostgreSQL picks a deadlock victim. Either way the transaction
was rolled back whole, so running it again from the start is safe. Every job that writes
concurrently with others (the reminder tick, the outbox senders) goes through this one
helper instead of its own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import false, update
from sqlalchemy.exc import DBAPIError as DBAPIError  # re-exported: services test for it without importing SQLAlchemy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import StatusPrompt

T = TypeVar("T")

ATTEMPTS = 8
BACKOFF = 0.05  # seconds before the 2nd attempt, doubled each time (≈ 6.4 s in all)


def lock_conflict(exc: DBAPIError) -> bool:
    """SQLite's "database is locked" or PostgreSQL's deadlock victim."""
    text = str(exc).lower()
    return "locked" in text or "deadlock" in text


async def in_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    fn: Callable[..., Awaitable[T]],
    /,
    *,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
    **kwargs: Any,
) -> T:
    """`await fn(session, **kwargs)` in its own transaction, committed; a lock conflict is
    waited out (exponential backoff) and the whole transaction run again."""
    for attempt in range(attempts):
        try:
            async with sessionmaker() as session, session.begin():
                return await fn(session, **kwargs)
        except DBAPIError as exc:
            if not lock_conflict(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


async def begin_write(session: AsyncSession) -> None:
    """Take SQLite's write lock as the transaction's first statement.

    In WAL mode a transaction that has read and then writes after another connection
    committed fails at once ("database is locked", busy_timeout does not apply); the
    reminder sender writes concurrently with the handlers. A no-op UPDATE first makes the
    transaction wait its turn instead. PostgreSQL needs nothing (rows are locked as used).
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(StatusPrompt).where(false()).values(state=StatusPrompt.state).execution_options(synchronize_session=False)
        )
