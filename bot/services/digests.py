"""Weekly digests and monthly reports: the figures as of a date, the files, the sending.

As of a date D: every figure is what was true at the end of D (the province's midnight),
read from the history. For each due item the last history row written before that instant
gives its status, progress, due date (an extension moves it; each row records the date
after the change) and completion date; when no row came after it, the item's own columns
are that same state (so today's digest agrees with /tiendo to the letter, even after an
undo that adjusts the item behind its row). An item with no row yet is as the plan made
it: pending, due on its original date. Items an admin dated later (/dathan) exist only
from their first row; before it their task counts as undated. A plan counts from its issue
date. Cancelled items and removed tasks are left out whatever the date (the re-import that
retired them keeps no dated trace), and whether a chat works is today's knowledge.

The figures are counted by one GROUP BY over that "as of" relation; the workbook rows and
the lists come from the same relation, so they add up to the same numbers (the tests hold
them against each other and against a hand-built data set).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import digest_runs, reports
from bot.db import digests as queries
from bot.db import plans as plans_repo
from bot.db.digest_runs import ClaimedRun as ClaimedRun  # re-exported: the scheduler names it
from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
from bot.db.models import Province
from bot.db.session import AsyncSession
from bot.domain.digest import (
    MAX_WORKBOOK_ROWS,
    SILENT_DAYS,
    SOON_DAYS,
    Digest,
    DigestEvent,
    DigestKind,
    DigestPeriod,
    DueLine,
    Figures,
    PlanFigures,
    ReportRow,
    RowSelection,
    digest_period,
    merge_agencies,
    rank_agencies,
)
from bot.domain.status import Category, ChangeSource, Status
from bot.render.digest import STALE_RUN
from bot.render.reminders import plain_text as unhtml

# Who answers a reminder: the agency's focal point, by reply, button or command.
ANSWER_SOURCES = (ChangeSource.CHAT, ChangeSource.BUTTON, ChangeSource.COMMAND)
REMINDER_LOOKBACK_DAYS = 60
MONTH_SOON_DAYS = 31  # a monthly report looks a month ahead


def day_end(day: date, tz: ZoneInfo) -> datetime:
    """The instant the province's day ends (its next midnight), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def soon_days_for(kind: DigestKind) -> int:
    return SOON_DAYS if kind is DigestKind.WEEK else MONTH_SOON_DAYS


# --- who cannot be reached, who does not answer ----------------------------------------------


async def silent_agencies(
    session: AsyncSession, *, province_id: int, end: datetime, current: dict[int, tuple[str, str]]
) -> set[str]:
    """Codes of agencies reminded at least SILENT_DAYS before `end` without answering since.

    An answer is any status change a person made in the agency's chat (reply, button,
    command) on one of its items; reminders are the outbox rows Telegram accepted.
    """
    last_answer: dict[str, datetime] = {}
    for agency_id, at in await queries.last_answers(session, province_id=province_id, end=end, sources=ANSWER_SOURCES):
        code = current[agency_id][0]
        if at is not None and (code not in last_answer or at > last_answer[code]):
            last_answer[code] = at
    reminded: dict[str, list[datetime]] = defaultdict(list)
    since = end - timedelta(days=REMINDER_LOOKBACK_DAYS)
    for agency_id, sent_at in await queries.reminders_sent(session, province_id=province_id, end=end, since=since):
        if agency_id in current and sent_at is not None:
            reminded[current[agency_id][0]].append(sent_at)
    cutoff = end - timedelta(days=SILENT_DAYS)
    silent = set()
    for code, times in reminded.items():
        answered = last_answer.get(code)
        unanswered = [t for t in times if answered is None or t > answered]
        if unanswered and min(unanswered) <= cutoff:
            silent.add(code)
    return silent


# --- the digest ------------------------------------------------------------------------------


