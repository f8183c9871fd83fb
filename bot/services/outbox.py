"""The outbox: every reminder message as a row, and the state machine its delivery follows.

    pending ──claim──▶ claimed ──mark_sending──▶ sending ──Telegram accepted──▶ sent
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

Functions take the caller's session and never commit; each transition is meant to run in
its own short transaction (`async with sessionmaker() as s, s.begin(): …`).

Channels (migration 0009_channels). Every row has a `channel`: Telegram rows go to a bound
chat or an admin (`chat_id` / `admin_tg_id`, `tg_chat_id`); e-mail and Zalo rows go to a
`Recipient` (`recipient_id`), with their own unique key (recipient, day, kind, part) and
their files in `outbox_files`. The states and transitions above are the same for all;
each channel's sender claims only its own rows (`claim` here is Telegram's;
bot/db/channel_outbox.claim the others', used by bot/services/channel_sender.py), so a
channel that is down leaves the others' rows alone. A permanent refusal of an address
(`recipient_unreachable`) marks that recipient unreachable, fails its waiting rows and
tells the admins once, as `chat_unreachable` does for a chat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Insert, and_, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import channel_outbox, recipients
from bot.db.models import Agency, Chat, OutboxFile, OutboxMessage, Province
from bot.domain.admins import Admins
from bot.domain.channels import Channel
from bot.domain.kinds import OutboxKind, OutboxStatus
from bot.logs import log_event
from bot.render.channels import recipient_undeliverable_notice, recipient_unreachable_notice
from bot.render.reminders import (
    undeliverable_notice,
    unreachable_notice,
    unreachable_reason,
)

log = logging.getLogger("nhacviec.outbox")

# Rows a tick leaves for the sender: anything not final.
OPEN_STATES = (OutboxStatus.PENDING, OutboxStatus.CLAIMED, OutboxStatus.SENDING)


def insert_ignore(session: AsyncSession, model: type[Any]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL).

    No conflict target: any unique key the row collides with makes it a no-op.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"insert-ignore for {dialect}")  # pragma: no cover


def upsert(session: AsyncSession, model: type[Any]) -> Any:
    """The dialect's insert() with on_conflict_do_update available."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


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
            await channel_outbox.add_files(session, outbox_id=outbox_id, files=m.files)
    return sorted(new.values())


# --- claiming and delivery transitions --------------------------------------------------------


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


async def claim(
    session: AsyncSession, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Reserve up to `limit` Telegram rows that are due (oldest first) for `worker`."""
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == Channel.TELEGRAM,
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
    ids = [row[0] for row in result.all()]
    if not ids:
        return []
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
    claimed = []
    for message, chat_tg_id, chat_active, agency_id in rows.all():
        file = files.get(message.id)
        claimed.append(
            Claimed(
                id=message.id,
                chat_id=message.chat_id,
                admin_tg_id=message.admin_tg_id,
                address=chat_tg_id if chat_tg_id is not None else int(message.tg_chat_id or 0),
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
            )
        )
    return claimed


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


LEASE_LOST = "tiến trình gửi đã dừng khi đang gửi: gửi lại (có thể trùng một lần)"


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


async def expire_leases(session: AsyncSession, *, now: datetime) -> tuple[int, int]:
    """Rows of senders that died, back to pending: (claimed, sending) counts.

    A `sending` row may have reached Telegram before its process died: it is sent again
    anyway (at least once); the duplicate bound is in the module docstring.
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
        .values(status=OutboxStatus.PENDING, claimed_by=None, lease_until=None, next_attempt_at=now, error=LEASE_LOST)
        .execution_options(synchronize_session=False)
    )
    return int(released.rowcount), int(resent.rowcount)  # type: ignore[attr-defined]


