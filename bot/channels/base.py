"""The one interface every channel adapter implements, and what it is given and returns.

An adapter is small: it turns an `Outgoing` message (already rendered for its channel when
it was queued) into one request to its service and classifies the answer:

    SENT         delivered (or accepted by the server): `ref` is the service's id for it
    RETRY        not delivered for sure, may go later (server down, 4xx SMTP, 5xx, 429,
                 timeout): the row waits `retry_after` seconds or the sender's backoff.
                 `channel_down=True` when the service itself is out (connection refused,
                 login failed): the sender stops this channel for a while, not just the row.
    UNREACHABLE  the address is gone for good (mailbox refused: SMTP 5xx on RCPT; Zalo user
                 blocked the bot): the recipient is marked unreachable, its waiting rows
                 fail, the admins are told once.
    REJECTED     this message can never go (too large, malformed) but the address is fine:
                 the row fails and the admins are told.

An adapter never raises for a delivery failure: anything unexpected is RETRY (at least
once, like the Telegram sender). It holds no outbox state; the sender (bot/services/
channel_sender.py) claims rows per channel, paces with `pacing`, and records results.

Writing a new adapter (e.g. bot/channels/zalo.py):

    class ZaloChannel:
        channel = Channel.ZALO
        pacing = Pacing(per_second=5, concurrency=4)
        async def send(self, message: Outgoing) -> SendResult: ...
        async def aclose(self) -> None: ...

and give it to `scheduler.channels.install_channels(app, [adapter, …])` (the composition
root builds adapters from settings: `bot.channels.registry.adapters_from_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.domain.channels import Channel


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    UNREACHABLE = "unreachable"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Attachment:
    """A file with the message. E-mail: attached, or inline when `content_id` is set (the
    HTML body shows it as <img src="cid:…">). Channels without files ignore them."""

    filename: str
    mime_type: str
    data: bytes
    content_id: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One outbox row, rendered for its channel, ready to send."""

    outbox_id: int
    channel: Channel
    address: str  # e-mail address, Zalo chat id, Telegram chat id (as text)
    body: str  # Telegram: HTML; e-mail: the HTML part; Zalo: plain text (≤ 2,000 chars)
    subject: str | None = None  # e-mail
    alt_body: str | None = None  # e-mail: the plain-text part
    files: tuple[Attachment, ...] = ()
    part: int = 0
    parts: int = 1
    recipient_name: str | None = None  # a person's or an agency's name (e-mail "To" display)


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    ref: str | None = None  # SENT: the service's id (Message-ID, message id)
    error: str | None = None  # anything else: why, as the service said it
    retry_after: float | None = None  # RETRY: the service said when (seconds)
    channel_down: bool = False  # RETRY: the service itself is out, not this message

    @classmethod
    def sent(cls, ref: str | None = None) -> SendResult:
        return cls(Outcome.SENT, ref=ref)

    @classmethod
    def retry(cls, error: str, *, retry_after: float | None = None, channel_down: bool = False) -> SendResult:
        return cls(Outcome.RETRY, error=error, retry_after=retry_after, channel_down=channel_down)

    @classmethod
    def unreachable(cls, error: str) -> SendResult:
        return cls(Outcome.UNREACHABLE, error=error)

    @classmethod
    def rejected(cls, error: str) -> SendResult:
        return cls(Outcome.REJECTED, error=error)


@dataclass(frozen=True)
class Pacing:
    """How fast the sender may go on this channel: `per_second` messages a second overall
    (evenly spaced), `concurrency` requests at once; parts to one address go in order."""

    per_second: float = 5.0
    concurrency: int = 2
    extra: dict[str, float] = field(default_factory=dict)  # adapter-specific, informative


@runtime_checkable
class ChannelAdapter(Protocol):
    """What the outbox sender needs of a channel."""

    channel: Channel
    pacing: Pacing

    async def send(self, message: Outgoing) -> SendResult:
        """Deliver one message; classify any failure (never raise for one)."""
        ...

    async def aclose(self) -> None:
        """Release connections (at shutdown)."""
        ...
