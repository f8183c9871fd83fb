"""Reminder use cases: what a day's reminders are, queueing them (the tick), previewing them,
and giving an undated task a date (/dathan).

The tick never loads every task: `select_due_dates` (pure policy) turns the day into the
list of due dates that have a reminder, and one SQL query over the indexed `due_on`
column fetches exactly those open items. Queueing is idempotent: the outbox's unique key
(chat, day, kind, part) makes a repeated or concurrent tick insert nothing new.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from bot.db import followup as followup_repo
from bot.db import recipients as recipients_repo
from bot.db import reminders as reminders_repo
from bot.db import unknown_items
from bot.db.agencies import find_agencies, list_provinces
from bot.db.models import (
    Chat,
    Recipient,
)
from bot.db.outbox import add_files, enqueue
from bot.db.session import AsyncSession
from bot.domain.admins import Admins
from bot.domain.calendar import WorkCalendar
from bot.domain.channels import Channel
from bot.domain.escalation import Rung, parse_ladder
from bot.domain.kinds import OutboxKind
from bot.domain.reminders import (
    DEFAULT_NUDGE_AFTER,
    AgencyReminders,
    DueDateSelection,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    due_nudges,
    due_reminders,
    group_by_recipient,
    overdue_days,
    select_due_dates,
    succession_chain,
    summarize_escalation,
    without_held,
)
from bot.render.reminders import MessagePart, escalation_message, reminder_message, reminder_messages, tick_summary
from bot.services import mailings, zalo
from bot.services.calendar import effective_calendar
from bot.services.focal import mentions_of
from bot.services.links import AgencyLinks

log = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def policy_from_settings(settings: Any) -> ReminderPolicy:
    ladder = getattr(settings, "escalation_ladder", None)
    return ReminderPolicy(
        days_before=tuple(settings.reminder_days_before),
        overdue_every=settings.reminder_overdue_every,
        escalate_after=settings.reminder_escalate_after,
        max_shown=settings.reminder_max_items,
        ladder=parse_ladder(ladder) if ladder else None,
        nudge_after=getattr(settings, "nudge_after_working_days", DEFAULT_NUDGE_AFTER),
    )


def calendar_from_settings(settings: Any) -> WorkCalendar:
    """The working-day calendar with data/holidays.yaml's announced adjustments."""
    path = settings.data_dir / "holidays.yaml"
    return WorkCalendar.from_file(path) if path.is_file() else WorkCalendar()


# --- a day's reminders -----------------------------------------------------------------------


@dataclass
class DayReminders:
    on_date: date
    selection: DueDateSelection
    groups: list[AgencyReminders] = field(default_factory=list)
    chats: dict[int, list[Chat]] = field(default_factory=dict)  # recipient agency id → chats
    # recipient agency id → its addresses on other channels (e-mail; bot/db/recipients.py)
    recipients: dict[int, list[Recipient]] = field(default_factory=dict)

    @property
    def items(self) -> int:
        return sum(len(g.reminders) for g in self.groups)

    @property
    def nudges(self) -> int:
        return sum(1 for g in self.groups for r in g.reminders if r.kind is ReminderKind.NUDGE)


