"""The senders of the channels other than Telegram (e-mail, Zalo), on PTB's JobQueue.

One job per channel, `channels:<name>`, every OUTBOX_INTERVAL seconds: start that channel's
drain as an application task unless it is running. Each channel drains on its own (its own
task, claims and pacing): e-mail being down delays neither Telegram nor Zalo. The reminder
tick kicks them too (`kick_all`), so a reminder goes out by every channel at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import Any

from bot.channels.base import ChannelAdapter
from bot.context import BotApp, Context
from bot.services.channel_sender import ChannelReport, ChannelSender
from scheduler.jobs import stoppable

log = logging.getLogger("nhacviec.channels")

_installed: weakref.WeakKeyDictionary[Any, ChannelSenders] = weakref.WeakKeyDictionary()


class ChannelSenders:
    """The channel senders of one process."""

    def __init__(self, senders: Sequence[ChannelSender]) -> None:
        self.senders = {s.channel: s for s in senders}
        self._tasks: dict[str, asyncio.Task[ChannelReport]] = {}

    def kick(self, app: BotApp) -> list[asyncio.Task[ChannelReport]]:
        """Start each channel's drain that is not running."""
        started: list[asyncio.Task[ChannelReport]] = []
        if not app.running:
            return started
        for channel, sender in self.senders.items():
            task = self._tasks.get(channel)
            if task is None or task.done():
                self._tasks[channel] = app.create_task(
                    sender.drain(keep_going=lambda: app.running), name=f"channels:{channel}"
                )
                started.append(self._tasks[channel])
        return started

    async def drain_all(self) -> dict[str, ChannelReport]:
        """Drain every channel now, concurrently (tests and the CLI)."""
        reports = await asyncio.gather(*(s.drain() for s in self.senders.values()))
        return dict(zip(self.senders, reports, strict=True))

    async def idle(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks)

    async def aclose(self) -> None:
        for sender in self.senders.values():
            try:
                await sender.adapter.aclose()
            except Exception:  # noqa: BLE001 - shutting down
                log.warning("Không đóng được kênh %s", sender.channel, exc_info=True)


def install(
    app: BotApp,
    adapters: Sequence[ChannelAdapter],
    *,
    interval: float = 5.0,
) -> ChannelSenders:
    """A sender per adapter and its repeating job; the senders are kept for `senders_for`."""
    services = app.bot_data
    senders = ChannelSenders(
        [
            ChannelSender(sessionmaker=services.sessionmaker, adapter=a, clock=services.clock, admins=services.settings.admins)
            for a in adapters
        ]
    )
    _installed[app] = senders
    if not adapters:
        return senders
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("the channel senders need PTB's JobQueue")

    async def job(context: Context) -> None:
        """Start the channels' drains that are not running."""
        senders.kick(context.application)

    queue.run_repeating(
        stoppable(job), interval=interval, first=interval, name="channels:outbox",
        job_kwargs={"id": "channels:outbox", "replace_existing": True, "max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
    )
    return senders


def senders_for(app: Any) -> ChannelSenders | None:
    return _installed.get(app)


def kick_all(app: Any) -> None:
    senders = _installed.get(app)
    if senders is not None:
        senders.kick(app)
