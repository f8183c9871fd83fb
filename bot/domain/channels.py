"""The channels a message can go by. Pure: the outbox, the adapters and the renderers
name a channel with this enum; only the adapters (bot/channels/) know how to reach one."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"  # address: the chat id (a group or a private chat)
    EMAIL = "email"  # address: an e-mail address (normalised: lower-case domain)
    ZALO = "zalo"  # address: the Zalo Bot Platform chat id of a person


# What each channel's text may hold (characters of one message); longer texts are split.
TEXT_LIMIT: dict[Channel, int] = {Channel.TELEGRAM: 4096, Channel.EMAIL: 1_000_000, Channel.ZALO: 2000}