async def collect_reminders(
    session: AsyncSession,
    *,
    on_date: date,
    calendar: WorkCalendar,
    policy: ReminderPolicy,
    agency_ids: Iterable[int] | None = None,
) -> DayReminders:
    """Who gets which reminders on `on_date` (nothing on a day off), with the day's nudges
    (items in progress nobody reported on for `policy.nudge_after` working days), and which
    items of unknown status each recipient is asked to confirm (once: see `enqueue_reminders`)."""
    earliest = await reminders_repo.earliest_open_due(session, before=on_date)
    selection = select_due_dates(on_date, calendar=calendar, policy=policy, earliest=earliest)
    day = DayReminders(on_date, selection)
    if not selection:
        return day
    items = await reminders_repo.open_items_due_on(session, dates=selection.dates, agency_ids=agency_ids)
    unknown = await unknown_items.unasked(session, agency_ids=agency_ids)
    reminders = due_reminders(items, today=on_date, calendar=calendar, policy=policy, selection=selection)
    if policy.nudge_after:
        quiet = await followup_repo.in_progress_last_report(session, today=on_date, agency_ids=agency_ids)
        nudges = due_nudges(
            quiet, today=on_date, calendar=calendar, policy=policy, reminded=[r.item.due_item_id for r in reminders]
        )
        reminders += nudges
        items += [r.item for r in nudges]
    if not reminders and not unknown:
        return day
    provinces = {i.province_id for i in (*items, *unknown) if i.province_id}
    successor_of, names, chats = await reminders_repo.agency_graph(session, provinces)
    # An agency is reachable by a bound chat or by an address on another channel (e-mail, Zalo).
    addresses = await recipients_repo.active_by_agency(session, agency_ids=names, channels=[Channel.EMAIL, Channel.ZALO])
    day.groups = group_by_recipient(
        reminders, successor_of=successor_of, names=names,
        reachable=lambda agency: bool(chats.get(agency)) or bool(addresses.get(agency)),
        unknown=unknown,
    )
    # Snoozed and dropped items, paused agencies: not reminded (the holds say until when).
    day.groups = without_held(day.groups, await followup_repo.active_holds(session, today=on_date))
    day.chats = {g.agency_id: chats.get(g.agency_id, []) for g in day.groups}
    day.recipients = {g.agency_id: addresses.get(g.agency_id, []) for g in day.groups}
    return day


# --- the tick --------------------------------------------------------------------------------


@dataclass
class TickReport:
    on_date: date
    working_day: bool
    holiday: str | None = None
    items: int = 0  # reminder lines
    nudges: int = 0  # of them, items in progress with no report for a while
    agencies: int = 0  # recipient agencies with something to hear
    chats: int = 0  # chats with a reminder today
    queued: int = 0  # outbox rows added by this tick
    emails: int = 0  # of which e-mails (agencies' mailboxes)
    already: int = 0  # chats that had today's reminder queued before (a repeated tick)
    unreachable: list[str] = field(default_factory=list)  # agencies with reminders and no chat
    escalated: int = 0  # items newly brought to the leaders
    office: int = 0  # items newly brought to the office (the admins)

    @property
    def summary(self) -> str:
        return tick_summary(self)


def _row(
    *, chat: Chat, on_date: date, kind: OutboxKind, index: int, count: int, part: MessagePart, now: datetime
) -> dict[str, Any]:
    return {
        "chat_id": chat.id,
        "tg_chat_id": chat.tg_chat_id,
        "on_date": on_date,
        "kind": kind,
        "part": index,
        "parts": count,
        "body": part.text,
        "buttons": part.buttons_json(),
        "due_item_ids": list(part.due_item_ids) or None,
        "first_number": part.first_number,
        "next_attempt_at": now,
        "created_at": now,
    }


