"""The outbox: every message to send as a row, and the state machine its delivery follows.

    pending ──claim──▶ claimed ──mark_sending──▶ sending ──accepted──▶ sent
       ▲                  │ lease expired            │ 429, ChatMigrated, 5xx (HTML or JSON),
       ├──────────────────┘ (never left us)          │   timeout, connection reset, anything
       ├─────────────────────────────────────────────┤   not proven permanent: back to pending
       │            lease expired (process died)     │   with backoff
       └─────────────────────────────────────────────┘
                                                     └─ chat gone / bad request / gave up:
                                                         failed, and the admins are told

Delivery is AT LEAST ONCE: a reminder is never lost, and the price is a bounded number of
duplicates. A request whose answer we did not get (read timeout, connection dropped after
the request left, the process killed while waiting) may or may not have reached Telegram;
it is sent again. The duplicates this can cause:
- a timeout or a dropped answer: at most one extra copy per such failure;
- a crash (kill -9, power loss): at most the rows that were `sending` at that moment. A
  sender marks a row `sending` in its own short transaction right after its pacing wait,
  immediately before the HTTP request, and `sent` right after the answer; at most
  `concurrency` rows (default 8) are in that state at once, and with evenly paced sends
  (one every ~36 ms) it is typically the one or two whose round trip was under way.

Leases and heartbeat: every row a sender holds (claimed or sending) carries `lease_until`;
the live sender renews its leases every few seconds (`renew_leases`), so a lease only runs
out when its process is gone. Every sender expires leases as it runs (`expire_leases`): a
dead process's claims go back to pending, and its `sending` rows too (see above), within
one lease (20 s by default) plus one sender interval.

`uncertain` is no longer set automatically (kept for rows from older versions and for
operators: `nhacviec tick --resend-uncertain` puts them back).

Claims are safe with several processes: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`
inside the claiming UPDATE, on SQLite a single UPDATE … WHERE status = 'pending' (SQLite
has one writer at a time, so the statement is atomic). Every later transition is a
conditional UPDATE on (id, status, claimed_by): a sender that lost its claim changes
nothing.

Channels (migration 0009_channels). Every row has a `channel`: Telegram rows go to a bound
chat or an admin (`chat_id` / `admin_tg_id`, `tg_chat_id`); e-mail and Zalo rows go to a
`Recipient` (`recipient_id`), with their own unique key (recipient, day, kind, part) and
their files in `outbox_files`. The states and transitions above are the same for all. Each
channel's sender claims only its own rows through the one `claim_ids` (`channel = …` on the
(channel, status, next_attempt_at) index), then loads them as it needs them
(`telegram_rows`, `channel_rows`): a channel that is down keeps its rows pending without
holding back any other channel's.

Functions take the caller's session and never commit; each transition is meant to run in
its own short transaction (`async with sessionmaker() as s, s.begin(): …`). What to do
about a chat or an address that is gone (tell the admins once) is bot/services/outbox.py's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.chats import ChatInfo
from bot.db.dialect import insert_ignore
from bot.db.models import Agency, Chat, OutboxFile, OutboxMessage, Province, Recipient
from bot.domain.channels import Channel
from bot.domain.kinds import OutboxKind, OutboxStatus

# Rows a tick leaves for the sender: anything not final.
OPEN_STATES = (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.SENDING)


async def enqueue(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert outbox rows, skipping any whose key exists already; returns the new ids.

    Each row needs chat_id or admin_tg_id, tg_chat_id, on_date, kind, part, body and the
    timestamps; the rest has defaults. A row of another channel has `channel` and
    `recipient_id` instead of chat_id/admin_tg_id/tg_chat_id (see `enqueue_for_recipients`).
    All rows of one call must have the same keys.
    """
    if not rows:
        return []
    result = await session.execute(insert_ignore(session, OutboxMessage).returning(OutboxMessage.id), list(rows))
    return [row[0] for row in result.all()]


@dataclass(frozen=True)
class ChannelMessage:
    """A message to queue for a recipient of another channel (e-mail, Zalo), rendered for it."""

    recipient_id: int
    channel: Channel
    on_date: date
    kind: OutboxKind
    body: str
    part: int = 0
    parts: int = 1
    subject: str | None = None
    alt_body: str | None = None
    # e-mail: dicts with filename, mime_type, data, content_id (None: attached; else inline)
    files: tuple[dict[str, Any], ...] = ()
    due_item_ids: tuple[int, ...] = ()
    first_number: int = 1


