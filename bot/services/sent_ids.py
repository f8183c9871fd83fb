"""The ids of the messages a status reply sent, stored without a transaction of their own.

Telegram gives a message its id only when it is sent, and a reply to the bot's confirmation
(or prompt, or task card) finds its items by that id (`status.remember_sent`). The change
itself is committed BEFORE the confirmation is sent — a confirmation must never announce what
a rollback then undid, and a send (rate-limited per group) must never hold the database's
write lock. So the ids are known only after the reply's transaction; storing them in a second
write transaction per reply doubled the writes (SQLite has one writer) and was what saturated
replies at 6–7 per second.

Here the ids are queued in memory and written INSIDE the next status transaction to begin
(`_run` in handlers/status.py: whichever chat it serves), or after `delay` seconds by a
transaction of their own when no reply comes (an idle bot; one transaction for all that
queued meanwhile). Under load every reply is then one write transaction, which also carries
the bookkeeping of the replies delivered just before it.

Why a later update still finds its items (read-your-writes):
- updates of one chat are processed one after the other (PerChatUpdateProcessor), so a chat's
  entries are queued before its next update's transaction begins;
- that transaction, once it holds the write lock (`open_env`), takes the whole queue and
  writes it before reading anything; entries another transaction took before it are waited
  for (`_earlier`) until that transaction has committed (or rolled back: the entries go back
  to the queue and are taken again). Only batches taken earlier are waited for, and the wait
  comes before this transaction's own writes, so no two transactions wait on each other (on
  SQLite the earlier one has committed anyway before the write lock could be had).

Trade-off: the ids live in memory for up to `delay` seconds after the confirmation is sent.
A crash in that window loses the mapping of those messages (a reply to them is then treated
like a reply to an unknown bot message); the status change itself is committed. The old
second transaction had the same window between the send and its commit, only shorter.
A graceful stop writes what is queued (`aclose`). Another process (a second bot in webhook
mode) sees the ids once written, i.e. within `delay`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.db.retry import DBAPIError, begin_write, lock_conflict
from bot.db.session import AsyncSession, async_sessionmaker
from bot.services import status as svc

log = logging.getLogger("nhacviec.sent_ids")


@dataclass
class _Entry:
    result: svc.Result
    sent: list[svc.Sent]
    now: datetime
    chats: set[int]


@dataclass
class Batch:
    """Entries one transaction took; `done` is set once that transaction has ended."""

    entries: list[_Entry]
    chats: set[int] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    failed: bool = False


class SentIds:
    """The queue of delivered messages whose ids are still to be stored (one per process)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, delay: float = 0.2) -> None:
        self.sessionmaker = sessionmaker
        self.delay = delay
        self._queue: list[_Entry] = []
        self._in_flight: list[Batch] = []  # taken, their transaction not ended yet; oldest first
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False  # after a graceful stop nothing is armed again (the engine is gone)
        self.written = 0  # entries committed, by whichever transaction (for the benchmark)
        self.own_transactions = 0  # transactions opened only for this bookkeeping

    def add(self, result: svc.Result, sent: Sequence[svc.Sent], *, now: datetime) -> list[str]:
        """Queue what a delivery needs stored; returns the follow-up lines for the acting chat."""
        if svc.needs_remembering(result, sent):
            self._queue.append(_Entry(result, list(sent), now, svc.chats_touched(result, sent)))
            self._arm()
        return svc.follow_ups(result, sent)

    async def write_pending(self, session: AsyncSession, *, chat_id: int | None) -> Batch | None:
        """In the caller's transaction (write lock held): store every queued entry, after the
        batches other transactions took for `chat_id` have ended. Call `settle` when the
        transaction has ended."""
        mine: list[_Entry] = []
        batch = Batch(mine)
        try:
            while True:
                taken, self._queue = self._queue, []
                mine.extend(taken)
                for entry in taken:
                    batch.chats |= entry.chats
                if mine and batch not in self._in_flight:
                    self._in_flight.append(batch)
                earlier = self._earlier(batch, chat_id)
                if not earlier:
                    break
                for other in earlier:
                    await other.done.wait()
                # A batch whose transaction failed put its entries back in the queue: take them.
            for entry in mine:
                await svc.remember_sent(session, entry.result, entry.sent, now=entry.now)
        except BaseException:
            self.settle(batch, committed=False)
            raise
        return batch if mine else None

    def settle(self, batch: Batch | None, *, committed: bool) -> None:
        """The transaction that took `batch` has ended."""
        if batch is None or batch.done.is_set():
            return
        if batch in self._in_flight:
            self._in_flight.remove(batch)
        if committed:
            self.written += len(batch.entries)
        else:
            batch.failed = True
            self._queue[:0] = batch.entries
            self._arm()
        batch.done.set()

    async def flush(self) -> None:
        """Store what is queued in a transaction of its own (nothing else came to carry it)."""
        while self._queue:
            batch: Batch | None = None
            self.own_transactions += 1
            try:
                async with self.sessionmaker() as session, session.begin():
                    await begin_write(session)
                    batch = await self.write_pending(session, chat_id=None)
            except Exception as exc:
                self.settle(batch, committed=False)  # back in the queue: the timer tries again
                if isinstance(exc, DBAPIError) and lock_conflict(exc):
                    log.info("Chưa lưu được mã tin nhắn đã gửi (cơ sở dữ liệu đang bận); thử lại sau")
                else:
                    log.warning("Không lưu được mã tin nhắn đã gửi; thử lại sau", exc_info=True)
                return
            self.settle(batch, committed=True)

    async def aclose(self) -> None:
        """A graceful stop: write what is queued, once. What cannot be written then is logged
        and not retried: the timer is not armed again after the stop."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self.flush()

    def _earlier(self, batch: Batch, chat_id: int | None) -> list[Batch]:
        if chat_id is None:
            return []
        index = self._in_flight.index(batch) if batch in self._in_flight else len(self._in_flight)
        return [b for b in self._in_flight[:index] if chat_id in b.chats and not b.done.is_set()]

    def _arm(self) -> None:
        if self._timer is None and not self._closed:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if not self._queue:
            return
        if self._flushing is not None and not self._flushing.done():
            self._arm()
            return
        self._flushing = asyncio.create_task(self.flush(), name="sent-ids-flush")
