"""Deliver the outbox to Telegram: paced just under the flood limits, concurrent, retried,
at least once, never lost (see bot/db/outbox.py for the row states and the duplicate
bound after a crash).

Pacing. `Pacer` keeps Telegram's limits as sliding windows (≈30 messages/s per bot, 20 per
minute into one group, ~1/s into one private chat) and the sender waits for a slot *before*
it marks a row `sending`: the time a row spends in flight is then one HTTP round trip, not a
queue wait. The slot is taken only once PTB's AIORateLimiter has no post-429 hold pending
(waiting for the hold after taking slots would send the queued messages together when it
ends: a burst, and more 429s). The limiter stays underneath as a safety net for everything
else the bot sends. Sends run concurrently (`concurrency`), one at a time per chat so the
parts of a long reminder arrive in order.

Errors (PTB exceptions). Only an answer from Telegram that proves the message can never
go stops a row; everything else is retried:
- RetryAfter (429): the row waits `retry_after` (int or timedelta, both handled) and the
  chat is held back; not an attempt that can fail the row.
- ChatMigrated: the chat's id is updated everywhere and the row is sent again to the new id.
- Forbidden, BadRequest "chat not found" and the like: the chat is marked inactive, its
  rows fail with the reason, admins are told once (bot/services/outbox.chat_unreachable).
- Other BadRequest (a rendering bug): failed, with Telegram's message kept; admins told.
- Everything else — 5xx with a JSON or an HTML body (a gateway's 502/504 page), timeouts
  (also after the request left: it may have arrived, it is sent again), dropped
  connections, an error answer that is not Telegram's JSON, an unexpected exception: retried
  with exponential backoff; after `max_attempts` failed, admins told.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)

from bot.channels.telegram import UNREACHABLE_BAD_REQUESTS as UNREACHABLE_BAD_REQUESTS
from bot.channels.telegram import retry_seconds as retry_seconds
from bot.channels.telegram import telegram_answered as telegram_answered
from bot.db import outbox as outbox_repo
from bot.db.outbox import Claimed

# The error rules are the Telegram channel adapter's (one place for both), re-exported.
from bot.db.retry import in_transaction
from bot.db.session import AsyncSession, async_sessionmaker
from bot.domain.admins import Admins
from bot.domain.channels import Channel
from bot.domain.kinds import OutboxKind
from bot.logs import log_event
from bot.render import outbox as outbox_texts
from bot.services import outbox

log = logging.getLogger("nhacviec.sender")
T = TypeVar("T")

# An edit whose message is still on its way waits this long before it is looked at again.
EDIT_WAIT = 2.0



def _button(label: str, data: str) -> InlineKeyboardButton:
    """A stored button: an http(s) address opens a page (the console), anything else is callback_data."""
    if data.startswith(("https://", "http://")):
        return InlineKeyboardButton(label, url=data)
    return InlineKeyboardButton(label, callback_data=data)


def worker_name() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


class Slot:
    """One message counted by the Pacer; `release()` when its request has come back."""

    __slots__ = ("_pacer", "_released")

    def __init__(self, pacer: Pacer) -> None:
        self._pacer = pacer
        self._released = False

    def release(self) -> None:
        """The answer (or the error) is back: Telegram has received it by now, if ever."""
        if not self._released:
            self._released = True
            self._pacer._finished()


class Pacer:
    """Telegram's flood limits as sliding windows; one instance per process and bot.

    The overall limit counts a message from the moment its slot is taken until one window
    after its request came back (`Slot.release`): Telegram received it somewhere in between,
    so however late a busy machine puts the request on the wire, no second of Telegram's
    holds more than `per_second - spare` of ours. (Counting from the slot alone, as before,
    let a stalled event loop put more than 30 into one of Telegram's seconds: 429s.)
    `spare` leaves one message per second for the bot's replies; `margin` widens the
    per-chat windows.
    """

    def __init__(
        self,
        *,
        per_second: int = 30,
        group_per_minute: int = 20,
        private_per_second: float = 1.0,
        spare: int = 1,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_limit = max(1, per_second - spare)
        self.global_window = 1.0
        self.group_limit = group_per_minute
        self.group_window = 60.0 + margin
        self.private_window = 1.0 / private_per_second + margin
        # Evenly spaced rather than in bursts: the same rate, but only a round trip's worth of
        # messages is ever in flight (what a crash can double), and no burst for
        # Telegram's own window to count differently from ours.
        self.min_interval = self.global_window / self.global_limit
        self.clock = clock
        self._next_slot = float("-inf")
        self._sent: deque[float] = deque()  # when slots were taken
        self._in_flight = 0  # slots taken, request not back yet
        self._done: deque[float] = deque()  # when requests came back (in that order)
        self._per_chat: dict[int, deque[float]] = {}
        self._held: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._freed = asyncio.Event()

    def _finished(self) -> None:
        self._in_flight -= 1
        self._done.append(self.clock())
        self._freed.set()

    def _chat_limits(self, chat_id: int) -> tuple[int, float]:
        return (self.group_limit, self.group_window) if chat_id < 0 else (1, self.private_window)

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until `chat_id` may receive another message (0: now)."""
        now = self.clock()
        wait = self._held.get(chat_id, 0.0) - now
        sent = self._per_chat.get(chat_id)
        if sent:
            limit, window = self._chat_limits(chat_id)
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= limit:
                wait = max(wait, sent[0] + window - now)
            if not sent:
                del self._per_chat[chat_id]
        return max(0.0, wait)

    async def acquire(self, chat_id: int) -> Slot:
        """Wait for a slot under the overall limit, then count one message to `chat_id`."""
        async with self._lock:
            while True:
                now = self.clock()
                while self._sent and self._sent[0] <= now - self.global_window:
                    self._sent.popleft()
                while self._done and self._done[0] <= now - self.global_window:
                    self._done.popleft()
                # Slots on a fixed timeline (last slot + interval), so the sleep's own lateness
                # does not add up into a lower rate; the window checks still cap any catch-up.
                wait = max(self._paused_until - now, self._next_slot - now)
                if len(self._sent) >= self.global_limit:
                    wait = max(wait, self._sent[0] + self.global_window - now)
                if self._in_flight + len(self._done) >= self.global_limit:
                    if not self._done:  # all in flight: wait for one to come back
                        self._freed.clear()
                        await self._freed.wait()
                        continue
                    wait = max(wait, self._done[0] + self.global_window - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            # A busy machine oversleeps: slots missed by less than a window are caught up
            # (the window checks above cap the catch-up), else every late wake-up would be
            # lost for good and the rate would fall with the load. Idle longer: from now.
            late = now - self._next_slot
            base = self._next_slot if late < self.global_window else now
            self._next_slot = base + self.min_interval
            self._sent.append(now)
            self._in_flight += 1
            self._per_chat.setdefault(chat_id, deque()).append(now)
            return Slot(self)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`."""
        self._held[chat_id] = max(self._held.get(chat_id, 0.0), self.clock() + seconds)

    def pause(self, seconds: float) -> None:
        """Back off for everyone (a 429 may be the overall limit)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)


class _GroupCommit:
    """Runs the state changes that concurrent sends ask for at about the same time in one
    transaction (each caller still waits for its own result, so nothing is reported done
    before it is committed). Two writes per message, one writer at a time on SQLite: on a
    busy machine the separate commits, not Telegram, limited the rate."""

    def __init__(self, tx: Callable[..., Awaitable[Any]]) -> None:
        self._tx = tx
        self._pending: list[tuple[Callable[..., Awaitable[Any]], dict[str, Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def run(self, fn: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, kwargs, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outbox-commit")
        return await future  # type: ignore[no-any-return]

    async def _flush(self) -> None:
        while self._pending:
            # In id order: concurrent transactions then lock rows in one order (no deadlock).
            batch = sorted(self._pending, key=lambda entry: entry[1].get("outbox_id", 0))
            self._pending = []

            async def apply(session: AsyncSession, batch: list[Any] = batch) -> list[Any]:
                return [await fn(session, **kwargs) for fn, kwargs, _ in batch]

            try:
                results = await self._tx(apply)
            except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the error
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (*_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)

    def cancel(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()


class _SlotHolder:
    """Where a send task keeps its pacing slot, so that its done-callback can free it."""

    __slots__ = ("slot",)

    def __init__(self) -> None:
        self.slot: Slot | None = None


@dataclass
class DrainReport:
    sent: int = 0
    retry_after: int = 0  # 429s received
    retried: int = 0  # not delivered (for sure), to be tried again (5xx, timeouts, resets)
    migrated: int = 0
    failed: int = 0
    unreachable: int = 0  # chats found gone (marked inactive)
    lost_claims: int = 0  # rows another sender had taken over

    def add(self, other: DrainReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class OutboxSender:
    """Drains the outbox with one Bot. Safe to run in several processes at once."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Callable[[], datetime],
        admins: Admins = Admins(),
        pacer: Pacer | None = None,
        concurrency: int = 8,
        batch: int = 64,
        lease: timedelta = timedelta(seconds=20),
        heartbeat: float = 5.0,
        backoff: float = 2.0,
        max_backoff: float = 300.0,
        max_attempts: int = 20,
        hold_max: float = 2.0,
        worker: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bot = bot
        self.clock = clock
        self.admins = admins
        self.pacer = pacer or Pacer()
        # In flight at once: what a crash can double. 8 keeps 29 msg/s up to a ~270 ms round trip.
        self.concurrency = concurrency
        self.batch = batch
        self.lease = lease
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self.hold_max = hold_max
        self.worker = worker or worker_name()
        self._commit = _GroupCommit(self._tx)

    async def _tx(self, fn: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        """One short transaction; a lock conflict is waited out and retried, not fatal."""
        return await in_transaction(self.sessionmaker, fn, **kwargs)

    async def expire_leases(self) -> tuple[int, int]:
        released, resent = await self._tx(outbox_repo.expire_leases, now=self.clock(), error=outbox.LEASE_LOST)
        if resent:
            log_event(
                log, "outbox.leases_expired",
                f"{resent} tin bị bỏ dở khi đang gửi (tiến trình gửi đã dừng): gửi lại",
                level=logging.WARNING, resent=resent, released=released,
            )
        return released, resent

    async def _heartbeat(self) -> None:
        """While draining: keep this sender's leases alive and free a dead sender's rows."""
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                await self._tx(outbox_repo.renew_leases, worker=self.worker, until=self.clock() + self.lease)
                await self.expire_leases()
            except Exception:
                log.warning("Không gia hạn được giữ chỗ hàng đợi", exc_info=True)

    async def drain(
        self, *, keep_going: Callable[[], bool] = lambda: True, wait_for_deferred: float = 0.0
    ) -> DrainReport:
        """Send everything that is due; return when nothing is (or `keep_going()` turns false).

        Rows deferred (429, backoff) for at most `wait_for_deferred` seconds are waited for.
        When `keep_going()` turns false (SIGTERM), the messages in flight are finished and
        the claims not started are given back. Cancelling the task behaves like a crash
        (nothing more is written): the rows it held are resent once their lease expires.
        """
        report = DrainReport()
        idle_budget = [wait_for_deferred]  # seconds this drain may still spend waiting for deferred rows
        queue: deque[Claimed] = deque()
        busy: set[int] = set()
        inflight: set[asyncio.Task[None]] = set()
        await self.expire_leases()
        beat = asyncio.create_task(self._heartbeat(), name="outbox-heartbeat")
        try:
            while True:
                if keep_going() and len(queue) < self.batch // 2:
                    queue.extend(
                        await self._tx(
                            outbox_repo.claim_telegram, worker=self.worker, now=self.clock(),
                            lease=self.lease, limit=self.batch - len(queue),
                        )
                    )
                if not keep_going():
                    await self._release([row.id for row in queue], delay=0.0)
                    queue.clear()
                    break
                if not queue and not inflight:
                    if await self._wait_for_deferred(idle_budget, keep_going):
                        continue
                    break
                dispatched = await self._dispatch(queue, busy, inflight, report, keep_going)
                if not dispatched:
                    waits = [self.pacer.chat_wait(row.address) for row in queue if row.address not in busy]
                    timeout = min(waits, default=None)
                    if inflight:
                        await asyncio.wait(inflight, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                    elif timeout:
                        await asyncio.sleep(min(timeout, self.hold_max))
            if inflight:
                await asyncio.wait(inflight)
        except asyncio.CancelledError:
            for task in inflight:
                task.cancel()
            self._commit.cancel()
            raise
        finally:
            beat.cancel()
        return report

    async def _dispatch(
        self, queue: deque[Claimed], busy: set[int], inflight: set[asyncio.Task[None]], report: DrainReport,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Start sends for the queued rows that may go now; False if none could."""
        started = False
        for row in list(queue):
            if not keep_going():
                break
            if row.address in busy:
                continue  # parts of one chat go one after the other, in order
            if row.kind is OutboxKind.EDIT and row.edit_message_id is None:
                queue.remove(row)
                if row.edit_waiting:  # the message to rewrite is not sent yet
                    await self._release([row.id], delay=EDIT_WAIT)
                else:  # it never will be: nothing to rewrite
                    await self._tx(
                        outbox_repo.mark_failed, outbox_id=row.id, worker=self.worker, error=outbox_texts.EDIT_TARGET_LOST
                    )
                    self._event(row, "outbox.failed", outbox_texts.EDIT_TARGET_LOST, reason="edit_target_lost")
                    report.failed += 1
                continue
            if row.chat_id is not None and not row.chat_active:
                queue.remove(row)
                await self._tx(outbox_repo.mark_failed, outbox_id=row.id, worker=self.worker, error=outbox_texts.CHAT_INACTIVE)
                self._event(row, "outbox.failed", outbox_texts.inactive_chat_event(), level=logging.WARNING, reason="inactive")
                report.failed += 1
                continue
            wait = self.pacer.chat_wait(row.address)
            if wait > self.hold_max:
                # Long wait (group limit, 429): give the row back rather than sit on the claim;
                # later parts of the same chat follow it (they see the same wait).
                queue.remove(row)
                await self._release([row.id], delay=wait)
                continue
            if wait > 0:
                continue
            while len(inflight) >= self.concurrency:
                await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
            queue.remove(row)
            busy.add(row.address)
            holder = _SlotHolder()
            task = asyncio.create_task(self._deliver(row, report, holder), name=f"outbox-{row.id}")
            inflight.add(task)

            def _done(t: asyncio.Task[None], address: int = row.address, holder: _SlotHolder = holder) -> None:
                if holder.slot is not None:
                    holder.slot.release()  # no-op unless the task was cancelled mid-request
                inflight.discard(t)
                busy.discard(address)
                if not t.cancelled() and t.exception() is not None:
                    log_event(log, "outbox.crashed", "Lỗi trong lượt gửi tin", level=logging.ERROR, exc_info=t.exception())

            task.add_done_callback(_done)
            started = True
        return started

    async def _release(self, ids: list[int], *, delay: float) -> None:
        if ids:
            until = self.clock() + timedelta(seconds=delay)
            await self._tx(outbox_repo.release, ids=ids, worker=self.worker, until=until)

    async def _wait_for_deferred(self, budget: list[float], keep_going: Callable[[], bool]) -> bool:
        """Sleep until the next deferred row is due, if that fits the remaining budget."""
        if budget[0] <= 0:
            return False
        due = await self._tx(outbox_repo.next_attempt_at, channel=Channel.TELEGRAM)
        if due is None:
            return False
        delay = max((due - self.clock()).total_seconds(), 0.05)
        if delay > budget[0]:
            return False
        budget[0] -= delay  # real seconds: a stopped test clock cannot make this loop forever
        end = time.monotonic() + delay
        while keep_going() and time.monotonic() < end:
            await asyncio.sleep(min(0.2, end - time.monotonic()))
        return keep_going()

    def _markup(self, row: Claimed) -> InlineKeyboardMarkup | None:
        if not row.buttons:
            return None
        return InlineKeyboardMarkup([[_button(label, data) for label, data in line] for line in row.buttons])

    async def _limiter_ready(self) -> None:
        """PTB's AIORateLimiter holds *every* request for a while after a 429 it retries
        itself; wait for that before taking a pacing slot."""
        event = getattr(getattr(self.bot, "rate_limiter", None), "_retry_after_event", None)
        if isinstance(event, asyncio.Event) and not event.is_set():
            await event.wait()

    async def _deliver(self, row: Claimed, report: DrainReport, holder: _SlotHolder) -> None:
        # `sending` first, then the pacing slot: the database write is not counted against
        # Telegram's window (on a busy machine it took most of it). At most `concurrency`
        # rows are `sending` at once, which is the duplicate bound after a crash.
        if not await self._commit.run(
            outbox_repo.mark_sending, outbox_id=row.id, worker=self.worker, now=self.clock(), lease=self.lease
        ):
            report.lost_claims += 1
            return
        attempts = row.attempts + 1
        # The limiter's post-429 hold first, then the pacing slot: a slot taken before the
        # hold would be spent after it, with all the others, in one burst.
        await self._limiter_ready()
        slot = holder.slot = await self.pacer.acquire(row.address)
        try:
            try:
                if row.kind is OutboxKind.EDIT:
                    assert row.edit_message_id is not None
                    await self.bot.edit_message_text(
                        chat_id=row.address,
                        message_id=row.edit_message_id,
                        text=row.body,
                        parse_mode=ParseMode.HTML,
                        reply_markup=self._markup(row),
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                    message_id, sent_to = row.edit_message_id, row.address
                elif row.attachment is not None:
                    message = await self.bot.send_document(
                        chat_id=row.address,
                        document=InputFile(row.attachment, filename=row.attachment_name or "tep.xlsx"),
                        caption=row.body,
                        parse_mode=ParseMode.HTML,
                        reply_markup=self._markup(row),
                    )
                else:
                    message = await self.bot.send_message(
                        chat_id=row.address,
                        text=row.body,
                        parse_mode=ParseMode.HTML,
                        reply_markup=self._markup(row),
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                        # An answer to a message (an extension's outcome to the request): sent
                        # all the same if that message is gone.
                        reply_parameters=ReplyParameters(row.reply_to_message_id, allow_sending_without_reply=True)
                        if row.reply_to_message_id is not None
                        else None,
                    )
                if row.kind is not OutboxKind.EDIT:
                    message_id, sent_to = message.message_id, message.chat.id
            finally:
                slot.release()
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            self.pacer.hold(row.address, seconds)
            self.pacer.pause(min(seconds, 1.0))
            report.retry_after += 1
            self._event(
                row, "outbox.retry_after", outbox_texts.retry_after_event(seconds),
                level=logging.WARNING, retry_after=seconds, attempt=attempts,
            )
            await self._tx(
                outbox_repo.defer, outbox_id=row.id, worker=self.worker,
                until=self.clock() + timedelta(seconds=seconds), error=f"429: {exc}",
            )
        except ChatMigrated as exc:
            report.migrated += 1
            outcome = await self._tx(
                outbox.readdress, outbox_id=row.id, worker=self.worker, chat_id=row.chat_id,
                new_tg_chat_id=int(exc.new_chat_id), now=self.clock(),
            )
            self._event(
                row, "chat.migrated", outbox_texts.chat_migrated_event(row.address, exc.new_chat_id, outcome),
                new_chat_id=int(exc.new_chat_id), outcome=outcome,
            )
        except (Forbidden, BadRequest) as exc:
            if not telegram_answered(exc):  # a gateway's page with a 4xx status: not Telegram's word
                await self._retry_later(row, attempts, exc, report)
            elif row.kind is OutboxKind.EDIT and isinstance(exc, BadRequest) and not any(
                text in exc.message.lower() for text in UNREACHABLE_BAD_REQUESTS
            ):
                await self._edit_refused(row, exc, report)
            elif isinstance(exc, Forbidden) or any(text in exc.message.lower() for text in UNREACHABLE_BAD_REQUESTS):
                await self._unreachable(row, exc, report)
            else:
                await self._give_up(row, exc.message, report, reason="bad_request", attempt=attempts)
        except Exception as exc:  # noqa: BLE001 - 5xx, timeouts, resets, anything else: may go later
            await self._retry_later(row, attempts, exc, report)
        else:
            await self._sent(row, report, message_id=message_id, tg_chat_id=sent_to, attempt=attempts)

    async def _sent(self, row: Claimed, report: DrainReport, *, message_id: int, tg_chat_id: int, attempt: int) -> None:
        report.sent += 1
        done = outbox_texts.EDITED if row.kind is OutboxKind.EDIT else outbox_texts.sent_part_event(row.part + 1, row.parts)
        self._event(row, "outbox.sent", done, message_id=message_id, attempt=attempt)
        if not await self._commit.run(
            outbox_repo.mark_sent, outbox_id=row.id, worker=self.worker, now=self.clock(),
            message_id=message_id, tg_chat_id=tg_chat_id,
        ):
            self._event(row, "outbox.lost_claim", outbox_texts.LOST_CLAIM, level=logging.ERROR, message_id=message_id)

    async def _edit_refused(self, row: Claimed, exc: BadRequest, report: DrainReport) -> None:
        """Telegram refused an edit: "not modified" means the message already says it (done);
        anything else (deleted, too old to edit) is final, but only a courtesy was lost: the
        row fails and is logged, the admins are not told."""
        assert row.edit_message_id is not None
        if "not modified" in exc.message.lower():
            await self._sent(row, report, message_id=row.edit_message_id, tg_chat_id=row.address, attempt=row.attempts + 1)
            return
        report.failed += 1
        error = outbox_texts.edit_refused_error(exc.message)
        self._event(row, "outbox.failed", error, level=logging.WARNING, reason="edit_refused", error=exc.message)
        await self._tx(outbox_repo.mark_failed, outbox_id=row.id, worker=self.worker, error=error[:1000])

    def _event(self, row: Claimed, event: str, msg: str, *, level: int = logging.INFO, **fields: Any) -> None:
        """An outbox event with the row's ids (bot/logs.py); chat_id is the Telegram chat."""
        log_event(
            log, event, msg, level=level, outbox_id=row.id, chat_id=row.address, agency_id=row.agency_id,
            kind=row.kind, on_date=row.on_date, part=row.part, parts=row.parts, due_item_ids=row.due_item_ids,
            **fields,
        )

    async def _retry_later(self, row: Claimed, attempts: int, exc: Exception, report: DrainReport) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if attempts >= self.max_attempts:
            await self._give_up(row, outbox_texts.gave_up_error(attempts, error), report, reason="gave_up", attempt=attempts)
            return
        report.retried += 1
        delay = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
        self._event(
            row, "outbox.retry", outbox_texts.retry_event(attempts, delay), level=logging.WARNING,
            error=error, attempt=attempts, delay=delay,
        )
        await self._tx(
            outbox_repo.defer, outbox_id=row.id, worker=self.worker,
            until=self.clock() + timedelta(seconds=delay), error=error,
        )

    async def _give_up(self, row: Claimed, error: str, report: DrainReport, *, reason: str, attempt: int) -> None:
        """The row can never be delivered: failed, and the province's admins are told."""
        report.failed += 1
        self._event(
            row, "outbox.failed", outbox_texts.failed_event(error), level=logging.ERROR,
            reason=reason, error=error, attempt=attempt,
        )

        async def apply(session: AsyncSession) -> None:
            if await outbox_repo.mark_failed(session, outbox_id=row.id, worker=self.worker, error=error[:1000]):
                await outbox.row_undeliverable(
                    session, outbox_id=row.id, error=error, on_date=row.on_date, now=self.clock(), admins=self.admins
                )

        await self._tx(apply)

    async def _unreachable(self, row: Claimed, exc: TelegramError, report: DrainReport) -> None:
        message = exc.message if hasattr(exc, "message") else str(exc)
        report.failed += 1
        self._event(
            row, "outbox.failed", outbox_texts.unreachable_event(message), level=logging.WARNING,
            reason="unreachable", error=message,
        )

        async def apply(session: AsyncSession) -> bool:
            await outbox_repo.mark_failed(session, outbox_id=row.id, worker=self.worker, error=f"{message}")
            if row.chat_id is None:
                return False  # an admin's private chat: nothing to deactivate
            return await outbox.chat_unreachable(
                session, chat_id=row.chat_id, error=message, on_date=row.on_date,
                now=self.clock(), admins=self.admins,
            )

        if await self._tx(apply):
            report.unreachable += 1
