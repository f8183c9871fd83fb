"""Recipients on channels other than Telegram chats (e-mail addresses, Zalo accounts).

Repository functions: they take the caller's session and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import Agency, DueItem, OutboxMessage, Province, Recipient
from bot.domain.channels import Channel
from bot.domain.kinds import ChatRole, OutboxKind


async def get(session: AsyncSession, *, channel: Channel, address: str) -> Recipient | None:
    return await session.scalar(select(Recipient).where(Recipient.channel == channel, Recipient.address == address))


async def upsert(
    session: AsyncSession,
    *,
    province_id: int,
    channel: Channel,
    address: str,
    role: ChatRole,
    agency_id: int | None,
    person_name: str | None,
    actor_tg_id: int | None,
    now: datetime,
    always_remind: bool | None = None,
) -> tuple[Recipient, bool]:
    """Set an address for an agency (or a leader). An address already known is moved to
    this owner and made reachable again (an admin re-entering it says it works now).
    `always_remind` (an agency's mailbox): set it; None leaves it as it is.
    Returns the row and whether it is new."""
    row = await get(session, channel=channel, address=address)
    created = row is None
    if row is None:
        row = Recipient(channel=channel, address=address, created_at=now)
        session.add(row)
    row.province_id = province_id
    row.role = role
    row.agency_id = agency_id
    row.person_name = person_name
    row.active = True
    if always_remind is not None:
        row.always_remind = always_remind
    row.unreachable_at = None
    row.unreachable_reason = None
    row.created_by_tg_id = actor_tg_id
    await session.flush()
    return row, created


async def remove(session: AsyncSession, *, channel: Channel, address: str) -> bool:
    """Stop using an address (kept, inactive: the outbox rows that went to it refer to it)."""
    result = await session.execute(
        update(Recipient).where(Recipient.channel == channel, Recipient.address == address, Recipient.active == true())
        .values(active=False).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def of_agency(
    session: AsyncSession, *, agency_id: int, channel: Channel | None = None, active_only: bool = False
) -> list[Recipient]:
    query = select(Recipient).where(Recipient.agency_id == agency_id, Recipient.role == ChatRole.AGENCY)
    if channel is not None:
        query = query.where(Recipient.channel == channel)
    if active_only:
        query = query.where(Recipient.active == true())
    return list(await session.scalars(query.order_by(Recipient.id)))


async def active_by_agency(
    session: AsyncSession, *, agency_ids: Iterable[int], channels: Sequence[Channel] | None = None
) -> dict[int, list[Recipient]]:
    """The reachable recipients of each agency (role AGENCY), in id order."""
    ids = sorted(set(agency_ids))
    if not ids:
        return {}
    query = select(Recipient).where(
        Recipient.agency_id.in_(ids), Recipient.role == ChatRole.AGENCY, Recipient.active == true()
    )
    if channels is not None:
        query = query.where(Recipient.channel.in_(list(channels)))
    found: dict[int, list[Recipient]] = defaultdict(list)
    for row in await session.scalars(query.order_by(Recipient.id)):
        found[row.agency_id].append(row)  # type: ignore[index]
    return dict(found)


async def leaders(
    session: AsyncSession, *, province_id: int, channel: Channel | None = None
) -> list[Recipient]:
    """The province's reachable leaders' recipients (digests, reports, escalations)."""
    query = select(Recipient).where(
        Recipient.province_id == province_id, Recipient.role == ChatRole.LEADERS, Recipient.active == true()
    )
    if channel is not None:
        query = query.where(Recipient.channel == channel)
    return list(await session.scalars(query.order_by(Recipient.id)))


async def listing(session: AsyncSession, *, province_ids: Iterable[int]) -> list[tuple[Recipient, str | None]]:
    """Every recipient of the provinces with its agency's name (None: a leader)."""
    rows = await session.execute(
        select(Recipient, Agency.name)
        .outerjoin(Agency, Recipient.agency_id == Agency.id)
        .where(Recipient.province_id.in_(sorted(set(province_ids))))
        .order_by(Recipient.role, Agency.name, Recipient.channel, Recipient.address)
    )
    return [(r, name) for r, name in rows.all()]


async def mark_unreachable(session: AsyncSession, *, recipient_id: int, error: str, now: datetime) -> bool:
    """The address refused for good; True only for the call that flipped it (tell once)."""
    result = await session.execute(
        update(Recipient)
        .where(Recipient.id == recipient_id, Recipient.active == true())
        .values(active=False, unreachable_at=now, unreachable_reason=error[:1000])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


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


async def reachable_for_agency(
    session: AsyncSession, *, agency_id: int, channels: Sequence[Channel]
) -> list[Recipient]:
    """The reachable recipients that hear about an agency's work: its own and those of the
    agencies that took it over (a merged agency's items are its successor's work, as in
    the reminders), in id order."""
    chain = [agency_id]
    for _ in range(10):  # succession chains are short; the bound guards against cycles
        successor = await session.scalar(select(Agency.successor_id).where(Agency.id == chain[-1]))
        if successor is None or successor in chain:
            break
        chain.append(successor)
    found = await active_by_agency(session, agency_ids=chain, channels=channels)
    return sorted((r for rows in found.values() for r in rows), key=lambda r: r.id)


@dataclass(frozen=True)
class ItemsAudience:
    """Who hears about some due items' agencies (`reachable_for_items`)."""

    agency_of: dict[int, int]  # due item id → its agency id
    recipients: dict[int, list[Recipient]]  # agency id → reachable recipients, in id order


async def reachable_for_items(
    session: AsyncSession, *, due_item_ids: Sequence[int], channels: Sequence[Channel]
) -> ItemsAudience:
    """For each due item, its agency, and the reachable recipients that hear about that
    agency's work (its own and those of the agencies that took it over, as
    `reachable_for_agency`) — in ONE query: the succession chain is walked by a recursive
    CTE (at most 10 steps, as there), the recipients outer-joined to it. A status change
    asks this once for all its items instead of an item, a chain and a recipients query each."""
    ids = sorted(set(due_item_ids))
    if not ids:
        return ItemsAudience({}, {})
    chain = (
        select(
            DueItem.id.label("item_id"), DueItem.agency_id.label("root"), DueItem.agency_id.label("agency_id"),
            literal(0).label("depth"),
        )
        .where(DueItem.id.in_(ids))
        .cte("chain", recursive=True)
    )
    successor = aliased(Agency)
    chain = chain.union_all(
        select(chain.c.item_id, chain.c.root, successor.successor_id, chain.c.depth + 1)
        .join(successor, successor.id == chain.c.agency_id)
        .where(successor.successor_id.is_not(None), chain.c.depth < 10)
    )
    rows = await session.execute(
        select(chain.c.item_id, chain.c.root, Recipient)
        .outerjoin(
            Recipient,
            and_(
                Recipient.agency_id == chain.c.agency_id, Recipient.role == ChatRole.AGENCY, Recipient.active == true(),
                Recipient.channel.in_(list(channels)),
            ),
        )
        .order_by(chain.c.root, Recipient.id)
    )
    agency_of: dict[int, int] = {}
    found: dict[int, dict[int, Recipient]] = defaultdict(dict)
    for item_id, root, recipient in rows.all():
        agency_of[item_id] = root
        found.setdefault(root, {})
        if recipient is not None:
            found[root][recipient.id] = recipient
    return ItemsAudience(agency_of, {root: sorted(r.values(), key=lambda r: r.id) for root, r in found.items()})


async def leaders_without(
    session: AsyncSession, *, kind: OutboxKind, on_date: date, channel: Channel | None = None
) -> dict[int, list[Recipient]]:
    """Per province, its reachable leaders' recipients that have no outbox row of `kind`
    on `on_date` yet (e.g. today's escalation alert), in id order."""
    had = select(OutboxMessage.recipient_id).where(
        OutboxMessage.on_date == on_date, OutboxMessage.kind == kind, OutboxMessage.recipient_id.is_not(None)
    )
    query = select(Recipient).where(
        Recipient.role == ChatRole.LEADERS, Recipient.active == true(), Recipient.id.not_in(had)
    )
    if channel is not None:
        query = query.where(Recipient.channel == channel)
    found: dict[int, list[Recipient]] = defaultdict(list)
    for row in await session.scalars(query.order_by(Recipient.id)):
        found[row.province_id].append(row)
    return dict(found)
