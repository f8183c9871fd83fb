"""Agency-heading prose: duties listed under the agency that owns them.

Recognises a heading that names only agencies, with what plans put around the name:
"1. Sở Tư pháp", "b) Văn phòng Ủy ban nhân dân tỉnh:", "1.2. Sở Tài chính - Cơ quan thường
trực Ban Chỉ đạo" (a description after a dash), "Sở Nội vụ (Cơ quan thường trực …):",
"Thủ trưởng các sở, ban, ngành", "Đề nghị Ủy ban MTTQ Việt Nam tỉnh", "Các sở, ban, ngành
có trách nhiệm" (cut at the role verb), "Các cơ quan quản lý ngành (gồm các Sở: Xây dựng,
Công Thương, …)" (the list says who). And an introducing line ending with ":" ("c) X tổ
chức thực hiện các nội dung sau (khi …):"), whose subject leads the list below it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.agencies import Agency, AgencyGroup, Directory
from bot.domain.plans.phrases import cut_at_role_verb
from bot.domain.text import clean, fold

# Words before an agency in a heading that are not part of its name.
_HEADING_PREFIX = re.compile(
    r"^(?:(?:de nghi|giao|trach nhiem cua|nhiem vu cua)\s+)?(?:(?:thu truong|giam doc|chu tich|lanh dao)\s+)?"
)
_HEADING_TAIL = re.compile(r"\s+[-–—]\s+.*$")
_MEMBERS = re.compile(r"\((?:gom|bao gom)\s+(.+?)\)?\s*:?$")
_MAX_HEADING = 200


def lead_codes(agencies: Sequence[Agency], groups: Sequence[AgencyGroup]) -> tuple[str, ...]:
    codes = [a.code for a in agencies]
    # A group with no known members in this province is reminded as one collective.
    codes += [g.code for g in groups if not g.members]
    return tuple(dict.fromkeys(codes))


def agency_heading(text: str, directory: Directory) -> tuple[tuple[str, ...], str] | None:
    """A heading that names only agencies assigns the items under it: (codes, name)."""
    if len(text) > _MAX_HEADING:
        return None
    name = clean(text).rstrip(" :.")
    key = fold(name)
    if len(key) != len(name):
        return None
    if prefix := _HEADING_PREFIX.match(key):
        name = name[prefix.end() :]
    name = _HEADING_TAIL.sub("", name)
    if members := _MEMBERS.search(fold(name)):
        # "Các cơ quan … (gồm các Sở: Xây dựng, …)": the list says who.
        start = members.start(1)
        listed = name[start : start + len(members.group(1))]
        resolution = directory.resolve(listed)
        codes = lead_codes(resolution.agencies, resolution.groups)
        if codes and not resolution.unknown:
            return codes, listed
    for candidate in (name, cut_at_role_verb(name)):
        if not candidate:
            continue
        resolution = directory.resolve(candidate)
        if resolution.unknown or resolution.uncertain:
            continue
        codes = lead_codes(resolution.agencies, resolution.groups)
        if codes:
            return codes, candidate
    return None


def is_intro(text: str) -> bool:
    """A sentence that introduces the list below it ("… thực hiện các nội dung sau:")."""
    return text.rstrip().endswith(":") and len(text) > 60