async def build_digest(
    session: AsyncSession, *, province: Province, period: DigestPeriod, soon_days: int | None = None,
    row_limit: int = MAX_WORKBOOK_ROWS,
) -> Digest:
    """The digest of one province for `period`, as of the end of `period.end`; the workbook
    lists at most `row_limit` rows (the figures count all)."""
    tz = ZoneInfo(province.timezone)
    today = period.as_of
    end = day_end(today, tz)
    soon = soon_days if soon_days is not None else soon_days_for(period.kind)
    current = await plans_repo._current_agencies(session, [province.id])  # noqa: SLF001 - the one succession map
    by_key = await queries.figures_by_plan_and_agency(session, province_id=province.id, end=end, today=today)
    requests = await pending_requests(session, province_id=province.id, end=end, tz=tz)
    # One pass over the rows: the period's lists take what they need of each, and the
    # workbook keeps at most MAX_WORKBOOK_ROWS of them (the figures count all, in SQL).
    events = _Events(period, soon, requests)
    selection = RowSelection(period=period, soon_days=soon, limit=row_limit)
    window, rows_total = await _row_window(
        session, province_id=province.id, end=end, period=period, soon_days=soon, limit=selection.limit,
        undated=sum(f.no_deadline for f in by_key.values()),
    )

    def take(key: tuple[Any, ...], row: ReportRow, changed_on: date | None) -> None:
        events.add(row, changed_on)
        selection.add(key, row)

    await queries.report_rows(
        session, province_id=province.id, end=end, today=today, tz=tz, current=current, sink=take, window=window
    )
    selection.total = rows_total  # the rows outside the window count too

    plans = {p.id: p for p in await queries.plans_in_force(session, province_id=province.id, today=today)}
    per_plan: dict[int, Figures] = {}
    per_agency: list[tuple[int, Figures]] = []
    for (plan_id, agency_id), figures in by_key.items():
        per_plan[plan_id] = per_plan.get(plan_id, Figures()) + figures
        per_agency.append((agency_id, figures))
    counts = await reports.task_counts(session, province_ids=[province.id], today=today, flagged=False)
    # Tasks nobody led at the end of the day (a task assigned since is still listed then).
    unassigned = await reports.unassigned_tasks(session, province_ids=[province.id], today=today, end=end)
    unassigned_per_plan = Counter(t.plan_number for t in unassigned)
    plan_rows = [
        PlanFigures(
            plan.number, plan.title, per_plan.get(plan_id, Figures()),
            tasks=counts[plan_id].tasks if plan_id in counts else 0,
            unassigned=unassigned_per_plan.get(plan.number, 0),
            period=(plan.first_year, plan.last_year) if plan.first_year and plan.last_year else None,
        )
        for plan_id, plan in plans.items()
        if plan_id in per_plan or plan_id in counts
    ]
    agencies = rank_agencies(merge_agencies(per_agency, current))
    total = sum((p.figures for p in plan_rows), Figures())

    # Among the agencies with open work: no working chat — lost (bot removed or blocked) or
    # never bound; reminded but silent.
    reachable = {current[i][0] for i in await chats_repo.bound_agency_ids(session, province_id=province.id)}
    lost = {current[a.id][0] for a in await agencies_repo.unreachable_agencies(session, province_id=province.id)}
    waiting = [a for a in agencies if (a.figures.overdue or a.figures.in_term) and a.agency_code not in reachable]
    silent_codes = await silent_agencies(session, province_id=province.id, end=end, current=current)

    digest = Digest(
        province_name=province.name,
        period=period,
        total=total,
        plans=plan_rows,
        agencies=agencies,
        unreachable=[a.agency_name for a in waiting if a.agency_code in lost],
        unbound=[a.agency_name for a in waiting if a.agency_code not in lost],
        silent=[a.agency_name for a in agencies if a.agency_code in silent_codes and a.agency_code in reachable],
        rows=selection.rows(),
        soon_days=soon,
        rows_total=selection.total if selection.total > selection.limit else None,
        tasks=sum(c.tasks for c in counts.values()),
        unassigned=unassigned,
    )
    events.finish(digest)
    return digest


