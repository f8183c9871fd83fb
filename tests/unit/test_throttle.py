"""The flood throttle's buckets (bot.domain.throttle): pure, time passed in."""

from __future__ import annotations

from bot.domain.throttle import Throttle, Verdict


def test_a_bucket_refuses_past_its_capacity_warns_once_and_says_when_to_retry() -> None:
    throttle = Throttle(capacity=3, rate=0.5)  # a token back every 2 s
    assert [throttle.check("u", 0.0) for _ in range(3)] == [Verdict.ALLOW] * 3
    assert throttle.retry_after("u", 0.0) == 2.0
    assert throttle.check("u", 0.0) is Verdict.REFUSE_AND_WARN
    assert throttle.check("u", 1.0) is Verdict.REFUSE
    assert throttle.retry_after("u", 1.0) == 1.0
    assert throttle.check("u", 2.0) is Verdict.ALLOW
    assert throttle.retry_after("someone else", 2.0) == 0.0


def test_keys_are_independent() -> None:
    throttle = Throttle(capacity=1, rate=0.1)
    assert throttle.check(1, 0.0) is Verdict.ALLOW
    assert throttle.check(1, 0.0) is Verdict.REFUSE_AND_WARN
    assert throttle.check(2, 0.0) is Verdict.ALLOW