async def enqueue_for_recipients(
    session: AsyncSession, messages: Sequence[ChannelMessage], *, now: datetime
) -> list[int]:
    """Queue messages for recipients, skipping any whose (recipient, day, kind, part) key
    exists already (a repeated tick adds nothing); returns the new ids. Files go with the
    rows that are new."""
    if not messages:
        return []
    ordered = sorted(messages, key=lambda m: (m.recipient_id, m.kind, m.part))  # one lock order
    result = await session.execute(
        insert_ignore(session, OutboxMessage).returning(
            OutboxMessage.id, OutboxMessage.recipient_id, OutboxMessage.kind, OutboxMessage.part
        ),
        [
            {
                "channel": m.channel, "recipient_id": m.recipient_id, "on_date": m.on_date, "kind": m.kind,
                "part": m.part, "parts": m.parts, "body": m.body, "subject": m.subject, "alt_body": m.alt_body,
                "due_item_ids": list(m.due_item_ids) or None, "first_number": m.first_number,
                "next_attempt_at": now, "created_at": now,
            }
            for m in ordered
        ],
    )
    new = {(r[1], OutboxKind(r[2]), r[3]): r[0] for r in result.all()}
    for m in ordered:
        outbox_id = new.get((m.recipient_id, m.kind, m.part))
        if outbox_id is not None and m.files:
            await add_files(session, outbox_id=outbox_id, files=m.files)
    return sorted(new.values())


async def add_files(session: AsyncSession, *, outbox_id: int, files: Sequence[dict[str, Any]]) -> None:
    """Attach files to a queued row: dicts with filename, mime_type, data, content_id."""
    for position, f in enumerate(files):
        session.add(OutboxFile(outbox_id=outbox_id, position=position, **f))
    await session.flush()


# --- claiming ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A claimed row with what the sender needs; `address` is the chat's current id."""

    id: int
    chat_id: int | None
    admin_tg_id: int | None
    address: int
    chat_active: bool
    on_date: date
    kind: OutboxKind
    part: int
    parts: int
    body: str
    buttons: list[Any] | None
    attempts: int
    agency_id: int | None = None  # the chat's agency (None: leaders or an admin), for the logs
    due_item_ids: list[int] | None = None
    attachment: bytes | None = None  # sent as a document, `body` its caption
    attachment_name: str | None = None
    # kind EDIT: the message to rewrite (None: not known yet, see `edit_waiting`)
    edit_message_id: int | None = None
    edit_waiting: bool = False  # the row it rewrites is not sent yet: wait for it
    reply_to_message_id: int | None = None  # the message it answers, if any


@dataclass(frozen=True)
class FileRow:
    filename: str
    mime_type: str
    data: bytes
    content_id: str | None


@dataclass(frozen=True)
class ChannelRow:
    """A claimed row of a non-Telegram channel with its recipient and files."""

    id: int
    channel: Channel
    recipient_id: int
    address: str
    recipient_active: bool
    recipient_name: str | None  # the person, else the agency
    agency_id: int | None
    on_date: date
    kind: OutboxKind
    part: int
    parts: int
    body: str
    subject: str | None
    alt_body: str | None
    attempts: int
    files: tuple[FileRow, ...]


