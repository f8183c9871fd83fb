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

import logging
from collections.abc import Sequence
from datetime import date, datetime

from bot.db import chats as chats_repo
from bot.db import recipients as recipients_repo
from bot.db.models import Recipient
from bot.db.outbox import ChannelMessage, enqueue, enqueue_for_recipients
from bot.db.session import AsyncSession
from bot.domain.channels import NOTICE_PIECES, Channel, NoticeSource, notice_part
from bot.domain.kinds import OutboxKind
from bot.logs import log_event
from bot.render.notices import notice_cut_line, notice_email, notice_zalo
from bot.render.split import split_blocks

log = logging.getLogger("nhacviec.notices")

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
    console_url: str | None = None,
    recipients: Sequence[Recipient] | None = None,
) -> int:
    """Queue a notice (Telegram HTML) for the agency's e-mail addresses (HTML + plain text,
    `subject`) and linked Zalo accounts (plain text, split under 2,000 characters); `skip`:
    the address the change came from (it has its own answer); `console_url`: the agency's
    signed console link, named when a notice is too long to send whole (`capped`).
    `recipients`: the agency's, when the caller has them already (`reachable_for_items`).
    Returns the rows added."""
    if recipients is None:
        recipients = await recipients_repo.reachable_for_agency(session, agency_id=agency_id, channels=OTHER_CHANNELS)
    messages: list[ChannelMessage] = []
    for recipient in recipients:
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
            pieces = capped(notice_zalo(html), console_url=console_url, channel=Channel.ZALO, agency_id=agency_id)
            messages += [
                ChannelMessage(
                    recipient_id=recipient.id, channel=Channel.ZALO, on_date=on_date, kind=OutboxKind.NOTICE,
                    body=piece, part=notice_part(source, source_id, index), parts=len(pieces),
                )
                for index, piece in enumerate(pieces)
            ]
    return len(await enqueue_for_recipients(session, messages, now=now))


def capped(pieces: list[str], *, console_url: str | None, channel: Channel, agency_id: int | None = None) -> list[str]:
    """A notice's messages, at most NOTICE_PIECES (its outbox parts, bot.domain.channels):
    one longer (Zalo: over ~62,000 characters, an answer naming hundreds of items) is cut
    visibly — its last message says how much was sent and where the whole is (the console,
    by `console_url` when there is one) — and a warning is logged; never cut silently."""
    if len(pieces) <= NOTICE_PIECES:
        return pieces
    kept = pieces[: NOTICE_PIECES - 1]
    log_event(
        log, "notice.cut",
        f"Thông báo quá dài cho {channel}: {len(pieces)} phần, chỉ gửi {len(kept)} phần và dòng báo phần còn lại",
        level=logging.WARNING, channel=channel, agency_id=agency_id, pieces=len(pieces), sent=len(kept),
    )
    return [*kept, notice_cut_line(len(kept), len(pieces), console_url)]


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
    chats = await chats_repo.chats_for_agency(session, agency_id=agency_id)
    return await _to_chats(session, [(c.id, c.tg_chat_id) for c in chats], html=html, source=source,
                           source_id=source_id, on_date=on_date, now=now)


async def to_telegram_chats(
    session: AsyncSession,
    *,
    tg_chat_ids: Sequence[int],
    html: str,
    source: NoticeSource,
    source_id: int,
    on_date: date,
    now: datetime,
    reply_to: int | None = None,
    due_item_id: int | None = None,
) -> int:
    """Queue a notice (HTML) for the bound Telegram chats among `tg_chat_ids` (an extension
    decision to the agency's chats named by the use case). `reply_to`: the message its first
    part answers (the request, in its chat); `due_item_id`: the item it is about, so that a
    reply to it ("xong") finds the item (numbered 0, bot/db/item_messages.py). Returns the
    rows added."""
    chats = [await chats_repo.get_chat(session, tg_chat_id=tg_chat_id) for tg_chat_id in dict.fromkeys(tg_chat_ids)]
    return await _to_chats(session, [(c.id, c.tg_chat_id) for c in chats if c is not None and c.active], html=html,
                           source=source, source_id=source_id, on_date=on_date, now=now, reply_to=reply_to,
                           due_item_id=due_item_id)


async def _to_chats(
    session: AsyncSession, chats: Sequence[tuple[int, int]], *, html: str, source: NoticeSource, source_id: int,
    on_date: date, now: datetime, reply_to: int | None = None, due_item_id: int | None = None,
) -> int:
    pieces = capped(split_blocks(html.split("\n\n"), separator="\n\n"), console_url=None, channel=Channel.TELEGRAM)
    rows = [
        {
            "chat_id": chat_id, "tg_chat_id": tg_chat_id, "on_date": on_date, "kind": OutboxKind.NOTICE,
            "part": notice_part(source, source_id, index), "parts": len(pieces), "body": piece,
            "reply_to_message_id": reply_to if index == 0 else None,
            "due_item_ids": [due_item_id] if due_item_id is not None else None, "first_number": 0,
            "next_attempt_at": now, "created_at": now,
        }
        for chat_id, tg_chat_id in chats
        for index, piece in enumerate(pieces)
    ]
    return len(await enqueue(session, rows))
