"""Outbox rows of the channels other than Telegram (e-mail, Zalo): claiming one channel's
rows, their files, and the transitions only they have. The life of a row is the one
bot/services/outbox.py describes; the shared transitions (mark_sending, defer, release,
mark_failed, expire/renew leases) are used as they are.

Each channel is claimed on its own (`channel = …` on the (channel, status,
next_attempt_at) index): a channel that is down keeps its rows pending without holding
back any other channel's. Claims use FOR UPDATE SKIP LOCKED on PostgreSQL, one UPDATE on
SQLite, like the Telegram claim.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, OutboxFile, OutboxMessage, Province, Recipient
from bot.domain.channels import Channel
from bot.domain.kinds import OutboxKind, OutboxStatus


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


async def claim(
    session: AsyncSession, *, channel: Channel, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[ChannelRow]:
    """Reserve up to `limit` due rows of `channel` (oldest first) for `worker`."""
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
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


async def mark_delivered(session: AsyncSession, *, outbox_id: int, worker: str, now: datetime, ref: str | None) -> bool:
    """The channel's server accepted the message."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(status=OutboxStatus.SENT, sent_at=now, delivery_ref=(ref or "")[:255] or None, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


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


async def add_files(session: AsyncSession, *, outbox_id: int, files: Sequence[dict[str, Any]]) -> None:
    """Attach files to a queued row: dicts with filename, mime_type, data, content_id."""
    for position, f in enumerate(files):
        session.add(OutboxFile(outbox_id=outbox_id, position=position, **f))
    await session.flush()


async def next_attempt_at(session: AsyncSession, *, channel: Channel) -> datetime | None:
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.channel == channel, OutboxMessage.status == OutboxStatus.PENDING
        )
    )


@dataclass(frozen=True)
class RecipientInfo:
    channel: Channel
    address: str
    name: str | None  # the person or the agency
    agency_name: str | None
    province_slug: str


async def recipient_info(session: AsyncSession, *, recipient_id: int) -> RecipientInfo | None:
    row = (
        await session.execute(
            select(Recipient.channel, Recipient.address, Recipient.person_name, Agency.name, Province.slug)
            .join(Province, Recipient.province_id == Province.id)
            .outerjoin(Agency, Recipient.agency_id == Agency.id)
            .where(Recipient.id == recipient_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return RecipientInfo(row[0], row[1], row[2] or row[3], row[3], row[4])


async def counts_by_channel(session: AsyncSession, *, on_date: date) -> dict[tuple[Channel, OutboxStatus], int]:
    rows = await session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.on_date == on_date)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    return {(c, s): n for c, s, n in rows.all()}
