"""JSON forms of domain values stored in JSON columns (the one place that maps them)."""

from __future__ import annotations

from typing import Any

from bot.domain.deadlines import DeadlineRule


def deadline_to_json(rule: DeadlineRule) -> dict[str, Any]:
    """The stored form of a deadline rule (tasks.deadline_rule)."""
    return rule.to_dict()


def deadline_from_json(data: dict[str, Any]) -> DeadlineRule:
    """Inverse of `deadline_to_json`; ValueError on malformed stored data."""
    return DeadlineRule.from_dict(data)
