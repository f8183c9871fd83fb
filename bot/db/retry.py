"""One short write transaction, run again when the database reports a lock conflict.

SQLite has one writer: a transaction that cannot get the lock within the busy timeout fails
with "database is locked"; PostgreSQL picks a deadlock victim. Either way the transaction
was rolled back whole, so running it again from the start is safe. Every job that writes
concurrently with others (the reminder tick, the outbox senders) goes through this one
helper instead of its own loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, event, false, update
from sqlalchemy.exc import DBAPIError as DBAPIError  # re-exported: services test for it without importing SQLAlchemy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bot.db.engine import SQLITE_BUSY_TIMEOUT_MS
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

    Within one process the turns are handed out by an asyncio lock per engine (first come,
    first served), held until the transaction ends: SQLite's own wait for a busy database is
    a sleep of up to 100 ms between tries, so under a steady stream of replies a waiting
    transaction slept through the lock's release again and again (seconds at 20 replies/s on
    a busy machine; a newcomer could take the lock before those already waiting). Other
    processes (the CLI, another bot instance) still meet at SQLite's lock, as before.
    """
    if session.get_bind().dialect.name == "sqlite":
        if _GATE in session.info:
            return  # this transaction took the lock already (the sent ids' part of a reply)
        await _enter_gate(session)
        await session.execute(
            update(StatusPrompt).where(false()).values(state=StatusPrompt.state).execution_options(synchronize_session=False)
        )


# --- the in-process write gate (SQLite) -------------------------------------------------------

_GATE = "nhacviec.write_gate"  # session.info key: the lock the session's transaction holds
_gates: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _gate_for(session: AsyncSession) -> asyncio.Lock:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    loop = asyncio.get_running_loop()
    entry = _gates.get(engine)
    if entry is None or entry[0] is not loop:  # an asyncio lock serves one event loop
        entry = (loop, asyncio.Lock())
        _gates[engine] = entry
    return entry[1]


async def _enter_gate(session: AsyncSession) -> None:
    """Wait for this process's turn to write (released when the transaction ends). Not
    taken within SQLite's busy timeout (a transaction left open elsewhere, or one waiting on
    itself through a second session): go on to SQLite's lock, which then fails as before."""
    lock = _gate_for(session)
    try:
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await lock.acquire()
    except TimeoutError:
        return
    session.info[_GATE] = lock


@event.listens_for(Session, "after_transaction_end")
def _leave_gate(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and (lock := session.info.pop(_GATE, None)) is not None:
        lock.release()