async def enqueue_reminders(
    session: AsyncSession,
    *,
    on_date: date,
    calendar: WorkCalendar,
    policy: ReminderPolicy,
    now: datetime,
    console_url: str | None = None,
    links: AgencyLinks | None = None,
    admins: Admins | None = None,
) -> TickReport:
    """Queue `on_date`'s reminders and escalation alerts (idempotent; run in one transaction):
    at most one reminder per agency chat, one alert per leaders' chat and one per admin
    (the office rung of the ladder: `admins`, each province's).

    `console_url` (the web console's public address) gives a long reminder its "see all" button.
    Each agency's reminder also goes to each of its e-mail addresses (with a signed console
    link from `links`, when the console is there) and Zalo accounts.
    """
    calendar = await effective_calendar(session, calendar)  # the admins' days off / make-up days
    # First statement of the tick, and a write: on SQLite it takes the write lock before
    # anything is read (a read-then-write transaction could not wait for a concurrent
    # tick); on PostgreSQL the row lock queues a concurrent tick for the same day behind
    # this one, which then finds every key taken. Correctness does not depend on it: the
    # outbox's unique keys do.
    await reminders_repo.record_run(session, on_date=on_date, now=now)
    report = TickReport(on_date, calendar.is_working_day(on_date), calendar.holiday_name(on_date))
    if not report.working_day:
        return report
    day = await collect_reminders(session, on_date=on_date, calendar=calendar, policy=policy)
    report.items = day.items
    report.nudges = day.nudges
    report.agencies = len(day.groups)

    people = await mentions_of(session, [g.agency_id for g in day.groups if g.reachable])
    rows: list[dict[str, Any]] = []
    for group in day.groups:
        if not group.reachable:
            report.unreachable.append(group.agency_name)
            continue
        more_url = f"{console_url}/web/tasks?agency={group.agency_id}" if console_url else None
        part = reminder_message(
            group, on_date, max_shown=policy.max_shown, more_url=more_url, people=people.get(group.agency_id, ())
        )
        if part is None:
            continue
        for chat in day.chats[group.agency_id]:
            # One message per chat and day: part 0 is the only part, so the outbox's unique
            # key (chat, day, kind, part) makes a repeated or racing tick add nothing.
            rows.append(_row(chat=chat, on_date=on_date, kind=OutboxKind.REMINDER, index=0, count=1, part=part, now=now))
    rows.sort(key=lambda r: r["chat_id"])  # one lock order for concurrent ticks
    report.chats = len(rows)
    new_ids = await enqueue(session, rows)
    report.queued = len(new_ids)
    report.already = len(rows) - len(new_ids)

    # Every Zalo account linked to an agency gets the same reminder, as plain text.
    zalo_ids = await zalo.queue_reminders(session, day=day, on_date=on_date, now=now, links=links)
    report.queued += len(zalo_ids)

    email_ids = await mailings.reminder_emails(session, day=day, on_date=on_date, now=now, links=links)
    report.emails = len(email_ids)
    report.queued += len(email_ids)

    # Items of unknown status are listed once: those in a message queued now — to a group, a
    # mailbox or a Zalo account (an agency without a group is asked like one with) — are asked.
    unknown = {i.due_item_id for g in day.groups for i in g.unknown}
    if unknown:
        await unknown_items.mark_asked_in(
            session, outbox_ids=[*new_ids, *zalo_ids, *email_ids], candidates=unknown, on_date=on_date
        )

    report.office, office_rows = await _escalate(
        session, rung=Rung.OFFICE, on_date=on_date, policy=policy, calendar=calendar, now=now, admins=admins
    )
    report.escalated, escalation_rows = await _escalate(
        session, rung=Rung.LEADERS, on_date=on_date, policy=policy, calendar=calendar, now=now
    )
    report.queued += office_rows + escalation_rows
    if report.queued:
        await reminders_repo.add_run_messages(session, on_date=on_date, count=report.queued)
    return report