async def _row_window(
    session: AsyncSession, *, province_id: int, end: datetime, period: DigestPeriod, soon_days: int, limit: int,
    undated: int,
) -> tuple[queries.RowWindow | None, int]:
    """Which rows to read (None: all of them) and how many there are.

    The workbook keeps the `limit` best-ranked rows (bot.domain.digest.workbook_rank); from
    the number of rows per (rank, due date), counted in SQL, the last (rank, due date) the
    cap reaches is known before any row is read. Rows up to there, with those the period's
    lists may show, are a superset of what the digest uses, so RowSelection and _Events
    pick the same rows as from the whole stream (ties at the cap's last date aside, which
    the stream's order decided before as well)."""
    today = period.as_of
    histogram = await queries.rank_histogram(
        session, province_id=province_id, end=end, today=today, period_start=period.start, soon_days=soon_days
    )
    if undated:
        histogram[(7, date.max)] = histogram.get((7, date.max), 0) + undated
    total = sum(histogram.values())
    if total <= limit:
        return None, total
    seen = 0
    for (rank, due), count in sorted(histogram.items()):
        seen += count
        if seen >= limit:
            return queries.RowWindow(period.start, today, soon_days, end, rank, due), total
    raise AssertionError("unreachable: the counts add up to more than the limit")


async def pending_requests(
    session: AsyncSession, *, province_id: int, end: datetime, tz: ZoneInfo
) -> dict[int, tuple[date, date, str | None]]:
    """Extension requests waiting for the leaders at `end`: due item → (asked on, proposed
    date, reason). Made before `end` and not decided before it (whatever happened since)."""
    rows = await queries.pending_requests(session, province_id=province_id, end=end)
    return {item_id: (created.astimezone(tz).date(), proposed, reason) for item_id, created, proposed, reason in rows}


class _Events:
    """The period's lists, from the same rows as the figures, one row at a time."""

    def __init__(self, period: DigestPeriod, soon_days: int, requests: dict[int, tuple[date, date, str | None]]) -> None:
        self.period = period
        self.soon_days = soon_days
        self.requests = requests
        self.completed: list[DigestEvent] = []
        self.new_blockers: list[DigestEvent] = []
        self.extension_requests: list[DigestEvent] = []
        self.became_overdue: list[DigestEvent] = []
        self.due_soon: list[DueLine] = []

    def add(self, row: ReportRow, changed_on: date | None) -> None:
        if row.due_item_id is None or (row.held and row.status is not Status.DONE):
            return  # undated, or on hold / "không thực hiện": in the figures and the workbook only
        period = self.period
        today = period.as_of
        if row.status is Status.DONE:
            if row.completed_on is not None and period.start <= row.completed_on <= today:
                self.completed.append(DigestEvent(row.line(), row.completed_on, row.note))
            return
        if row.status is Status.BLOCKED and changed_on is not None and period.start <= changed_on <= today:
            self.new_blockers.append(DigestEvent(row.line(), changed_on, row.note))
        if row.due_item_id in self.requests:
            asked, proposed, reason = self.requests[row.due_item_id]
            self.extension_requests.append(DigestEvent(row.line(), asked, reason or row.note, proposed_due_on=proposed))
        elif row.status is Status.EXTENSION_REQUESTED:  # set without a request row (an admin, older data)
            self.extension_requests.append(DigestEvent(row.line(), changed_on or today, row.note))
        came_due = (period.start - timedelta(days=1), today - timedelta(days=1))  # overdue from the next day
        if row.category is Category.OVERDUE and row.due_on is not None and came_due[0] <= row.due_on <= came_due[1]:
            self.became_overdue.append(DigestEvent(row.line(), row.due_on + timedelta(days=1)))
        if row.due_on is not None and 0 <= (row.due_on - today).days <= self.soon_days:
            self.due_soon.append(row.line())

    def finish(self, digest: Digest) -> None:
        by_day = lambda e: (e.on, e.line.agency_name, e.line.task_ref)  # noqa: E731
        digest.completed = sorted(self.completed, key=by_day)
        digest.new_blockers = sorted(self.new_blockers, key=by_day)
        digest.extension_requests = sorted(self.extension_requests, key=by_day)
        digest.became_overdue = sorted(
            self.became_overdue, key=lambda e: (e.line.due_on, e.line.agency_name, e.line.task_ref)
        )
        digest.due_soon = sorted(self.due_soon, key=lambda line: (line.due_on, line.agency_name, line.task_ref))


