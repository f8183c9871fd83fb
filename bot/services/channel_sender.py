"""Deliver one channel's outbox rows (e-mail, Zalo) through its adapter.

One `ChannelSender` per channel and process, each draining on its own (its own task, its
own claims: bot/db/outbox.claim_channel, the same `claim_ids` as Telegram's), so a channel
that is down — an SMTP server that refuses connections, Zalo answering 429 — delays nothing on Telegram or another channel.
The row states and the at-least-once guarantee are the outbox's (bot/db/outbox.py):
`claimed → sending` in its own transaction right before the request, then `sent`, back to
`pending` with a backoff, or `failed`.

What the adapter's `SendResult` leads to:
- SENT: `sent`, with the service's reference (Message-ID, message id).
- RETRY: back to pending after `retry_after` or the backoff (backoff · 2^(attempt-1), at
  most max_backoff). With `channel_down` the whole channel pauses for that delay: the rest
  of the claimed rows are given back untouched (not counted as attempts) and the drain
  ends. After `max_attempts` the row fails and the admins are told.
- UNREACHABLE: the recipient is marked unreachable, its waiting rows fail, the admins are
  told once (outbox.recipient_unreachable).
- REJECTED: the row fails, the admins are told (outbox.recipient_undeliverable).

Pacing: `adapter.pacing.per_second` evenly spaced starts, at most `concurrency` requests at
once, the parts to one address one after the other in order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.channels.base import Attachment, ChannelAdapter, Outcome, Outgoing, SendResult
from bot.db import outbox as outbox_repo
from bot.db.outbox import ChannelRow
from bot.db.retry import in_transaction
from bot.db.session import AsyncSession, async_sessionmaker
from bot.domain.admins import Admins
from bot.logs import log_event
from bot.render import outbox as outbox_texts
from bot.services import outbox

log = logging.getLogger("nhacviec.channels")
T = TypeVar("T")


@dataclass
class ChannelReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    released: int = 0  # claims given back untouched (the channel went down meanwhile)
    lost_claims: int = 0
    down: bool = False  # the drain ended because the channel is down

    def add(self, other: ChannelReport) -> None:
        for name in self.__dataclass_fields__:
            if name != "down":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.down = other.down


def to_outgoing(row: ChannelRow) -> Outgoing:
    return Outgoing(
        outbox_id=row.id, channel=row.channel, address=row.address, body=row.body, subject=row.subject,
        alt_body=row.alt_body, part=row.part, parts=row.parts, recipient_name=row.recipient_name,
        files=tuple(Attachment(f.filename, f.mime_type, f.data, f.content_id) for f in row.files),
    )


class ChannelSender:
    """Drains one channel's outbox rows with its adapter. Safe in several processes."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        adapter: ChannelAdapter,
        clock: Callable[[], datetime],
        admins: Admins = Admins(),
        worker: str | None = None,
        batch: int = 32,
        lease: timedelta = timedelta(seconds=120),
        backoff: float = 5.0,
        max_backoff: float = 900.0,
        max_attempts: int = 30,
    ) -> None:
        from bot.services.sender import worker_name

        self.sessionmaker = sessionmaker
        self.adapter = adapter
        self.channel = adapter.channel
        self.clock = clock
        self.admins = admins
        self.worker = worker or worker_name()
        self.batch = batch
        self.lease = lease
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self._next_start = 0.0
        self._pace_lock = asyncio.Lock()
        self._lock = asyncio.Lock()  # one drain at a time per process and channel
        self.paused_until: datetime | None = None  # the channel is down until then
        self.totals = ChannelReport()

    async def _tx(self, fn: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        return await in_transaction(self.sessionmaker, fn, **kwargs)

    def _event(self, row: ChannelRow, event: str, msg: str, *, level: int = logging.INFO, **fields: Any) -> None:
        log_event(
            log, event, msg, level=level, channel=row.channel, outbox_id=row.id, recipient_id=row.recipient_id,
            agency_id=row.agency_id, kind=row.kind, on_date=row.on_date, part=row.part, parts=row.parts, **fields,
        )

    async def _pace(self) -> None:
        """Evenly spaced starts: per_second overall on this channel."""
        interval = 1.0 / max(self.adapter.pacing.per_second, 0.001)
        async with self._pace_lock:
            now = time.monotonic()
            wait = self._next_start - now
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = max(now, self._next_start) + interval

    async def drain(self, *, keep_going: Callable[[], bool] = lambda: True) -> ChannelReport:
        """Send everything of this channel that is due now; return when nothing is, when the
        channel turns out to be down, or when `keep_going()` turns false."""
        report = ChannelReport()
        async with self._lock:
            if self.paused_until is not None and self.clock() < self.paused_until:
                report.down = True
                return report
            self.paused_until = None
            while keep_going():
                rows = await self._tx(
                    outbox_repo.claim_channel, channel=self.channel, worker=self.worker, now=self.clock(),
                    lease=self.lease, limit=self.batch,
                )
                if not rows:
                    break
                await self._send_batch(rows, report, keep_going)
                if report.down:
                    break
        self.totals.add(report)
        return report

    async def _send_batch(self, rows: list[ChannelRow], report: ChannelReport, keep_going: Callable[[], bool]) -> None:
        by_address: dict[str, list[ChannelRow]] = {}
        for row in rows:
            by_address.setdefault(row.address, []).append(row)
        slots = asyncio.Semaphore(max(1, self.adapter.pacing.concurrency))
        left: list[int] = []

        async def one_address(queue: list[ChannelRow]) -> None:
            async with slots:
                for i, row in enumerate(queue):
                    if report.down or not keep_going():
                        left.extend(r.id for r in queue[i:])
                        return
                    if await self._deliver(row, report) is Outcome.UNREACHABLE:
                        return  # its other rows were failed with it

        await asyncio.gather(*(one_address(q) for q in by_address.values()))
        if left:
            delay = max(((self.paused_until or self.clock()) - self.clock()).total_seconds(), 0.0)
            report.released += await self._tx(
                outbox_repo.release, ids=left, worker=self.worker, until=self.clock() + timedelta(seconds=delay)
            )

    async def _deliver(self, row: ChannelRow, report: ChannelReport) -> Outcome | None:
        """Send one row and record the result; returns the outcome (None: not sent)."""
        if not row.recipient_active:
            await self._tx(outbox_repo.mark_failed, outbox_id=row.id, worker=self.worker, error=outbox_texts.RECIPIENT_INACTIVE)
            report.failed += 1
            return None
        await self._pace()
        if report.down:  # went down while this one waited for its turn
            await self._tx(
                outbox_repo.release, ids=[row.id], worker=self.worker, until=self.paused_until or self.clock()
            )
            report.released += 1
            return None
        if not await self._tx(
            outbox_repo.mark_sending, outbox_id=row.id, worker=self.worker, now=self.clock(), lease=self.lease
        ):
            report.lost_claims += 1
            return None
        attempt = row.attempts + 1
        try:
            result = await self.adapter.send(to_outgoing(row))
        except Exception as exc:  # noqa: BLE001 - an adapter must not raise; if it does: later
            result = SendResult.retry(f"{type(exc).__name__}: {exc}")
        if result.outcome is Outcome.SENT:
            report.sent += 1
            self._event(row, "outbox.sent", outbox_texts.SENT_CHANNEL, ref=result.ref, attempt=attempt)
            if not await self._tx(
                outbox_repo.mark_delivered, outbox_id=row.id, worker=self.worker, now=self.clock(), ref=result.ref
            ):
                self._event(row, "outbox.lost_claim", outbox_texts.LOST_CLAIM_CHANNEL, level=logging.ERROR)
        elif result.outcome is Outcome.RETRY:
            await self._retry(row, result, attempt, report)
        elif result.outcome is Outcome.UNREACHABLE:
            await self._unreachable(row, result.error or "", report)
        else:
            await self._give_up(row, result.error or "", report, reason="rejected", attempt=attempt)
        return result.outcome

    async def _retry(self, row: ChannelRow, result: SendResult, attempt: int, report: ChannelReport) -> None:
        error = result.error or outbox_texts.TEMPORARY_ERROR
        if attempt >= self.max_attempts:
            await self._give_up(row, outbox_texts.gave_up_error(attempt, error), report, reason="gave_up", attempt=attempt)
            return
        delay = result.retry_after
        if delay is None:
            delay = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        until = self.clock() + timedelta(seconds=delay)
        report.retried += 1
        if result.channel_down:
            report.down = True
            self.paused_until = max(self.paused_until or until, until)
        self._event(
            row, "outbox.retry", outbox_texts.retry_event(attempt, delay), level=logging.WARNING,
            error=error, attempt=attempt, delay=delay, channel_down=result.channel_down,
        )
        await self._tx(outbox_repo.defer, outbox_id=row.id, worker=self.worker, until=until, error=error[:1000])

    async def _give_up(self, row: ChannelRow, error: str, report: ChannelReport, *, reason: str, attempt: int) -> None:
        report.failed += 1
        self._event(row, "outbox.failed", outbox_texts.failed_event(error), level=logging.ERROR, reason=reason, error=error, attempt=attempt)

        async def apply(session: AsyncSession) -> None:
            if await outbox_repo.mark_failed(session, outbox_id=row.id, worker=self.worker, error=error[:1000]):
                await outbox.recipient_undeliverable(
                    session, outbox_id=row.id, recipient_id=row.recipient_id, error=error,
                    on_date=row.on_date, now=self.clock(), admins=self.admins,
                )

        await self._tx(apply)

    async def _unreachable(self, row: ChannelRow, error: str, report: ChannelReport) -> None:
        report.failed += 1
        self._event(row, "outbox.failed", outbox_texts.address_unreachable_event(error), level=logging.WARNING, reason="unreachable", error=error)

        async def apply(session: AsyncSession) -> bool:
            await outbox_repo.mark_failed(session, outbox_id=row.id, worker=self.worker, error=error[:1000])
            return await outbox.recipient_unreachable(
                session, recipient_id=row.recipient_id, error=error, on_date=row.on_date, now=self.clock(),
                admins=self.admins,
            )

        if await self._tx(apply):
            report.unreachable += 1
