"""The leaders' weekly digest and monthly report, on schedule (PTB JobQueue).

Jobs carry nothing but their name and reload everything when they fire:

- `digests:daily` — every day at DIGEST_TIME (province time): send what is due now
  (bot.domain.digest.scheduled_digests: the weekly digest on DIGEST_WEEKDAY, the monthly
  report on the first working day of the month).
- `digests:check` — every few minutes: the same, so a send that failed for a reason that
  passes (429, network) is retried, and a digest whose time came while the bot was down
  is still sent that day or the next;
- `digests:catch-up` — once at start-up, the same.

Once per period: each leaders' chat gets a `digest_runs` row per (kind, as-of date); a
process must claim it (pending → sending) before sending, so repeating ticks and racing
processes send nothing twice. Parts (texts, chart, workbook, report) go one by one and
`parts_sent` follows them: a retry resumes after the last part that arrived. A part whose
fate is unknown (timeout after the request left) counts as sent — a digest missing one
part is better than one with a part twice.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.context import BotApp, Context
from bot.db import chats as chats_repo
from bot.db.session import AsyncSession, async_sessionmaker
from bot.domain.calendar import WorkCalendar
from bot.domain.digest import DigestKind, DigestPeriod, scheduled_digests
from bot.domain.kinds import DigestRunStatus
from bot.logs import log_event
from bot.render import digest as digest_texts
from bot.render import outbox as outbox_texts
from bot.services import digests as service
from bot.services import mailings, outbox
from bot.services.calendar import effective_calendar
from bot.services.chats import configured_provinces
from bot.services.digest_worker import digest_parts
from bot.services.reminders import calendar_from_settings
from bot.services.sender import UNREACHABLE_BAD_REQUESTS, telegram_answered, worker_name
from scheduler.jobs import stoppable

log = logging.getLogger("nhacviec.digests")

DAILY_JOB = "digests:daily"
CHECK_JOB = "digests:check"
CATCH_UP_JOB = "digests:catch-up"
CHECK_INTERVAL = 600.0  # seconds
CATCH_UP_DAYS = 1
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 12

_schedulers: weakref.WeakKeyDictionary[Any, DigestScheduler] = weakref.WeakKeyDictionary()


@dataclass
class DeliveryReport:
    sent: int = 0  # chats that received the whole digest
    retry: int = 0  # chats to try again later
    failed: int = 0
    emails: int = 0  # digest e-mails queued for the leaders' mailboxes
    errors: list[str] = field(default_factory=list)


class DigestScheduler:
    """Sends the scheduled digests of every configured province to its leaders' chats."""

    def __init__(
        self,
        *,
        settings: Any,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        calendar: WorkCalendar,
        worker: str | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.base_calendar = self.calendar = calendar
        self.worker = worker or worker_name()
        self._lock = asyncio.Lock()

    def due_now(self) -> list[DigestPeriod]:
        now = self.clock().astimezone(self.settings.tz)
        return scheduled_digests(
            now,
            weekday=self.settings.digest_weekday,
            at=self.settings.digest_time,
            calendar=self.calendar,
            catch_up_days=CATCH_UP_DAYS,
        )

    async def run(self, bot: Bot) -> DeliveryReport:
        """Send every digest due now that has not gone out yet. Safe to repeat and to race."""
        report = DeliveryReport()
        if not self.settings.digest_enabled:
            return report
        async with self._lock:  # one pass at a time in this process; others are kept out by the claims
            async with self.sessionmaker() as session:  # the admins' days off / make-up days
                self.calendar = await effective_calendar(session, self.base_calendar)
            for period in self.due_now():
                await self.deliver(bot, period, report)
        return report

    async def deliver(self, bot: Bot, period: DigestPeriod, report: DeliveryReport | None = None) -> DeliveryReport:
        """Send `period`'s digest to each leaders' chat that has not had it."""
        report = report or DeliveryReport()
        now = self.clock()
        async with self.sessionmaker() as session, session.begin():
            provinces = await configured_provinces(session, settings=self.settings)
            await service.open_runs(session, period=period, province_ids=[p.id for p in provinces], now=now)
            runs = await service.claim_runs(session, period=period, worker=self.worker, now=now, lease=LEASE)
        by_province: dict[int, list[service.ClaimedRun]] = {}
        for run in runs:
            by_province.setdefault(run.province_id, []).append(run)
        mailboxes: dict[int, list[int]] = {}  # leaders' e-mail recipients still without this period's mail
        async with self.sessionmaker() as session:
            for province in provinces:
                mailboxes[province.id] = await mailings.digest_addresses_waiting(session, province=province, period=period)
        for province in provinces:
            if province.id not in by_province and not mailboxes[province.id]:
                continue
            try:
                # In a child process: the bot's replies go on while it is built.
                parts, _run = await digest_parts(
                    database_url=self.settings.database_url, province_id=province.id, period=period,
                    with_report=period.kind is DigestKind.MONTH and self.settings.digest_docx,
                )
            except Exception as exc:  # noqa: BLE001 - nothing was sent: hand the runs back for the next check
                log_event(
                    log, "digest.build_failed", f"Không lập được báo cáo {period.kind.value} của {province.slug}",
                    level=logging.ERROR, exc_info=True, kind=period.kind, as_of=period.as_of, province_id=province.id,
                )
                for run in by_province.get(province.id, []):
                    await self._later(run, report, f"{type(exc).__name__}: {exc}")
                continue
            if mailboxes[province.id]:
                # Queued, not sent here: the e-mail channel's sender delivers (and retries) it.
                async with self.sessionmaker() as session, session.begin():
                    report.emails += await mailings.queue_digest_emails(
                        session, recipient_ids=mailboxes[province.id], period=period, parts=parts, now=now
                    )
            for run in by_province.get(province.id, []):
                await self._send(bot, run, parts, report)
        if runs:
            log_event(
                log, "digest.delivered",
                f"Báo cáo {period.kind.value} đến hết {period.as_of.isoformat()}: "
                f"gửi {report.sent}, thử lại sau {report.retry}, lỗi {report.failed}",
                kind=period.kind, as_of=period.as_of, sent=report.sent, retry=report.retry, failed=report.failed,
            )
        return report

    async def _tx(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        async with self.sessionmaker() as session, session.begin():
            return await fn(session, **kwargs)

    async def _send(self, bot: Bot, run: service.ClaimedRun, parts: list[service.Part], report: DeliveryReport) -> None:
        done = run.parts_sent
        address = run.tg_chat_id

        async def progressed(n: int) -> None:
            nonlocal done
            done = n
            await self._tx(service.update_run, run_id=run.run_id, worker=self.worker, parts_sent=n)

        migrated = False
        while True:
            try:
                await service.send_parts(bot, address, parts, start=done, on_sent=progressed)
            except ChatMigrated as exc:
                if migrated:  # migrated twice in one send: something is wrong, try later
                    await self._later(run, report, digest_texts.migrated_again(exc.new_chat_id))
                    return
                migrated = True
                old, address = address, int(exc.new_chat_id)
                await self._tx(chats_repo.move_chat, old_tg_chat_id=old, new_tg_chat_id=address)
                continue
            except RetryAfter as exc:
                await self._later(run, report, f"429: {exc}")
            except (Forbidden, BadRequest) as exc:
                if not telegram_answered(exc):  # a gateway's page, not Telegram's word: later
                    await self._later(run, report, f"{type(exc).__name__}: {exc}")
                elif isinstance(exc, Forbidden) or any(text in exc.message.lower() for text in UNREACHABLE_BAD_REQUESTS):
                    await self._unreachable(run, exc.message, report)
                else:
                    await self._finish(run, report, DigestRunStatus.FAILED, f"400: {exc.message}")
            except NetworkError as exc:
                # 5xx (JSON or a gateway's HTML), timeouts, resets: the part is sent again later
                # (at least once: a part whose answer was lost may arrive twice).
                await self._later(run, report, f"{type(exc).__name__}: {exc}")
            except TelegramError as exc:
                await self._finish(run, report, DigestRunStatus.FAILED, f"{type(exc).__name__}: {exc}")
            else:
                await self._finish(run, report, DigestRunStatus.SENT, None)
            return

    async def _finish(self, run: service.ClaimedRun, report: DeliveryReport, status: Any, error: str | None) -> None:
        values: dict[str, Any] = {"status": status, "error": error, "lease_until": None}
        if status is DigestRunStatus.SENT:
            values["sent_at"] = self.clock()
            report.sent += 1
            log_event(
                log, "digest.sent", f"Đã gửi báo cáo {run.run_id} tới nhóm lãnh đạo",
                run_id=run.run_id, chat_id=run.tg_chat_id, province_id=run.province_id,
            )
        else:
            report.failed += 1
            report.errors.append(error or "")
            log_event(
                log, "digest.failed", f"Báo cáo {run.run_id} không gửi được: {error}",
                level=logging.WARNING if (error or "").startswith("nhóm không liên lạc được") else logging.ERROR,
                run_id=run.run_id, chat_id=run.tg_chat_id, province_id=run.province_id, error=error,
            )
        await self._tx(service.update_run, run_id=run.run_id, worker=self.worker, **values)

    async def _later(self, run: service.ClaimedRun, report: DeliveryReport, error: str) -> None:
        if run.attempts >= MAX_ATTEMPTS:
            await self._finish(run, report, DigestRunStatus.FAILED, outbox_texts.gave_up_error(run.attempts, error))
            return
        report.retry += 1
        log_event(
            log, "digest.retry", f"Báo cáo {run.run_id} sẽ gửi lại sau: {error}", level=logging.WARNING,
            run_id=run.run_id, chat_id=run.tg_chat_id, province_id=run.province_id, attempt=run.attempts, error=error,
        )
        await self._tx(
            service.update_run, run_id=run.run_id, worker=self.worker,
            status=DigestRunStatus.PENDING, claimed_by=None, lease_until=None, error=error,
        )

    async def _unreachable(self, run: service.ClaimedRun, error: str, report: DeliveryReport) -> None:
        """The leaders' chat is gone: mark it inactive and tell the admins (once), like the
        reminder sender does for agency chats."""
        await self._finish(run, report, DigestRunStatus.FAILED, outbox_texts.chat_unreachable_error(error))
        now = self.clock()
        await self._tx(
            outbox.chat_unreachable, chat_id=run.chat_id, error=error,
            on_date=now.astimezone(self.settings.tz).date(), now=now, admins=self.settings.admins,
        )

    # --- job callbacks ------------------------------------------------------------------

    async def job(self, context: Context) -> None:
        """The daily, periodic and start-up check: send what is due."""
        report = await self.run(context.bot)
        if report.emails:
            from scheduler.channels import kick_all

            kick_all(context.application)


def install(
    app: BotApp,
    scheduler: DigestScheduler,
    *,
    check_interval: float = CHECK_INTERVAL,
    catch_up_after: float = 1.0,
) -> DigestScheduler:
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("digests need PTB's JobQueue (python-telegram-bot[job-queue])")
    settings = scheduler.settings
    queue.run_daily(
        stoppable(scheduler.job),
        time=settings.digest_time.replace(tzinfo=settings.tz),
        name=DAILY_JOB,
        job_kwargs={"id": DAILY_JOB, "replace_existing": True, "misfire_grace_time": 6 * 3600, "coalesce": True},
    )
    queue.run_repeating(
        stoppable(scheduler.job),
        interval=check_interval,
        first=check_interval,
        name=CHECK_JOB,
        job_kwargs={"id": CHECK_JOB, "replace_existing": True, "max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
    )
    queue.run_once(
        stoppable(scheduler.job),
        when=catch_up_after,
        name=CATCH_UP_JOB,
        job_kwargs={"id": CATCH_UP_JOB, "replace_existing": True, "misfire_grace_time": 3600},
    )
    _schedulers[app] = scheduler
    return scheduler


def register(app: BotApp) -> DigestScheduler | None:
    """Install the digest jobs (nothing when DIGEST_ENABLED is false)."""
    services = app.bot_data
    settings = services.settings
    if not settings.digest_enabled:
        return None
    scheduler = DigestScheduler(
        settings=settings,
        sessionmaker=services.sessionmaker,
        clock=lambda: services.clock(),  # read at each tick: tests move the clock
        calendar=calendar_from_settings(settings),
    )
    return install(app, scheduler)


def scheduler_for(app: Any) -> DigestScheduler | None:
    """The digest scheduler installed on an application (tests, diagnostics)."""
    return _schedulers.get(app)
