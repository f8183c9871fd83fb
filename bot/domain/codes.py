"""Short task codes people type: "NV123" is the task with database id 123.

A plan's own numbering ("12", "II.3.a.2") repeats across plans, so lists show the
global code next to it and /nhiemvu accepts it as typed: "NV123", "nv 123", "#123", "123".
"""

from __future__ import annotations

import re

PREFIX = "NV"
_CODE = re.compile(r"^\s*(?:nv\s*[-_.]?\s*|#\s*)?0*(\d{1,9})\s*$", re.IGNORECASE)


def task_code(task_id: int) -> str:
    return f"{PREFIX}{task_id}"


def parse_task_code(text: str) -> int | None:
    """The task id in a typed code, None if the text is not a code."""
    match = _CODE.match(text or "")
    if not match:
        return None
    value = int(match.group(1))
    return value or None
