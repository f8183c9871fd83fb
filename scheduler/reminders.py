"""The reminder engine's ticks. The database is the source of truth; the scheduler only ticks.

Three jobs on PTB's JobQueue (APScheduler 3), each carrying nothing but its name and
reloading everything from the database when it fires:

- `reminders:daily` — every day at REMINDER_TIME in the province's time zone: if it is a
  working day, queue the day's reminders (idempotent) and start the sender. Misfires are
  tolerated for hours (APScheduler's default grace is one second).
- `reminders:outbox` — every OUTBOX_INTERVAL seconds: start the sender if it is not
  running (it sends whatever is due: new rows, 429 waits that ended, retries). It also
  queues today's reminders if the time has passed and no tick has completed today (a
  daily tick that failed, e.g. the database was down, is retried this way).
- `reminders:catch-up` — once at start-up: rows left by a process that died are put back
  to pending once their lease (20 s, renewed by a live sender's heartbeat) ran out, and if the bot was down at the
  reminder time today's reminders are queued now — once, like any tick.

The sender runs as an `Application.create_task` task: stopping the application waits for
the messages in flight and hands unsent claims back (nothing is left half-done).
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot

from bot.context import BotApp, Context
from bot.db import reminders as reminders_repo
from bot.db.retry import in_transaction
from bot.db.session import AsyncSession, async_sessionmaker
from bot.domain.admins import Admins
from bot.domain.calendar import WorkCalendar
from bot.domain.reminders import ReminderPolicy
from bot.logs import log_event
from bot.services.calendar import effective_calendar
from bot.services.links import AgencyLinks
from bot.services.reminders import (
    TickReport,
    calendar_from_settings,
    enqueue_reminders,
    policy_from_settings,
)
from bot.services.sender import DrainReport, OutboxSender, Pacer
from scheduler.jobs import stoppable

log = logging.getLogger("nhacviec.reminders")

DAILY_JOB = "reminders:daily"
OUTBOX_JOB = "reminders:outbox"
CATCH_UP_JOB = "reminders:catch-up"
DAILY_MISFIRE_GRACE = 6 * 3600  # seconds; the catch-up covers a process that was down

_engines: weakref.WeakKeyDictionary[Any, ReminderEngine] = weakref.WeakKeyDictionary()


class ReminderEngine:
    """Ticks and the sender for one process. Holds no reminder state besides the pacing windows."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        reminder_time: time,
        calendar: WorkCalendar,
        policy: ReminderPolicy,
        admins: Admins = Admins(),
        pacer: Pacer | None = None,
        sender_options: dict[str, Any] | None = None,
        console_url: str | None = None,
        links: AgencyLinks | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.tz = tz
        self.reminder_time = reminder_time.replace(tzinfo=None)
        self.calendar = self.base_calendar = calendar
        self._calendar_read: datetime | None = None
        self.policy = policy
        self.admins = admins
        self.pacer = pacer or Pacer()
        self.sender_options = dict(sender_options or {})
        self.console_url = console_url  # public console address: a long reminder's "see all" button
        self.links = links  # console links in e-mailed reminders (None: no console/token)
        self._sender: OutboxSender | None = None
        self._drain_task: asyncio.Task[DrainReport] | None = None
        self._again = False
        # One drain at a time per process: the pacer's per-chat windows and the order of a
        # long reminder's parts hold within one drain (claims alone keep processes apart).
        self._drain_lock = asyncio.Lock()
        # "Tick if no tick completed today" must not run twice at once (the start-up catch-up
        # and the first outbox job would both see no tick yet, and both tick).
        self._tick_lock = asyncio.Lock()
        self._job_task: asyncio.Task[None] | None = None
        self._caught_up = False  # the start-up catch-up ticks; the outbox job waits for it
        self.last_tick: TickReport | None = None
        self.totals = DrainReport()

    @classmethod
    def from_settings(cls, settings: Any, *, sessionmaker: async_sessionmaker[AsyncSession], clock: Callable[[], datetime], **kwargs: Any) -> ReminderEngine:
        return cls(
            sessionmaker=sessionmaker,
            clock=clock,
            tz=settings.tz,
            reminder_time=settings.reminder_time,
            calendar=kwargs.pop("calendar", None) or calendar_from_settings(settings),
            policy=kwargs.pop("policy", None) or policy_from_settings(settings),
            admins=settings.admins,
            # Only a public address set on purpose: Telegram's clients cannot open 127.0.0.1.
            console_url=kwargs.pop("console_url", None)
            or (settings.web_url if settings.web_base_url and settings.web_port else None),
            links=kwargs.pop("links", None) or AgencyLinks.from_settings(settings),
            **kwargs,
        )

    # --- time --------------------------------------------------------------------------

    def local_now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def today(self) -> date:
        return self.local_now().date()

    async def refresh_calendar(self) -> None:
        """Lay the admins' days off / make-up days (database) over the base calendar, at
        most once a minute: `reminders_due_now` is asked every few seconds."""
        now = self.clock()
        if self._calendar_read is not None and timedelta(0) <= now - self._calendar_read < timedelta(minutes=1):
            return
        async with self.sessionmaker() as session:
            self.calendar = await effective_calendar(session, self.base_calendar)
        self._calendar_read = now

    def reminders_due_now(self) -> bool:
        """A working day, and the reminder time has passed."""
        now = self.local_now()
        return self.calendar.is_working_day(now.date()) and now.time() >= self.reminder_time

    # --- ticking -----------------------------------------------------------------------

    async def tick(self, on_date: date | None = None) -> TickReport:
        """Queue a day's reminders (default: today). Safe to repeat and to race."""
        on_date = on_date or self.today()
        report = await in_transaction(
            self.sessionmaker, enqueue_reminders, on_date=on_date, calendar=self.calendar, policy=self.policy,
            now=self.clock(), console_url=self.console_url, links=self.links, admins=self.admins,
        )
        self.last_tick = report
        log_event(
            log, "reminder.tick", f"Nhắc việc {report.summary}",
            on_date=on_date, working_day=report.working_day, items=report.items, agencies=report.agencies,
            chats=report.chats, queued=report.queued, already=report.already, escalated=report.escalated,
            office=report.office, nudges=report.nudges,
            no_chat=len(report.unreachable),
        )
        return report

    async def ticked(self, on_date: date) -> bool:
        async with self.sessionmaker() as session:
            return await reminders_repo.ticked(session, on_date=on_date)

    # --- sending -----------------------------------------------------------------------

    def sender(self, bot: Bot) -> OutboxSender:
        if self._sender is None or self._sender.bot is not bot:
            self._sender = OutboxSender(
                sessionmaker=self.sessionmaker, bot=bot, clock=self.clock, admins=self.admins,
                pacer=self.pacer, **self.sender_options,
            )
        return self._sender

    async def drain(self, bot: Bot, *, keep_going: Callable[[], bool] = lambda: True, wait_for_deferred: float = 0.0) -> DrainReport:
        async with self._drain_lock:
            report = await self.sender(bot).drain(keep_going=keep_going, wait_for_deferred=wait_for_deferred)
        self.totals.add(report)
        return report

    def kick(self, app: BotApp) -> asyncio.Task[DrainReport] | None:
        """Start the sender unless it is running (then make it look again when done)."""
        if not app.running:
            return None
        from scheduler.channels import kick_all

        kick_all(app)  # the other channels' senders, each on its own
        if self._drain_task is not None and not self._drain_task.done():
            self._again = True
            return self._drain_task
        self._drain_task = app.create_task(self._drain_loop(app), name="reminders:sender")
        return self._drain_task

    async def _drain_loop(self, app: BotApp) -> DrainReport:
        total = DrainReport()
        while True:
            self._again = False
            total.add(await self.drain(app.bot, keep_going=lambda: app.running))
            if not (self._again and app.running):
                return total

    async def idle(self) -> None:
        """Wait for the running sender to finish (tests and the CLI)."""
        task = self._drain_task
        if task is not None:
            await asyncio.wait([task])

    # --- job callbacks (carry nothing; everything is reloaded) ----------------------------

    async def daily_job(self, context: Context) -> None:
        """The daily reminder tick (on a day off it only records that it ran)."""
        async with self._tick_lock:
            await self.tick()
        self.kick(context.application)

    async def outbox_job(self, context: Context) -> None:
        """Send what is due; tick today if the time has passed and no tick completed.

        Returns at once: the work runs as a task of the application, so the job never
        overruns its interval (APScheduler would log "maximum number of running instances
        reached" at every interval while the database is slow); a fire while the previous
        check still runs is skipped quietly.
        """
        if not context.application.running or (self._job_task is not None and not self._job_task.done()):
            return
        self._job_task = context.application.create_task(self._outbox_check(context.application), name=OUTBOX_JOB)

    async def _outbox_check(self, app: BotApp) -> None:
        if not self._caught_up:
            return  # the catch-up job has yet to run: it ticks (once) and starts the sender
        async with self._tick_lock:
            await self.refresh_calendar()
            if self.reminders_due_now() and not await self.ticked(self.today()):
                log_event(
                    log, "reminder.catch_up",
                    f"Chưa có lượt nhắc việc hôm nay sau {self.reminder_time.strftime('%H:%M')}: chạy bù",
                    level=logging.WARNING, on_date=self.today(),
                )
                await self.tick()
        self.kick(app)

    async def catch_up_job(self, context: Context) -> None:
        """At start-up: clean up after a dead process, and send today's reminders if missed."""
        async with self._tick_lock:
            try:
                await self.sender(context.bot).expire_leases()
                await self.refresh_calendar()
                if self.reminders_due_now():
                    await self.tick()
            finally:
                self._caught_up = True  # even if it failed: the outbox job then retries the tick
        self.kick(context.application)