# --- rendering and sending ---------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One Telegram message of a digest: a text, the chart or a file."""

    kind: str  # "text" | "photo" | "document"
    text: str = ""  # the text, or the caption
    data: bytes = b""
    filename: str = ""


@dataclass
class DigestOutput:
    digest: Digest
    messages: list[str]
    chart: bytes | None = None
    chart_data: Any = None  # bot.render.chart.ChartData
    workbook: bytes | None = None
    report: bytes | None = None
    stem: str = "bao-cao"
    parts: list[Part] = field(default_factory=list)


def render_digest(digest: Digest, *, province_slug: str, with_report: bool = False) -> DigestOutput:
    """Texts, chart, workbook (and the .docx draft): CPU work, run it in a thread."""
    # Imported here: matplotlib, openpyxl and python-docx cost a second at start-up, and
    # most processes (the CLI's other commands, tests) never draw a digest.
    from bot.render import chart as charts
    from bot.render import digest as texts
    from bot.render.report_docx import build_report_docx
    from bot.render.xlsx import build_workbook

    messages = texts.digest_messages(digest)
    output = DigestOutput(digest, messages, stem=texts.file_stem(digest, province_slug))
    output.parts = [Part("text", text) for text in messages]
    if digest.quiet:
        return output
    data = charts.chart_data(digest, title=texts.chart_title(digest.period))
    output.chart_data = data
    output.chart = charts.render_chart(data)
    output.workbook = build_workbook(digest)
    output.parts.append(Part("photo", texts.chart_caption(digest, len(data.agencies)), output.chart, f"{output.stem}.png"))
    output.parts.append(Part("document", texts.workbook_caption(digest), output.workbook, f"{output.stem}.xlsx"))
    if with_report:
        output.report = build_report_docx(digest)
        output.parts.append(Part("document", texts.report_caption(digest), output.report, f"{output.stem}.docx"))
    return output


async def make_output(
    session: AsyncSession, *, province: Province, period: DigestPeriod, with_report: bool = False
) -> DigestOutput:
    digest = await build_digest(session, province=province, period=period)
    return await asyncio.to_thread(render_digest, digest, province_slug=province.slug, with_report=with_report)