async def next_attempt_at(session: AsyncSession) -> datetime | None:
    """When the earliest waiting Telegram row becomes due (None: nothing waits)."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.channel == Channel.TELEGRAM, OutboxMessage.status == OutboxStatus.PENDING
        )
    )


# --- chats that moved or went away ------------------------------------------------------------


async def readdress(
    session: AsyncSession, *, outbox_id: int, worker: str, chat_id: int | None, new_tg_chat_id: int, now: datetime
) -> str:
    """A group became a supergroup: point the chat (and its waiting rows) at the new id and
    put the row back to be sent again at once. Returns what was done, for the log."""
    note = f"nhóm đã chuyển thành siêu nhóm {new_tg_chat_id}"
    if chat_id is not None:
        owner = await session.scalar(select(Chat).where(Chat.tg_chat_id == new_tg_chat_id))
        if owner is None:
            await session.execute(
                update(Chat).where(Chat.id == chat_id).values(tg_chat_id=new_tg_chat_id)
                .execution_options(synchronize_session=False)
            )
        elif owner.id != chat_id:
            # The supergroup is bound as a chat of its own (bound after the upgrade): it gets
            # its own reminders; this stale binding stops here.
            await session.execute(
                update(Chat).where(Chat.id == chat_id).values(active=False)
                .execution_options(synchronize_session=False)
            )
            await mark_failed(
                session, outbox_id=outbox_id, worker=worker,
                error=f"{note}, đã được đăng ký riêng (chat {owner.id})",
            )
            return "superseded"
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status.in_(OPEN_STATES))
            .values(tg_chat_id=new_tg_chat_id)
            .execution_options(synchronize_session=False)
        )
    else:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(tg_chat_id=new_tg_chat_id)
            .execution_options(synchronize_session=False)
        )
    await defer(session, outbox_id=outbox_id, worker=worker, until=now, error=note)
    return "readdressed"


async def chat_unreachable(
    session: AsyncSession,
    *,
    chat_id: int,
    error: str,
    on_date: date,
    now: datetime,
    admins: Admins,
) -> bool:
    """The bot can no longer write to a bound chat (removed, blocked, chat gone).

    The chat is marked inactive; its waiting rows fail with the reason (kept, not deleted);
    and — only by the call that actually deactivated it, so once — every admin of the
    chat's province gets a private notice through the outbox. Returns whether this call deactivated the chat.
    Also usable by the my_chat_member handler when Telegram reports the removal first.
    """
    flipped = await session.execute(
        update(Chat).where(Chat.id == chat_id, Chat.active == true()).values(active=False)
        .execution_options(synchronize_session=False)
    )
    reason = unreachable_reason(error)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, error=f"nhóm không liên lạc được: {error}")
        .execution_options(synchronize_session=False)
    )
    if not flipped.rowcount:  # type: ignore[attr-defined]
        return False
    row = (
        await session.execute(
            select(Chat.tg_chat_id, Chat.title, Agency.name, Province.slug, Chat.agency_id)
            .join(Province, Chat.province_id == Province.id)
            .outerjoin(Agency, Chat.agency_id == Agency.id)
            .where(Chat.id == chat_id)
        )
    ).one()
    log_event(
        log, "chat.unreachable", f"Nhóm {row.tg_chat_id} không còn liên lạc được ({reason}); đã ngừng nhắc",
        level=logging.WARNING, chat_id=row.tg_chat_id, agency_id=row.agency_id, province=row.slug, error=error,
    )
    body = unreachable_notice(agency_name=row.name, chat_title=row.title, tg_chat_id=row.tg_chat_id, reason=reason)
    await enqueue(
        session,
        [
            {
                "admin_tg_id": admin,
                "tg_chat_id": admin,
                "on_date": on_date,
                "kind": OutboxKind.UNREACHABLE,
                "part": chat_id,  # one notice per lost chat and day
                "parts": 1,
                "body": body,
                "next_attempt_at": now,
                "created_at": now,
            }
            for admin in sorted(admins.of(row.slug))
        ],
    )
    return True


async def row_undeliverable(
    session: AsyncSession, *, outbox_id: int, error: str, on_date: date, now: datetime, admins: Admins
) -> int:
    """A row failed for good (Telegram refused it, or every retry failed): tell the admins
    of its chat's province, once per row. Returns the notices queued.

    The notices reuse the UNREACHABLE kind with `part = -outbox_id` (a chat's notices use
    the positive Chat.id), so no new kind, and one notice per failed row and admin.
    An admin's own notice that fails is only logged (no notice about a notice).
    """
    row = (
        await session.execute(
            select(Chat.tg_chat_id, Chat.title, Agency.name, Province.slug)
            .select_from(OutboxMessage)
            .join(Chat, OutboxMessage.chat_id == Chat.id)
            .join(Province, Chat.province_id == Province.id)
            .outerjoin(Agency, Chat.agency_id == Agency.id)
            .where(OutboxMessage.id == outbox_id)
        )
    ).one_or_none()
    if row is None:
        return 0
    body = undeliverable_notice(agency_name=row.name, chat_title=row.title, tg_chat_id=row.tg_chat_id, error=error)
    ids = await enqueue(
        session,
        [
            {
                "admin_tg_id": admin, "tg_chat_id": admin, "on_date": on_date, "kind": OutboxKind.UNREACHABLE,
                "part": -outbox_id, "parts": 1, "body": body, "next_attempt_at": now, "created_at": now,
            }
            for admin in sorted(admins.of(row.slug))
        ],
    )
    return len(ids)


# --- recipients of the other channels ----------------------------------------------------------

# Notices about a recipient use kind NOTICE with part = recipient id (one per address and
# day); those about one failed row reuse UNREACHABLE with part = -outbox_id (ids are unique
# across channels).


def _admin_rows(admins: Iterable[int], *, on_date: date, kind: OutboxKind, part: int, body: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "admin_tg_id": admin, "tg_chat_id": admin, "on_date": on_date, "kind": kind, "part": part,
            "parts": 1, "body": body, "next_attempt_at": now, "created_at": now,
        }
        for admin in sorted(admins)
    ]


async def recipient_unreachable(
    session: AsyncSession, *, recipient_id: int, error: str, on_date: date, now: datetime, admins: Admins
) -> bool:
    """An address refused for good (mailbox unknown, the person blocked the bot): the
    recipient is marked unreachable, its waiting rows fail, and — only by the call that
    flipped it — the province's admins are told through Telegram. Returns that flip."""
    flipped = await recipients.mark_unreachable(session, recipient_id=recipient_id, error=error, now=now)
    await channel_outbox.fail_waiting(session, recipient_id=recipient_id, error=f"địa chỉ không liên lạc được: {error}")
    if not flipped:
        return False
    info = await channel_outbox.recipient_info(session, recipient_id=recipient_id)
    if info is None:  # pragma: no cover - the row was just updated
        return False
    log_event(
        log, "recipient.unreachable", f"Địa chỉ {info.channel} {info.address} không còn liên lạc được; đã ngừng gửi",
        level=logging.WARNING, channel=info.channel, recipient_id=recipient_id, province=info.province_slug, error=error,
    )
    body = recipient_unreachable_notice(
        channel=info.channel, address=info.address, name=info.name, agency_name=info.agency_name, error=error
    )
    await enqueue(
        session,
        _admin_rows(admins.of(info.province_slug), on_date=on_date, kind=OutboxKind.NOTICE, part=recipient_id, body=body, now=now),
    )
    return True


async def recipient_undeliverable(
    session: AsyncSession, *, outbox_id: int, recipient_id: int, error: str, on_date: date, now: datetime, admins: Admins
) -> int:
    """One row to a recipient failed for good: tell the province's admins, once per row."""
    info = await channel_outbox.recipient_info(session, recipient_id=recipient_id)
    if info is None:
        return 0
    body = recipient_undeliverable_notice(
        channel=info.channel, address=info.address, name=info.name, agency_name=info.agency_name, error=error
    )
    rows = _admin_rows(
        admins.of(info.province_slug), on_date=on_date, kind=OutboxKind.UNREACHABLE, part=-outbox_id, body=body, now=now
    )
    return len(await enqueue(session, rows))


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
