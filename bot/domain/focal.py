"""/daumoi: the word typed after it (parsed here: Vietnamese keywords are grammar, not
output) and what it did (a focal point of an agency's group), as a reason code the surfaces word."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class FocalOutcome(StrEnum):
    NOT_BOUND = "not_bound"  # the group is not an agency's
    REGISTERED = "registered"
    ALREADY = "already"
    PRIVATE_ON = "private_on"
    PRIVATE_TAKEN = "private_taken"  # the person's private chat already serves another agency
    PRIVATE_OFF = "private_off"
    LEFT = "left"
    NOT_ONE = "not_one"  # leaving / group-only, but not a focal point


class FocalAction(StrEnum):
    REGISTER = "register"
    PRIVATE = "private"  # register, with a private copy
    GROUP_ONLY = "group_only"  # keep registered, no private copy
    LEAVE = "leave"
    UNKNOWN = "unknown"


_ACTIONS = {
    "": FocalAction.REGISTER,
    "rieng": FocalAction.PRIVATE, "riêng": FocalAction.PRIVATE,
    "nhom": FocalAction.GROUP_ONLY, "nhóm": FocalAction.GROUP_ONLY,
    "bo": FocalAction.LEAVE, "bỏ": FocalAction.LEAVE, "huy": FocalAction.LEAVE, "hủy": FocalAction.LEAVE,
}


def parse_action(args: Iterable[str]) -> FocalAction:
    """The word after /daumoi (accents and case ignored where Vietnamese typists drop them)."""
    word = " ".join(args).strip().casefold()
    return _ACTIONS.get(word, FocalAction.UNKNOWN)