async def send_parts(
    bot: Any,
    chat_id: int,
    parts: Sequence[Part],
    *,
    start: int = 0,
    on_sent: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Send parts[start:] in order; `on_sent(n)` after each (n parts done). Errors propagate."""
    done = start
    # Imported here: the digest worker's child process builds, never sends, and is ~30 MB
    # smaller without python-telegram-bot and httpx.
    from telegram import InputFile
    from telegram.constants import ParseMode

    html = ParseMode.HTML
    for part in parts[start:]:
        if part.kind == "text":
            await bot.send_message(chat_id=chat_id, text=part.text, parse_mode=html)
        elif part.kind == "photo":
            await bot.send_photo(
                chat_id=chat_id, photo=InputFile(part.data, filename=part.filename), caption=part.text, parse_mode=html
            )
        else:
            await bot.send_document(
                chat_id=chat_id, document=InputFile(part.data, filename=part.filename), caption=part.text,
                parse_mode=html,
            )
        done += 1
        if on_sent is not None:
            await on_sent(done)
    return done


# --- scheduled runs: once per leaders' chat, kind and as-of date ----------------------------


async def open_runs(
    session: AsyncSession, *, period: DigestPeriod, province_ids: Sequence[int], now: datetime
) -> int:
    """A pending run for each active leaders' chat of the provinces (existing ones stay);
    returns how many were new."""
    return await digest_runs.open_runs(
        session, kind=period.kind.value, as_of=period.as_of, province_ids=province_ids, now=now
    )


async def claim_runs(
    session: AsyncSession, *, period: DigestPeriod, worker: str, now: datetime, lease: timedelta
) -> list[ClaimedRun]:
    """Take the period's pending runs (of active chats) for `worker`; a run another process
    left `sending` past its lease becomes uncertain (it may have sent part of it)."""
    return await digest_runs.claim_runs(
        session, kind=period.kind.value, as_of=period.as_of, worker=worker, now=now, lease=lease,
        stale_error=STALE_RUN,
    )


async def update_run(session: AsyncSession, *, run_id: int, worker: str, **values: Any) -> bool:
    """Move a run this worker holds (parts_sent, status, error…); False if it lost it."""
    return await digest_runs.update_run(session, run_id=run_id, worker=worker, **values)


# --- the command line (`nhacviec digest`) --------------------------------------------------


@dataclass
class CliDigest:
    province_name: str
    output: DigestOutput
    chats: list[int]  # the leaders' chats it was sent to (with --send)


def plain_text(messages: Sequence[str]) -> str:
    return "\n\n".join(unhtml(m) for m in messages)


def write_files(output: DigestOutput, folder: Path) -> list[Path]:
    """The text, chart, workbook (and report) as files in `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / f"{output.stem}.txt"
    text.write_text(plain_text(output.messages) + "\n", encoding="utf-8")
    written = [text]
    for data, suffix in ((output.chart, "png"), (output.workbook, "xlsx"), (output.report, "docx")):
        if data is not None:
            path = folder / f"{output.stem}.{suffix}"
            path.write_bytes(data)
            written.append(path)
    return written


async def cli_digests(
    settings: Any, *, kind: str, as_of: date | None, province: str | None, send: bool
) -> list[CliDigest]:
    """Build (and with `send`, send to every active leaders' chat) the digest of the
    configured province(s) as of `as_of` (default: the province's today); [] when there is
    no province yet. Sending needs TELEGRAM_BOT_TOKEN (the caller checks)."""
    period_kind = DigestKind(kind)
    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    results: list[CliDigest] = []
    try:
        async with make_sessionmaker(engine)() as session:
            if province:
                found = await agencies_repo.get_province(session, slug=province)
                provinces = [found] if found is not None else []
            else:
                # Imported here: it brings the settings (pydantic) into the digest worker's
                # child process, which never needs them (≈ 0.1 s of its start-up).
                from bot.services.chats import configured_provinces

                provinces = await configured_provinces(session, settings=settings)
            for p in provinces:
                day = as_of or datetime.now(ZoneInfo(p.timezone)).date()
                digest = await build_digest(session, province=p, period=digest_period(period_kind, day))
                output = render_digest(
                    digest, province_slug=p.slug, with_report=period_kind is DigestKind.MONTH and settings.digest_docx
                )
                chats = [c.tg_chat_id for c in await chats_repo.leaders_chats(session, province_id=p.id)] if send else []
                results.append(CliDigest(p.name, output, chats))
    finally:
        await engine.dispose()
    if send and any(r.chats for r in results):
        await _send_with_token(settings, results)
    return results


async def _send_with_token(settings: Any, results: Sequence[CliDigest]) -> None:
    from telegram import Bot

    bot = Bot(
        (settings.telegram_bot_token or "").strip(), base_url=settings.bot_base_url,
        base_file_url=settings.bot_base_file_url,
    )
    async with bot:
        for result in results:
            for chat_id in result.chats:
                await send_parts(bot, chat_id, result.output.parts)