async def _escalate(
    session: AsyncSession,
    *,
    rung: Rung,
    on_date: date,
    policy: ReminderPolicy,
    calendar: WorkCalendar,
    now: datetime,
    admins: Admins | None = None,
) -> tuple[int, int]:
    """Bring the items that reached `rung` of the escalation ladder (bot.domain.escalation)
    to it: each item once per rung, in ONE message a day per recipient (counts per agency,
    the worst items, the Excel file). Returns (items, messages queued).

    LEADERS: the provinces' active leaders' chats and leaders' e-mail addresses. OFFICE: each province's admins, in a
    private chat — only the items not yet at the leaders' rung (the office hears first; what
    is already the leaders' is theirs). Only provinces with a recipient escalate (otherwise
    the items stay in the digest and are alerted once one is there). The escalation row is
    the "once": inserted with ON CONFLICT DO NOTHING, so of two racing ticks only one gets
    it. A recipient that already has today's alert gets nothing more today: what crossed
    the line since (a plan imported at noon) goes into tomorrow's alert.
    """
    ladder = policy.escalation
    cutoff = ladder.cutoff(rung, on_date, calendar)
    if cutoff is None:
        return 0, 0
    targets = await _escalation_targets(session, rung=rung, on_date=on_date, admins=admins)
    if not targets:
        return 0, 0
    # The office hears only of the items not yet at the leaders' rung.
    above = ladder.cutoff(Rung.LEADERS, on_date, calendar) if rung is Rung.OFFICE else None
    candidates = await reminders_repo.unescalated_overdue(
        session, rung=rung, cutoff=cutoff, province_ids=targets, above=above
    )
    held = (await followup_repo.active_holds(session, today=on_date)).items
    candidates = [i for i in candidates if i.due_item_id not in held]  # snoozed or dropped: not escalated
    if not candidates:
        return 0, 0
    candidates.sort(key=lambda i: i.due_item_id)  # one insertion order: racing ticks cannot deadlock
    mine = await reminders_repo.claim_escalations(session, items=candidates, rung=rung, on_date=on_date, now=now)
    items = [i for i in candidates if i.due_item_id in mine]
    if not items:
        return 0, 0
    successor_of, names, _ = await reminders_repo.agency_graph(session, targets)
    by_province: dict[int, list[Reminder]] = defaultdict(list)
    for item in items:
        current = succession_chain(item.agency_id, successor_of)[-1]
        shown = replace(item, agency_name=names.get(current, item.agency_name))
        by_province[item.province_id].append(  # type: ignore[index]
            Reminder(shown, ReminderKind.OVERDUE, overdue_days(item.due_on, on_date))
        )
    step = ladder.step(rung)
    assert step is not None
    queued = 0
    for province_id, reminders in by_province.items():
        part = escalation_message(
            summarize_escalation(_one_per_task(reminders), worst=policy.worst_shown), on_date,
            after_days=step.after - (0 if step.working else 1), working=step.working, office=rung is Rung.OFFICE,
        )
        if part is None:
            continue
        rows = [
            _row(chat=chat, on_date=on_date, kind=OutboxKind.ESCALATION, index=0, count=1, part=part, now=now)
            if isinstance(chat, Chat)
            else _admin_row(admin=chat, province_id=province_id, on_date=on_date, part=part, now=now)
            for chat in targets[province_id]
            if not isinstance(chat, Recipient)
        ]
        files = []
        if part.attachment is not None:
            files = [{
                "filename": part.attachment_name or "qua-han.xlsx", "mime_type": XLSX_MIME,
                "data": part.attachment, "content_id": None,
            }]
        for outbox_id in await enqueue(session, rows):
            queued += 1
            if files:
                # The Excel list goes with the text (its caption): one message, not two.
                await add_files(session, outbox_id=outbox_id, files=files)
        queued += await mailings.escalation_emails(
            session, recipients=[t for t in targets[province_id] if isinstance(t, Recipient)], province_id=province_id, part=part,
            files=files, on_date=on_date, now=now,
        )
    return len(items), queued


async def _escalation_targets(
    session: AsyncSession, *, rung: Rung, on_date: date, admins: Admins | None
) -> dict[int, list[Any]]:
    """province id → who hears of `rung` today and has not yet: leaders' chats (Chat) and
    leaders' e-mail addresses (Recipient: the same alert as a mail, the Excel list attached;
    a province whose leaders read only e-mail escalates too), or the province's admins
    (Telegram user ids)."""
    if rung is Rung.LEADERS:
        found: dict[int, list[Any]] = defaultdict(list)
        for province_id, mailboxes in (
            await recipients_repo.leaders_without(session, kind=OutboxKind.ESCALATION, on_date=on_date, channel=Channel.EMAIL)
        ).items():
            found[province_id].extend(mailboxes)
        for province_id, chats in (await reminders_repo.leaders_chats_to_alert(session, on_date=on_date)).items():
            found[province_id].extend(chats)
        return dict(found)
    if rung is not Rung.OFFICE or admins is None:
        return {}
    targets: dict[int, list[Any]] = {}
    told = await reminders_repo.admins_alerted(session, on_date=on_date)
    for province in sorted(await list_provinces(session), key=lambda p: p.id):
        people = [a for a in sorted(admins.of(province.slug)) if (a, province.id) not in told]
        if people:
            targets[province.id] = people
    return dict(targets)


