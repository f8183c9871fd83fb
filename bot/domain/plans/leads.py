"""Lead and support cells → agency codes, never dropping a body the directory lacks.

- A cell is read segment by segment (";" and bullets separate). A segment that says what
  the body does after naming it ("Sở Khoa học và Công nghệ thúc đẩy, theo dõi, báo cáo chỉ
  tiêu", "Sở Nội vụ chủ trì tham mưu …") is cut at the role verb when that reads better;
  so is a qualifier ("… trong phạm vi chức năng, nhiệm vụ của mình").
- A confident match is used; a group is expanded to its members (a group with none is
  one collective recipient).
- A phrase that matches nothing but names a body ("Trung tâm Chuyển đổi số Thành phố",
  "Viện Nghiên cứu phát triển Thành phố": it opens with a word that names bodies) becomes
  a new agency of the plan, with the name as printed, flagged for review — reminders
  reach it once a chat is bound to it. A phrase that names nobody ("các cơ quan, đơn vị có
  liên quan") adds no lead.
- A match that is only a guess is not used; the task is flagged for review.
- In a plan issued after 1 July 2025, the district wordings ("UBND các huyện", "các địa
  phương") mean the communes: there are no districts left to remind.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from bot.domain.agencies import Agency, AgencyMatch, Directory
from bot.domain.plans.phrases import cut_at_role_verb, names_a_body
from bot.domain.text import clean, fold

NEW_CODE_PREFIX = "moi-"
_SEGMENT = re.compile(r"\s*;\s*|\s*\n\s*[-+•–]\s*")
_QUALIFIER = re.compile(
    r"\s+(?:trong phạm vi|theo|thuộc phạm vi)\s+(?:chức năng|lĩnh vực|thẩm quyền|nhiệm vụ)[^;]*$",
    re.IGNORECASE,
)
_MAX_NAME = 120


@dataclass
class Leads:
    codes: list[str] = field(default_factory=list)
    new: list[Agency] = field(default_factory=list)
    unknown: bool = False
    uncertain: bool = False

    def add(self, code: str) -> None:
        if code not in self.codes:
            self.codes.append(code)


def new_agency_code(name: str) -> str:
    """A stable code for a body the directory does not know, from its printed name."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
    digest = hashlib.sha1(fold(name).encode()).hexdigest()[:6]
    return f"{NEW_CODE_PREFIX}{slug[:48].rstrip('-')}-{digest}"


def _quality(directory: Directory, text: str) -> tuple[int, int]:
    """(−phrases not matched confidently, phrases matched) of a segment: higher is better,
    fewest unmatched first."""
    phrases = directory.split(text)
    good = sum(directory.match(p).confident for p in phrases)
    return good - len(phrases), good


def _best_reading(directory: Directory, segment: str) -> str:
    candidates = [segment]
    if (without := _QUALIFIER.sub("", segment)) != segment:
        candidates.append(without)
    for text in list(candidates):
        if (cut := cut_at_role_verb(text)) and cut != text:
            candidates.append(cut)
    return max(candidates, key=lambda c: _quality(directory, c))


DISTRICTS_GROUP = "ubnd-cap-huyen"
COMMUNES_GROUP = "ubnd-cap-xa"


def resolve_leads(cell: str, directory: Directory, *, without_districts: bool = False) -> Leads:
    """`without_districts`: the plan was issued after the district level was abolished
    (1 July 2025), so "UBND các huyện"/"các địa phương" mean the communes."""
    out = Leads()
    for segment in _SEGMENT.split(cell or ""):
        segment = clean(segment).strip(" .,:")
        if not segment:
            continue
        for phrase in directory.split(_best_reading(directory, segment)):
            found = directory.match(phrase)
            if found.confident and without_districts and found.group and found.group.code == DISTRICTS_GROUP:
                out.add(COMMUNES_GROUP if COMMUNES_GROUP in directory.groups else DISTRICTS_GROUP)
            elif found.confident:
                _add_match(out, found)
            elif found.matched:
                out.uncertain = True
            else:
                name = clean(cut_at_role_verb(phrase) or phrase).strip(" .,:")
                if names_a_body(name) and len(name) <= _MAX_NAME:
                    agency = Agency(code=new_agency_code(name), name=name, kind="other")
                    if agency.code not in {a.code for a in out.new}:
                        out.new.append(agency)
                    out.add(agency.code)
                out.unknown = True
    return out


def _add_match(out: Leads, found: AgencyMatch) -> None:
    if found.agency is not None:
        out.add(found.agency.code)
    elif found.group is not None:
        if not found.group.members:
            out.add(found.group.code)  # a collective recipient
        for code in found.group.members:
            out.add(code)