async def claim_ids(
    session: AsyncSession, *, channel: Channel, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Reserve up to `limit` due rows of `channel` (oldest first) for `worker`: their ids."""
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing (one writer)
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CLAIMED, claimed_by=worker, lease_until=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result.all()]


async def claim_telegram(
    session: AsyncSession, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Reserve up to `limit` due Telegram rows for `worker`, loaded for the Telegram sender."""
    ids = await claim_ids(session, channel=Channel.TELEGRAM, worker=worker, now=now, lease=lease, limit=limit)
    return await telegram_rows(session, ids=ids)


async def claim_channel(
    session: AsyncSession, *, channel: Channel, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[ChannelRow]:
    """Reserve up to `limit` due rows of another channel (e-mail, Zalo), with recipients and files."""
    ids = await claim_ids(session, channel=channel, worker=worker, now=now, lease=lease, limit=limit)
    return await channel_rows(session, ids=ids)


async def telegram_rows(session: AsyncSession, *, ids: Sequence[int]) -> list[Claimed]:
    """Claimed Telegram rows with their chat's current id (`address`) and first file."""
    if not ids:
        return []
    ids = list(ids)
    rows = await session.execute(
        select(OutboxMessage, Chat.tg_chat_id, Chat.active, Chat.agency_id)
        .outerjoin(Chat, OutboxMessage.chat_id == Chat.id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    )
    # A Telegram row's file (the leaders' alert's Excel list) goes as a document, the body
    # its caption: the first file of the row.
    files: dict[int, OutboxFile] = {}
    for f in await session.scalars(
        select(OutboxFile).where(OutboxFile.outbox_id.in_(ids)).order_by(OutboxFile.outbox_id, OutboxFile.position)
    ):
        files.setdefault(f.outbox_id, f)
    # An EDIT row rewrites a message sent before: directly (edit_message_id) or by the outbox
    # (edit_of: the row's message id and chat, once it is sent).
    messages = rows.all()
    targets = {m.edit_of for m, *_ in messages if m.edit_of is not None}
    sent_targets: dict[int, tuple[OutboxStatus, int | None, int | None]] = {}
    if targets:
        for target_id, status, tg_chat_id, tg_message_id in await session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.tg_chat_id, OutboxMessage.tg_message_id)
            .where(OutboxMessage.id.in_(targets))
        ):
            sent_targets[target_id] = (status, tg_chat_id, tg_message_id)
    claimed = []
    for message, chat_tg_id, chat_active, agency_id in messages:
        file = files.get(message.id)
        address = chat_tg_id if chat_tg_id is not None else int(message.tg_chat_id or 0)
        edit_message_id, edit_waiting = message.edit_message_id, False
        if message.kind is OutboxKind.EDIT and message.edit_of is not None:
            status, target_chat, target_message = sent_targets.get(message.edit_of, (OutboxStatus.FAILED, None, None))
            if status is OutboxStatus.SENT and target_message is not None:
                edit_message_id, address = target_message, int(target_chat or address)
            elif status in OPEN_STATES:
                edit_waiting = True
        claimed.append(
            Claimed(
                id=message.id,
                chat_id=message.chat_id,
                admin_tg_id=message.admin_tg_id,
                address=address,
                chat_active=bool(chat_active) if message.chat_id is not None else True,
                on_date=message.on_date,
                kind=message.kind,
                part=message.part,
                parts=message.parts,
                body=message.body,
                buttons=message.buttons,
                attempts=message.attempts,
                agency_id=agency_id,
                due_item_ids=message.due_item_ids,
                attachment=file.data if file is not None else None,
                attachment_name=file.filename if file is not None else None,
                edit_message_id=edit_message_id,
                edit_waiting=edit_waiting,
                reply_to_message_id=message.reply_to_message_id,
            )
        )
    return claimed


async def channel_rows(session: AsyncSession, *, ids: Sequence[int]) -> list[ChannelRow]:
    """Claimed rows of a non-Telegram channel with their recipient and files."""
    if not ids:
        return []
    ids = list(ids)
    files: dict[int, list[FileRow]] = defaultdict(list)
    for f in await session.scalars(
        select(OutboxFile).where(OutboxFile.outbox_id.in_(ids)).order_by(OutboxFile.outbox_id, OutboxFile.position)
    ):
        files[f.outbox_id].append(FileRow(f.filename, f.mime_type, f.data, f.content_id))
    rows = await session.execute(
        select(OutboxMessage, Recipient, Agency.name)
        .join(Recipient, OutboxMessage.recipient_id == Recipient.id)
        .outerjoin(Agency, Recipient.agency_id == Agency.id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    )
    return [
        ChannelRow(
            id=m.id, channel=m.channel, recipient_id=r.id, address=r.address, recipient_active=r.active,
            recipient_name=r.person_name or agency_name, agency_id=r.agency_id, on_date=m.on_date, kind=m.kind,
            part=m.part, parts=m.parts, body=m.body, subject=m.subject, alt_body=m.alt_body, attempts=m.attempts,
            files=tuple(files.get(m.id, ())),
        )
        for m, r, agency_name in rows.all()
    ]


# --- delivery transitions: conditional on (id, status, claimed_by) -----------------------------


async def _transition(
    session: AsyncSession, outbox_id: int, worker: str, from_states: Iterable[OutboxStatus], **values: Any
) -> bool:
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status.in_(list(from_states)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_sending(
    session: AsyncSession, *, outbox_id: int, worker: str, now: datetime, lease: timedelta
) -> bool:
    """claimed → sending, right before the request; False if the claim was lost."""
    return await _transition(
        session,
        outbox_id,
        worker,
        (OutboxStatus.CLAIMED,),
        status=OutboxStatus.SENDING,
        lease_until=now + lease,
        attempts=OutboxMessage.attempts + 1,
    )


async def mark_sent(
    session: AsyncSession, *, outbox_id: int, worker: str, now: datetime, message_id: int, tg_chat_id: int
) -> bool:
    """Telegram accepted it. Also from `uncertain`: a late answer settles the doubt."""
    return await _transition(
        session,
        outbox_id,
        worker,
        (OutboxStatus.SENDING, OutboxStatus.UNCERTAIN),
        status=OutboxStatus.SENT,
        sent_at=now,
        tg_message_id=message_id,
        tg_chat_id=tg_chat_id,
        lease_until=None,
        error=None,
    )


async def mark_delivered(session: AsyncSession, *, outbox_id: int, worker: str, now: datetime, ref: str | None) -> bool:
    """The channel's server accepted the message."""
    return await _transition(
        session,
        outbox_id,
        worker,
        (OutboxStatus.SENDING,),
        status=OutboxStatus.SENT,
        sent_at=now,
        delivery_ref=(ref or "")[:255] or None,
        lease_until=None,
        error=None,
    )


async def defer(
    session: AsyncSession, *, outbox_id: int, worker: str, until: datetime, error: str | None
) -> bool:
    """Not delivered, try again at `until` (429, 5xx, connection refused, chat migrated)."""
    return await _transition(
        session,
        outbox_id,
        worker,
        (OutboxStatus.CLAIMED, OutboxStatus.SENDING),
        status=OutboxStatus.PENDING,
        next_attempt_at=until,
        claimed_by=None,
        lease_until=None,
        error=error,
    )


async def release(session: AsyncSession, *, ids: Sequence[int], worker: str, until: datetime) -> int:
    """Give claimed rows back untouched (pacing wait too long, or the sender stops)."""
    if not ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(ids)),
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status == OutboxStatus.CLAIMED,
        )
        .values(status=OutboxStatus.PENDING, next_attempt_at=until, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(session: AsyncSession, *, outbox_id: int, worker: str, error: str) -> bool:
    return await _transition(
        session,
        outbox_id,
        worker,
        (OutboxStatus.CLAIMED, OutboxStatus.SENDING),
        status=OutboxStatus.FAILED,
        lease_until=None,
        error=error,
    )


async def renew_leases(session: AsyncSession, *, worker: str, until: datetime) -> int:
    """The heartbeat of a live sender: extend the lease of every row it holds."""
    # Rows another transaction is changing right now (a send being marked) are skipped, not
    # waited for: that change sets or clears the lease itself, and a plain UPDATE here took
    # row locks in scan order against the senders' id order — a deadlock on PostgreSQL.
    held = _locked_ids(
        OutboxMessage.claimed_by == worker,
        OutboxMessage.status.in_([OutboxStatus.CLAIMED, OutboxStatus.SENDING]),
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(held), OutboxMessage.claimed_by == worker)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _locked_ids(*where: Any) -> Any:
    """Ids of the matching rows, locked in id order, skipping rows locked by others
    (PostgreSQL; SQLite renders no locking clause: it has one writer at a time)."""
    return (
        select(OutboxMessage.id).where(*where).order_by(OutboxMessage.id)
        .with_for_update(skip_locked=True).scalar_subquery()
    )


async def expire_leases(session: AsyncSession, *, now: datetime, error: str) -> tuple[int, int]:
    """Rows of senders that died, back to pending: (claimed, sending) counts.

    A `sending` row may have reached Telegram before its process died: it is sent again
    anyway (at least once), noting `error`; the duplicate bound is in the module docstring.
    """
    stale_claims = _locked_ids(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.lease_until < now)
    released = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(stale_claims), OutboxMessage.status == OutboxStatus.CLAIMED)
        .values(status=OutboxStatus.PENDING, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    stale_sends = _locked_ids(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now)
    resent = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(stale_sends), OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_by=None, lease_until=None, next_attempt_at=now, error=error)
        .execution_options(synchronize_session=False)
    )
    return int(released.rowcount), int(resent.rowcount)  # type: ignore[attr-defined]