def install(app: BotApp, engine: ReminderEngine, *, outbox_interval: float = 5.0, catch_up_after: float = 0.2) -> ReminderEngine:
    """Schedule the engine's three jobs on the application's JobQueue."""
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("the reminder engine needs PTB's JobQueue (python-telegram-bot[job-queue])")
    # PTB 22 warns when code reads RetryAfter.retry_after as an int; take the timedelta API.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    queue.run_daily(
        stoppable(engine.daily_job),
        time=engine.reminder_time.replace(tzinfo=engine.tz),
        name=DAILY_JOB,
        job_kwargs={"id": DAILY_JOB, "replace_existing": True, "misfire_grace_time": DAILY_MISFIRE_GRACE, "coalesce": True},
    )
    queue.run_repeating(
        stoppable(engine.outbox_job),
        interval=outbox_interval,
        first=outbox_interval,
        name=OUTBOX_JOB,
        job_kwargs={"id": OUTBOX_JOB, "replace_existing": True, "max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
    )
    queue.run_once(
        stoppable(engine.catch_up_job),
        when=catch_up_after,
        name=CATCH_UP_JOB,
        job_kwargs={"id": CATCH_UP_JOB, "replace_existing": True, "misfire_grace_time": 3600},
    )
    _engines[app] = engine
    return engine


def engine_for(app: Any) -> ReminderEngine | None:
    """The engine installed on an application (tests, diagnostics)."""
    return _engines.get(app)

