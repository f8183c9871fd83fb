"""What every layout reader hands the parser: a task before agencies and deadlines are resolved."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RawTask:
    """A task as found in the text: original wording, agency and deadline phrases as written."""

    ref: str  # unique within the plan: "12", "II.3", "III.2.a"
    section: str | None
    title: str
    product: str | None = None
    lead_text: str | None = None
    support_text: str | None = None
    deadline_text: str | None = None
    notes: str | None = None
    lead_codes: tuple[str, ...] | None = None  # set when the lead comes from a heading
    # The row or item printed no deadline although its layout has a place for one (a table
    # with a time column, a labelled item): the plan sets none, nothing is to be assumed.
    deadline_slot: bool = False