async def next_attempt_at(session: AsyncSession, *, channel: Channel) -> datetime | None:
    """When the earliest waiting row of `channel` becomes due (None: nothing waits)."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.PENDING
        )
    )


# --- chats that moved or went away, recipients that did -----------------------------------------


async def fail_pending_for_chat(session: AsyncSession, *, chat_id: int, error: str) -> int:
    """A chat went away: its pending rows fail with the reason (kept, not deleted)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, error=error)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def readdress_open_rows(session: AsyncSession, *, chat_id: int, new_tg_chat_id: int) -> None:
    """The chat's rows not sent yet go to its new Telegram id (a group became a supergroup)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status.in_(OPEN_STATES))
        .values(tg_chat_id=new_tg_chat_id)
        .execution_options(synchronize_session=False)
    )


async def readdress_row(session: AsyncSession, *, outbox_id: int, new_tg_chat_id: int) -> None:
    """One row (to an admin, no bound chat) goes to a new Telegram id."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(tg_chat_id=new_tg_chat_id)
        .execution_options(synchronize_session=False)
    )


async def row_chat_info(session: AsyncSession, *, outbox_id: int) -> ChatInfo | None:
    """The bound chat a row was for (None: the row went to an admin or a recipient)."""
    row = (
        await session.execute(
            select(Chat.tg_chat_id, Chat.title, Agency.name, Province.slug, Chat.agency_id)
            .select_from(OutboxMessage)
            .join(Chat, OutboxMessage.chat_id == Chat.id)
            .join(Province, Chat.province_id == Province.id)
            .outerjoin(Agency, Chat.agency_id == Agency.id)
            .where(OutboxMessage.id == outbox_id)
        )
    ).one_or_none()
    return ChatInfo(*row) if row is not None else None


