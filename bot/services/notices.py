"""Notices about an agency's work to every channel it has, through the outbox.

A status change recorded (from any surface), an extension request decided, a Zalo account
linked: the agency's Telegram group sees the first two where they happen; its mailboxes
and its focal points' Zalo accounts hear of them here, and a change made on Zalo is posted
to its Telegram group here. Everything is queued in the caller's transaction — with the
change itself, so a notice exists if and only if the change does — and delivered by each
channel's sender with the outbox's guarantees (sent once, retried, a channel that is down
holding no other back).

Each notice's outbox key is (recipient, day, NOTICE, part) with the part derived from what
it is about (bot.domain.channels.notice_part): one notice per thing and recipient.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.db import chats as chats_repo
from bot.db import recipients as recipients_repo
from bot.db.outbox import ChannelMessage, enqueue, enqueue_for_recipients
from bot.db.session import AsyncSession
from bot.domain.channels import NOTICE_PIECES, Channel, NoticeSource, notice_part
from bot.domain.kinds import OutboxKind
from bot.render.notices import notice_email, notice_zalo
from bot.render.split import split_blocks

OTHER_CHANNELS = (Channel.EMAIL, Channel.ZALO)


async def to_agency_channels(
    session: AsyncSession,
    *,
    agency_id: int,
    html: str,
    subject: str,
    source: NoticeSource,
    source_id: int,
    on_date: date,
    now: datetime,
    skip: tuple[Channel, str] | None = None,
) -> int:
    """Queue a notice (Telegram HTML) for the agency's e-mail addresses (HTML + plain text,
    `subject`) and linked Zalo accounts (plain text, split under 2,000 characters); `skip`:
    the address the change came from (it has its own answer). Returns the rows added."""
    messages: list[ChannelMessage] = []
    for recipient in await recipients_repo.reachable_for_agency(session, agency_id=agency_id, channels=OTHER_CHANNELS):
        if skip is not None and (recipient.channel, recipient.address) == skip:
            continue
        if recipient.channel is Channel.EMAIL:
            mail = notice_email(html, subject=subject)
            messages.append(
                ChannelMessage(
                    recipient_id=recipient.id, channel=Channel.EMAIL, on_date=on_date, kind=OutboxKind.NOTICE,
                    body=mail.html, subject=mail.subject, alt_body=mail.text, part=notice_part(source, source_id),
                )
            )
        else:
            pieces = notice_zalo(html)[:NOTICE_PIECES]
            messages += [
                ChannelMessage(
                    recipient_id=recipient.id, channel=Channel.ZALO, on_date=on_date, kind=OutboxKind.NOTICE,
                    body=piece, part=notice_part(source, source_id, index), parts=len(pieces),
                )
                for index, piece in enumerate(pieces)
            ]
    return len(await enqueue_for_recipients(session, messages, now=now))


async def to_agency_groups(
    session: AsyncSession,
    *,
    agency_id: int,
    html: str,
    source: NoticeSource,
    source_id: int,
    on_date: date,
    now: datetime,
) -> int:
    """Queue a notice (HTML) for the agency's bound Telegram chats. Returns the rows added."""
    pieces = split_blocks(html.split("\n\n"), separator="\n\n")[:NOTICE_PIECES]
    rows = [
        {
            "chat_id": chat.id, "tg_chat_id": chat.tg_chat_id, "on_date": on_date, "kind": OutboxKind.NOTICE,
            "part": notice_part(source, source_id, index), "parts": len(pieces), "body": piece,
            "next_attempt_at": now, "created_at": now,
        }
        for chat in await chats_repo.chats_for_agency(session, agency_id=agency_id)
        for index, piece in enumerate(pieces)
    ]
    return len(await enqueue(session, rows))