def _admin_row(*, admin: int, province_id: int, on_date: date, part: MessagePart, now: datetime) -> dict[str, Any]:
    """An admin's private alert: part = the province id (an admin of two provinces gets one each)."""
    return {
        "admin_tg_id": admin, "tg_chat_id": admin, "on_date": on_date, "kind": OutboxKind.ESCALATION,
        "part": province_id, "parts": 1, "body": part.text, "buttons": part.buttons_json(),
        "due_item_ids": list(part.due_item_ids) or None, "first_number": part.first_number,
        "next_attempt_at": now, "created_at": now,
    }


def _one_per_task(reminders: Sequence[Reminder]) -> list[Reminder]:
    """A task reaching one (current) agency through two of its due items is listed once."""
    seen: dict[tuple[int, str, date], Reminder] = {}
    for r in sorted(reminders, key=lambda r: r.item.due_item_id):
        key = (r.item.task_id, r.item.agency_name, r.item.due_on)
        first = seen.get(key)
        seen[key] = r if first is None else replace(first, twin_ids=(*first.twin_ids, r.item.due_item_id))
    return list(seen.values())


# --- preview ---------------------------------------------------------------------------------


@dataclass
class PreviewMessage:
    agency_name: str
    chats: list[str]  # chat titles (or ids); empty: the agency has no chat yet
    parts: list[MessagePart]


@dataclass
class PreviewDay:
    on_date: date
    working_day: bool
    holiday: str | None
    messages: list[PreviewMessage] = field(default_factory=list)
    escalations: int = 0  # items that would be brought to the leaders that day


async def preview(
    session: AsyncSession,
    *,
    first: date,
    days: int,
    calendar: WorkCalendar,
    policy: ReminderPolicy,
    agency: str | None = None,
) -> list[PreviewDay]:
    """What the ticks of `days` days from `first` would send, statuses as they are now."""
    calendar = await effective_calendar(session, calendar)
    agency_ids: list[int] | None = None
    if agency is not None:
        agency_ids = []
        for province in await list_provinces(session):
            agency_ids += [a.id for a in await find_agencies(session, province=province, query=agency)]
    result: list[PreviewDay] = []
    previous: date | None = None  # the leaders' cutoff of the previous day previewed
    for offset in range(days):
        on = date.fromordinal(first.toordinal() + offset)
        day = PreviewDay(on, calendar.is_working_day(on), calendar.holiday_name(on))
        result.append(day)
        if not day.working_day or (agency_ids is not None and not agency_ids):
            continue
        reminders = await collect_reminders(session, on_date=on, calendar=calendar, policy=policy, agency_ids=agency_ids)
        for group in reminders.groups:
            chats = [c.title or str(c.tg_chat_id) for c in reminders.chats.get(group.agency_id, [])]
            day.messages.append(PreviewMessage(group.agency_name, chats, reminder_messages(group, on, max_shown=policy.max_shown)))
        cutoff = policy.escalation.cutoff(Rung.LEADERS, on, calendar)
        if cutoff is None:
            continue
        # The first day: all that reached the leaders' rung; later days: what crossed it since.
        day.escalations = await reminders_repo.count_unescalated(
            session, rung=Rung.LEADERS, cutoff=cutoff, after=previous, agency_ids=agency_ids
        )
        previous = cutoff
    return result


# --- /dathan: a task's date ---------------------------------------------------------------
# Set or replace: one service (bot/services/corrections.py) for the bot and the web console.

from bot.services.corrections import DeadlineResult  # noqa: E402  (re-exported for callers)


async def set_task_deadline(
    session: AsyncSession,
    *,
    task_id: int,
    due_on: date,
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
    province_ids: Iterable[int] | None = None,
) -> DeadlineResult:
    """Give a task this due date for each of its lead agencies, replacing its open dates
    (an event task's first date, or a misread one); the correction is kept for re-imports."""
    from bot.services.corrections import set_deadline

    return await set_deadline(
        session, task_id=task_id, dates=[due_on], now=now, actor_tg_id=actor_tg_id,
        actor_name=actor_name, province_ids=province_ids, text=None,
    )
