"""Sentence-level reading shared by the prose layouts: deadline phrases, field labels and
the agency a sentence is about.

- `find_deadline_phrase`: a deadline inside a sentence must follow a trigger word ("hoàn
  thành trước ngày …", "trong Quý III/2025", "định kỳ hằng tháng", "trước ngày 15 hằng
  tháng", "ngay sau khi …", "(khi Bộ Y tế có văn bản triển khai)", "trong thời hạn 10 ngày
  kể từ …"), so that dates inside document citations ("Nghị định số 09/2019/NĐ-CP ngày
  24/01/2019") are not taken for deadlines. Time expressions chained by commas, "và" or
  parentheses belong to one phrase ("định kỳ hàng tháng (trước ngày 16 hàng tháng), 6
  tháng (trước ngày 16/6), tổng kết năm (trước ngày 20/11 hàng năm)"), and a recurrence
  word right after a date belongs to it ("trước ngày 15/11 hằng năm").
- `split_labels`: "Nội dung: … - Cơ quan chủ trì: … Thời gian thực hiện: …" → fields, in
  any of the usual wordings, labels at the start or after a sentence end.
- `subject_agency`: the agency a sentence starts with — from the directory, or, for a body
  the directory does not know, the noun phrase before the role verb ("X chủ trì, phối hợp
  với Y …" → X) when it opens with a word that names bodies (Sở, Ban, Trung tâm, Công an…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.agencies import Agency, AgencyGroup, Directory
from bot.domain.text import fold, vn_key

# --- deadline phrases ------------------------------------------------------------------

_DATE = r"\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{4})?"
_LONG_DATE = r"ngay\s+\d{1,2}\s+thang\s+\d{1,2}(?:\s+nam\s+\d{4})?"
_QUARTER = r"quy\s+(?:iv|iii|ii|i|\d)\b(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?"
_MONTH = r"thang\s+\d{1,2}(?:\s*-\s*\d{1,2})?(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?"
_YEAR = r"nam\s+\d{4}(?:\s*-\s*\d{4})?"
_EVERY = r"(?:hang|moi)\s+(?:thang|quy|nam)"
_WHEN = (
    rf"(?:{_LONG_DATE}|(?:ngay\s+)?{_DATE}|ngay\s+\d{{1,2}}\s+{_EVERY}|{_QUARTER}|{_MONTH}"
    r"|6\s+thang\s+(?:dau|cuoi)\s+nam(?:\s+\d{4})?)"
)
_TRIGGERS = (
    re.compile(
        rf"(?<![\w/.-])(?:hoan thanh\s+)?(?:truoc|den het|den|het|trong|vao|tu|cham nhat(?:\s+la)?"
        rf"(?:\s+vao)?|xong truoc)\s+{_WHEN}"
    ),
    # A year alone is a deadline only after a deadline word: "đến năm 2030" is a horizon.
    re.compile(rf"(?<![\w/.-])(?:hoan thanh\s+)?(?:truoc|trong|cham nhat|den het|het)\s+{_YEAR}"),
    re.compile(rf"dinh ky\s+(?:{_EVERY}|6 thang)|\bhang\s+(?:thang|quy)\b"),
    re.compile(r"ngay sau khi\s+[^,.;()]+"),
    re.compile(
        r"\bkhi\s+(?:bo|chinh phu|thu tuong|trung uong|tong lien doan|cap co tham quyen|quoc hoi"
        r"|co phat sinh)\b[^,.;()]*"
    ),
    re.compile(r"\btrong (?:thoi han|vong)\s+\d+\s+ngay\b[^,.;()]*"),
)
# What may stand between two time expressions of one phrase, and what may follow one.
_CHAIN_GAP = re.compile(r"^[\s,;()]*(?:va|hoac)?[\s,()]*(?:[a-z0-9]+\s+){0,3}?[\s(]*$")
_BARE_WHEN = re.compile(rf"(?<![\w/.-]){_DATE}(?![\w/])")
_BARE_EVERY = re.compile(rf"^(?:dinh ky\s+)?{_EVERY}$")
_TRAILER = re.compile(rf"^\s*(?:{_EVERY}|cua nam (?:ke hoach|kh)|nam (?:ke hoach|kh))\b\)?")


def find_deadline_phrase(text: str) -> tuple[str, int] | None:
    """The deadline phrase of a sentence (original text) and where it starts, or None."""
    key = fold(text)
    source = key if len(key) != len(text) else text
    spans: list[tuple[int, int]] = []
    for pattern in _TRIGGERS:
        spans.extend((m.start(), m.end()) for m in pattern.finditer(key))
    if not spans:
        return None
    spans.sort()
    first = spans[0]
    # A bare date after the first trigger continues it ("trước ngày 01/6 và 15/11").
    bare = [(m.start(), m.end()) for m in _BARE_WHEN.finditer(key) if m.start() > first[1]]
    spans += bare
    spans.sort()
    start, end = first
    later: list[tuple[int, int]] = []
    for s, e in spans[spans.index(first) + 1 :]:
        if s <= end or _CHAIN_GAP.match(key[end:s]):
            end = max(end, e)
        else:
            later.append((s, e))
    if trailer := _TRAILER.match(key[end:]):
        end += trailer.end()
    phrase = source[start:end].strip(" ,;(")
    later = [span for span in later if span not in bare]
    if _BARE_EVERY.match(key[start:end].strip()) and later:
        # "định kỳ hàng năm báo cáo … chậm nhất ngày 17 tháng 12": the day comes later
        # in the same sentence.
        s, e = later[0]
        if not re.search(r"[.;]\s", key[end:s]):
            phrase = f"{phrase} … {source[s:e].strip(' ,;(')}"
    if phrase.count("(") < phrase.count(")"):
        phrase = phrase.rstrip(")")
    return phrase, start


# --- the agency a sentence is about ------------------------------------------------------

# Words that open the name of a public body (a general trait of Vietnamese administrative
# names, not a list of bodies): what comes before the role verb is then a name.
_BODY_HEADS = tuple(
    vn_key(head)
    for head in (
        "sở", "ban", "ủy ban", "ubnd", "công an", "bộ chỉ huy", "bộ", "trung tâm", "văn phòng",
        "thanh tra", "hội", "liên đoàn", "liên hiệp", "tỉnh đoàn", "thành đoàn", "đoàn", "báo",
        "đài", "kho bạc", "ngân hàng", "bảo hiểm", "cục", "chi cục", "viện", "trường", "bệnh viện",
        "thuế", "thống kê", "hiệp hội", "mặt trận", "ban chỉ huy", "cảnh sát", "quỹ",
        "tổng công ty", "công ty", "học viện", "đại học", "các sở", "hội đồng",
    )
)
_ROLE_VERB = re.compile(
    r"\s+(?:chu tri|phoi hop|thuc hien|tham muu|chiu trach nhiem|co trach nhiem|trien khai|to chuc"
    r"|xay dung|huong dan|theo doi|tong hop|bao cao|thuc day|dam bao|ra soat|chi dao|dang tai"
    r"|tuyen truyen|cap nhat|bo tri|quan ly|gui|de xuat|phat dong)\b"
)
# "Đề nghị X …"; "Căn cứ Kế hoạch này, X …": the subject comes after.
_REQUEST = re.compile(
    r"^(?:(?:can cu|tren co so|theo|trong pham vi|de|nham)\b[^,;.]{0,80},\s*)?(?:(?:de nghi|yeu cau|giao)\s+)?"
)
_MAX_SUBJECT = 160


@dataclass
class AliasIndex:
    """Folded names and aliases of a directory's agencies and groups, longest first."""

    entries: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, directory: Directory) -> AliasIndex:
        seen: set[str] = set()
        items: list[Agency | AgencyGroup] = [*directory.agencies.values(), *directory.groups.values()]
        for item in items:
            for name in (item.name, *item.aliases):
                key = fold(name)
                if len(key) >= 4:
                    seen.add(key)
        return cls(sorted(seen, key=len, reverse=True))

    def at_start(self, text: str) -> str | None:
        """The longest known agency phrase the text starts with (original characters)."""
        key = fold(text)
        for alias in self.entries:
            if key.startswith(alias) and (len(key) == len(alias) or not key[len(alias)].isalnum()):
                return text[: len(alias)] if len(key) == len(text) else alias
        return None