async def fail_waiting(session: AsyncSession, *, recipient_id: int, error: str) -> int:
    """A recipient became unreachable: its waiting rows (pending, or claimed and not yet
    being sent: a sender then finds its claim gone) fail with the reason (kept)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.recipient_id == recipient_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.CLAIMED]),
        )
        .values(status=OutboxStatus.FAILED, error=error[:1000])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- posts that are rewritten later (extension requests) ---------------------------------------


@dataclass(frozen=True)
class Post:
    """A Telegram row that a later edit may rewrite: where it goes and how far it got."""

    id: int
    status: OutboxStatus
    chat_id: int | None
    admin_tg_id: int | None
    tg_chat_id: int | None
    tg_message_id: int | None  # once sent


async def posts(session: AsyncSession, *, kind: OutboxKind, part: int) -> list[Post]:
    """The Telegram rows of `kind` and `part` (an extension request's posts: part = its id)."""
    rows = await session.execute(
        select(
            OutboxMessage.id, OutboxMessage.status, OutboxMessage.chat_id, OutboxMessage.admin_tg_id,
            OutboxMessage.tg_chat_id, OutboxMessage.tg_message_id,
        )
        .where(OutboxMessage.channel == Channel.TELEGRAM, OutboxMessage.kind == kind, OutboxMessage.part == part)
        .order_by(OutboxMessage.id)
    )
    return [Post(*row) for row in rows.all()]


async def rewrite_pending(session: AsyncSession, *, outbox_id: int, body: str, buttons: list[Any] | None) -> bool:
    """Change what a row not claimed yet will send (then no edit is needed); False when a
    sender has it already (or it is done)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(body=body, buttons=buttons)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- operators ------------------------------------------------------------------------------


async def rearm(
    session: AsyncSession, *, on_date: date, states: Iterable[OutboxStatus], now: datetime
) -> int:
    """Put a day's uncertain/failed rows back to pending (an operator's explicit decision)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.on_date == on_date, OutboxMessage.status.in_(list(states)))
        .where(or_(OutboxMessage.chat_id.is_(None), OutboxMessage.chat_id.in_(select(Chat.id).where(Chat.active))))
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def status_counts(session: AsyncSession, *, on_date: date) -> dict[OutboxStatus, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).where(OutboxMessage.on_date == on_date)
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows.all()}


async def problems(session: AsyncSession, *, on_date: date) -> list[tuple[OutboxMessage, str | None]]:
    """The day's rows that were not delivered for sure, with the chat title."""
    rows = await session.execute(
        select(OutboxMessage, Chat.title)
        .outerjoin(Chat, OutboxMessage.chat_id == Chat.id)
        .where(
            and_(
                OutboxMessage.on_date == on_date,
                OutboxMessage.status.in_([OutboxStatus.UNCERTAIN, OutboxStatus.FAILED, OutboxStatus.PENDING]),
            )
        )
        .order_by(OutboxMessage.id)
    )
    return [(message, title) for message, title in rows.all()]
