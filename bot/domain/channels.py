"""The channels a message can go by. Pure: the outbox, the adapters and the renderers
name a channel with this enum; only the adapters (bot/channels/) know how to reach one."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"  # address: the chat id (a group or a private chat)
    EMAIL = "email"  # address: an e-mail address (normalised: lower-case domain)
    ZALO = "zalo"  # address: the Zalo Bot Platform chat id of a person


# What each channel's text may hold (characters of one message); longer texts are split.
TEXT_LIMIT: dict[Channel, int] = {Channel.TELEGRAM: 4096, Channel.EMAIL: 1_000_000, Channel.ZALO: 2000}


class NoticeSource(IntEnum):
    """What a one-off notice (outbox kind NOTICE) is about; with the id of that thing it
    makes the row's `part`, so the outbox's unique key (recipient, day, kind, part) holds
    one notice per thing and recipient without a read-then-write race."""

    CHANGE = 1  # a status change recorded (id: the history row of the first change)
    DECISION = 2  # an extension request decided (id: the request)
    ZALO_LINK = 3  # a Zalo account linked to the agency (id: the link code)


NOTICE_PIECES = 32  # a notice split into at most this many messages (Zalo: 64,000 characters)


def notice_part(source: NoticeSource, source_id: int, piece: int = 0) -> int:
    """The outbox `part` of piece `piece` of the notice about (`source`, `source_id`).

    Always ≥ NOTICE_PIECES (answers queued on Zalo use negative parts, see bot.db.zalo);
    ids up to about 16 million fit PostgreSQL's 32-bit integer.
    """
    if not 0 <= piece < NOTICE_PIECES:
        raise ValueError(f"piece {piece} out of 0…{NOTICE_PIECES - 1}")
    return (source_id * 4 + int(source)) * NOTICE_PIECES + piece