def names_a_body(text: str) -> bool:
    """The phrase opens with a word that names public bodies ("Trung tâm …", "Sở …")."""
    key = vn_key(text)
    return any(
        key.startswith(head) and (len(key) == len(head) or not key[len(head)].isalnum())
        for head in _BODY_HEADS
    ) and len(key.split()) >= 2


def cut_at_role_verb(text: str) -> str | None:
    """The name before the first role verb ("Sở X thúc đẩy, theo dõi …" → "Sở X"), or
    None when no verb follows a name."""
    key = fold(text)
    if len(key) != len(text):
        return None
    verb = _ROLE_VERB.search(key)
    if verb is None or verb.start() == 0:
        return None
    return text[: verb.start()].rstrip(" ,;:")


def has_role_verb(text: str) -> bool:
    """The text says what someone does ("… chủ trì, phối hợp …"), not only who."""
    return bool(_ROLE_VERB.search(fold(text)))


def subject_agency(text: str, index: AliasIndex) -> str | None:
    """The agency phrase a sentence starts with ("Đề nghị X …" counts as X), or None.

    A known agency at the start wins, extended to a list of them up to the role verb
    ("Sở Giáo dục và Đào tạo và Sở Y tế chủ trì" → both); otherwise a name opening with a
    body word and ending at the role verb.
    """
    key = fold(text)
    if len(key) != len(text):
        return None
    offset = _REQUEST.match(key).end()  # type: ignore[union-attr]  # matches empty at worst
    rest, rest_key = text[offset:], key[offset:]
    verb = _ROLE_VERB.search(rest_key[: _MAX_SUBJECT + 20])
    known = index.at_start(rest)
    if verb and verb.start() <= _MAX_SUBJECT:
        before = rest[: verb.start()].rstrip(" ,;:")
        if known and len(known) <= len(before) and _is_name_list(before[len(known) :]):
            return before
        if not known and names_a_body(before):
            return before
    return known


_NAME_LIST_TAIL = re.compile(r"^(?:\s*(?:,|;|va|\bva\b)\s*[^,;]{2,80})*\s*$")


def _is_name_list(tail: str) -> bool:
    """The text after a known name continues a list of names ("và Sở Y tế", ", Công an tỉnh")."""
    key = fold(tail).strip()
    if not key:
        return True
    return key.startswith(("va ", ", ", "; ", ",", ";")) and len(key) <= 120 and "(" not in key
