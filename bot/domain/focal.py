"""What /daumoi did (a focal point of an agency's group), as a reason code the surfaces word."""

from __future__ import annotations

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
