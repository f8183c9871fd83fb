"""Token buckets that keep one user or one chat from flooding the bot.

Pure: the caller passes the (monotonic) time. A key starts with `capacity` tokens,
each request takes one, tokens come back at `rate` per second. The first refusal
of a run is marked so the bot answers once ("you are sending too fast", with
`retry_after`) and then stays silent until the key has tokens again.

What is counted is the caller's choice: the bot counts only updates addressed to it
(handlers/guard.py), so chatter in a group where it is admin costs nobody anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE_AND_WARN = "warn"  # first refusal: tell the sender once
    REFUSE = "refuse"  # already told: stay silent


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


@dataclass
class Throttle:
    capacity: float = 8.0
    rate: float = 0.2  # tokens per second (12 a minute)
    max_keys: int = 10_000
    _buckets: dict[object, _Bucket] = field(default_factory=dict)

    def check(self, key: object, now: float) -> Verdict:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return Verdict.ALLOW
        if bucket.warned:
            return Verdict.REFUSE
        bucket.warned = True
        return Verdict.REFUSE_AND_WARN

    def retry_after(self, key: object, now: float) -> float:
        """Seconds until `key` has a token again (0 if it has one now)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop keys whose bucket has refilled: they carry no state worth keeping."""
        for key, b in list(self._buckets.items()):
            if b.tokens + (now - b.stamp) * self.rate >= self.capacity:
                del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()


def combine(*verdicts: Verdict) -> Verdict:
    """The strictest verdict; one warning is enough."""
    if all(v is Verdict.ALLOW for v in verdicts):
        return Verdict.ALLOW
    if any(v is Verdict.REFUSE_AND_WARN for v in verdicts):
        return Verdict.REFUSE_AND_WARN
    return Verdict.REFUSE


def check_flood(
    users: Throttle, chats: Throttle, *, user_id: int, group_id: int | None, now: float
) -> tuple[Verdict, float]:
    """The verdict on one update addressed to the bot, and the seconds to wait before retrying.

    Counted per user; a command typed in a group (`group_id`) also counts for that group (a
    group's own messages are limited to 20 a minute by Telegram). The surface answers a refused
    status reply every time ("not recorded, resend in N s"): it is never dropped in silence.
    """
    verdicts = [users.check(user_id, now)]
    retry = users.retry_after(user_id, now)
    if group_id is not None:
        verdicts.append(chats.check(group_id, now))
        retry = max(retry, chats.retry_after(group_id, now))
    return combine(*verdicts), retry
