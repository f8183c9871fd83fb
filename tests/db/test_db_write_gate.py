"""bot.db.retry.begin_write: the write transactions of one process take turns in the order
they asked (SQLite: an asyncio lock in front of SQLite's own, released when the transaction
ends however it ends); PostgreSQL takes no turn at all (rows are locked as used)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Province
from bot.db.retry import begin_write


async def test_writers_take_turns_in_arrival_order_and_a_rollback_ends_a_turn(
    sm: async_sessionmaker[AsyncSession],
) -> None:
    order: list[str] = []
    first_in = asyncio.Event()
    first_may_end = asyncio.Event()

    async def writer(name: str, *, fail: bool = False) -> None:
        async with sm() as s, s.begin():
            await begin_write(s)
            await begin_write(s)  # a second call in the same transaction (the sent ids' part): no wait on itself
            order.append(name)
            s.add(Province(slug=f"p-{name}", name=name, timezone="Asia/Ho_Chi_Minh"))
            await s.flush()
            if name == "first":
                first_in.set()
                await first_may_end.wait()
            if fail:
                raise RuntimeError("the use case failed")

    async def failing(name: str) -> None:
        with pytest.raises(RuntimeError):
            await writer(name, fail=True)

    first = asyncio.create_task(failing("first"))
    await first_in.wait()
    # Three more ask while the first holds the turn, one after the other.
    later = []
    for name in ("second", "third", "fourth"):
        later.append(asyncio.create_task(writer(name)))
        await asyncio.sleep(0.05)
    sqlite = sm.kw["bind"].dialect.name == "sqlite"
    if sqlite:
        assert order == ["first"] and not any(t.done() for t in later)  # they wait for the first
    first_may_end.set()  # it rolls back: that ends its turn too
    await asyncio.wait_for(asyncio.gather(first, *later), 30)
    async with sm() as s:
        slugs = set(await s.scalars(select(Province.slug)))
        count = await s.scalar(select(func.count()).select_from(Province))
    assert {"p-second", "p-third", "p-fourth"} <= slugs and "p-first" not in slugs and count == len(slugs)
    if sqlite:
        assert order == ["first", "second", "third", "fourth"]  # first come, first served
