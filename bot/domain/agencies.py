"""Agency directory: plan phrases → agencies and groups, group expansion, 2025 succession.

Data lives in YAML (`standard.yaml` + one file per province, see their headers); the
caller passes the folder. Everything here is pure and deterministic.

Matching (`Directory.match`) compares token lists built by `fold` (accent and case
insensitive, đ = d), with "&" read as "và" and the fillers "và"/"các" ignored, so
"Sở KH&ĐT", "Sở Kế hoạch & ĐT" and "so ke hoach va dau tu" are the same phrase. A phrase
is aligned against every name and alias; one phrase word may stand for

- the same syllable (after folding): exact;
- the initials of consecutive syllables ("KH" = Kế hoạch, "UBND" = Ủy ban nhân dân,
  "VH-TT-DL", "KHĐT"): exact, abbreviations are how plans are written;
- the syllable with accented letters lost ("s" = sở, "cp" = cấp), the legacy-font damage
  in Sóc Trăng's plans: −0.05 per syllable (a lone "v"/"cc", the fillers "và"/"các"
  so damaged, may also be skipped at that cost);
- nothing, for a leading "Sở" missing ("Tài chính" inside "Các Sở: Tài chính; …"): −0.03.

The outcomes, by score:

- full alignment: 1.0 minus the penalties above;
- the phrase covers only the first ≥3 syllables of a name ("Sở Văn hóa", "Sở Nông
  nghiệp"): 0.75 — a guess, never confident;
- otherwise, when the first words agree and the words pair up one to one with
  look-alikes (typos change words, they don't add any), difflib's ratio minus 0.03;
- "tỉnh <province>" in a phrase is read as "tỉnh"; trailing qualifiers ("liên quan",
  "theo lĩnh vực quản lý", "tỉnh") are dropped when the whole phrase is no confident
  match ("UBND huyện, thành, thị liên quan" is the whole group: which districts are
  "concerned" is not knowable).

A match is `confident` when its score is ≥ CONFIDENT (0.9) and beats every other
agency or group by MARGIN (0.05); the parser flags everything else for review. Below
MIN_SCORE (0.6) the phrase is unknown (agency and group None). Two entries within TIE
(0.02) of the top make the phrase ambiguous: agency and group None, `candidates` lists
them ("Sở Nông nghiệp": before 2025 NN&PTNT, after it NN&MT). `AgencyMatch` therefore is:
confident → exactly one of agency/group; not confident with agency/group → best guess
(alternatives in `candidates`); neither but candidates → ambiguous; nothing → unknown.

Splitting a cell (`Directory.split`): ";" (and a new line starting with a bullet) always
separates — other line breaks are cell wrapping, read as spaces; "," and "và"
separate only where the pieces are not one name together — the longest run of pieces
that matches confidently wins, so "Sở, ban, ngành" and "Sở Kế hoạch và Đầu tư" stay
whole while "Sở Nội vụ, Sở Tài chính" splits. "Các Sở: Tài chính; Nội vụ" distributes
"Sở" over the items that match better with it; a trailing "…" is dropped.

Decisions on the borderline phrases (tests pin them):
- "Sở Văn hóa" alone → Sở Văn hóa, Thể thao và Du lịch, not confident: only one
  department starts so, but a province may have a separate Sở Văn hóa và Thể thao.
- "Sở Nông nghiệp", "UBND" alone → ambiguous (NN&PTNT or NN&MT; provincial, district
  or commune level).
- "sở, ngành, địa phương" → two groups, departments and districts ("địa phương").
- Groups select current agencies only: a superseded department is represented by its
  successor, so expansion never names a body that no longer exists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.domain.text import clean, fold, vn_key
from bot.domain.units import THANH_PHO, TINH, Unit, Units, load_units

KINDS = frozenset({"department", "office", "sector", "district", "commune", "other"})

CONFIDENT = 0.90  # at or above (and clear of the runner-up): used without review
MIN_SCORE = 0.60  # below: unknown
MARGIN = 0.05  # the best must beat the next agency/group by this to be confident
TIE = 0.02  # entries this close to the best make the phrase ambiguous
PREFIX_SCORE = 0.75  # phrase is only the start of a name
DROP_PENALTY = 0.05  # per syllable with lost accented letters (legacy fonts)
HEAD_PENALTY = 0.03  # "Sở" missing
FUZZY_PENALTY = 0.03  # difflib ratio is never as good as an alignment
NEAR_WORD = 0.75  # difflib only between phrases whose words pair up with look-alikes
PREFIX_MIN_SYLLABLES = 3
CANDIDATE_WINDOW = 0.15
MAX_CANDIDATES = 5
MAX_RUN = 6  # pieces joined back into one name at most ("UBND các huyện, thị xã, thành phố")

STANDARD_FILE = "standard.yaml"
_CACHE_SIZE = 4096


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    successor: str | None = None
    successor_since: date | None = None  # when the successor took over (None: unknown)

    @property
    def active(self) -> bool:
        """Still exists (has no successor)."""
        return self.successor is None


@dataclass(frozen=True)
class AgencyGroup:
    code: str
    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]  # agency codes (resolved for the province)

    @property
    def collective(self) -> bool:
        """No known members: callers treat the group itself as one recipient."""
        return not self.members


@dataclass(frozen=True)
class AgencyMatch:
    phrase: str
    agency: Agency | None
    group: AgencyGroup | None
    score: float
    confident: bool
    candidates: tuple[Agency, ...] = ()

    @property
    def matched(self) -> bool:
        """Points at something: an agency or group (maybe a guess), or ambiguous candidates."""
        return self.agency is not None or self.group is not None or bool(self.candidates)


@dataclass(frozen=True)
class CellResolution:
    agencies: tuple[Agency, ...]  # confident agencies and group members: de-duplicated, plan order
    groups: tuple[AgencyGroup, ...]  # confident groups, collective or expanded
    unknown: tuple[str, ...]  # phrases that matched nothing
    uncertain: tuple[AgencyMatch, ...]  # matched but not confident: not in `agencies`


@dataclass(frozen=True)
class Province:
    slug: str
    name: str  # without "tỉnh"/"thành phố": "Hồ Chí Minh"
    aliases: tuple[str, ...]
    timezone: str
    merged_into: str | None = None  # a former unit's successor (custom files only)
    absorbed: tuple[str, ...] = ()  # former units merged into it (2025), by name
    kind: str = TINH  # TINH | THANH_PHO (centrally-run city)

    @property
    def full_name(self) -> str:
        return f"{'Thành phố' if self.kind == THANH_PHO else 'Tỉnh'} {self.name}"


class UnknownProvince(FileNotFoundError):
    """No current unit (nor province file) has this slug or name."""

    def __init__(self, value: str, suggestions: tuple[Province, ...] = ()) -> None:
        super().__init__(f"unknown province {value!r}")
        self.value = value
        self.suggestions = suggestions


# ---------------------------------------------------------------- normalisation

_Tok = tuple[str, str]  # (vn_key form with diacritics, folded form)
_WORD = re.compile(r"[^\W_]+")
_FILLERS = frozenset({"va", "cac"})
_DROPPED_FILLERS = frozenset({"v", "cc"})  # "và", "các" through the legacy font
_PARENS = re.compile(r"\([^()]*\)")
_QUALIFIERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(q.split())
    for q in (
        "co lien quan",
        "lien quan",
        "theo linh vuc quan ly",
        "theo linh vuc",
        "theo chuc nang nhiem vu",
        "theo chuc nang nhiem vu duoc giao",
        "thuoc tinh",
        "tren dia ban tinh",
        "tinh",
    )
)


@lru_cache(maxsize=8192)
def _flat(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[_Tok, ...]:
    """Comparison tokens: parentheses dropped, "&" read as "và", fillers removed."""
    key = vn_key(_PARENS.sub(" ", text)).replace("&", " và ")
    out = []
    for word in _WORD.findall(key):
        flat = _flat(word)
        if flat not in _FILLERS:
            out.append((word, flat))
    return tuple(out)


def _strip_province(tokens: tuple[_Tok, ...], province: tuple[str, ...]) -> tuple[_Tok, ...]:
    """"tỉnh Phú Thọ" → "tỉnh": the directory is already the province's."""
    if not province:
        return tokens
    out: list[_Tok] = []
    i, n = 0, len(province)
    while i < len(tokens):
        out.append(tokens[i])
        if tokens[i][1] == "tinh" and tuple(t[1] for t in tokens[i + 1 : i + 1 + n]) == province:
            i += 1 + n
        else:
            i += 1
    return tuple(out)


_TINH_TOKEN: _Tok = ("tỉnh", "tinh")


def _city_as_province(tokens: tuple[_Tok, ...], name: tuple[str, ...]) -> tuple[_Tok, ...]:
    """In a centrally-run city, "thành phố"/"TP" is what "tỉnh" is elsewhere: "Công an
    Thành phố", "Văn phòng UBND TP", "Các Sở, ban, ngành Thành phố" are the standard
    entries. Only at the end or before the city's own name: "UBND thành phố Sóc Trăng"
    is a former district-level city. Applied to names and phrases alike."""
    out: list[_Tok] = []
    i, n = 0, len(tokens)
    while i < n:
        flat = tokens[i][1]
        width = 2 if flat == "thanh" and i + 1 < n and tokens[i + 1][1] == "pho" else 1 if flat == "tp" else 0
        if width:
            rest = tuple(t[1] for t in tokens[i + width : i + width + len(name)])
            if i + width == n or rest == name:
                out.append(_TINH_TOKEN)
                i += width
                continue
        out.append(tokens[i])
        i += 1
    return tuple(out)


_ROMAN = re.compile(r"^(?:[ivxl]+|\d+)$")


def _strip_qualifiers(tokens: tuple[_Tok, ...]) -> tuple[_Tok, ...]:
    if len(tokens) > 2 and tokens[-2][1] == "vuc" and _ROMAN.match(tokens[-1][1]):
        tokens = tokens[:-1]  # "khu vực XII": which region does not change the body
    changed = True
    while changed and tokens:
        changed = False
        flats = tuple(t[1] for t in tokens)
        for q in _QUALIFIERS:
            if len(flats) > len(q) and flats[-len(q) :] == q:
                tokens = tokens[: -len(q)]
                changed = True
                break
    return tokens


_NEW_TONE = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])")


@lru_cache(maxsize=8192)
def _old_style(word: str) -> str:
    """"hoá" → "hóa", "uỷ" → "ủy": the tone placement `vn_key` normalised away."""
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", _NEW_TONE.sub(r"\1\3\2", decomposed))


def _dropped(short: str, full: str) -> bool:
    """`short` is `full` with some accented letters lost ("cp"/"cấp", "s"/"sở", "đng"/"đứng").

    The font drops whichever letter carries the tone in the source, so both tone styles
    of `full` are tried ("ha" is "hóa" damaged, "ho" is "hoá" damaged).
    """
    if not short or len(short) >= len(full):
        return False
    return _subsequence(short, full) or (
        (old := _old_style(full)) != full and _subsequence(short, old)
    )


def _subsequence(short: str, full: str) -> bool:
    i = 0
    for ch in full:
        if i < len(short) and short[i] == ch:
            i += 1
        elif ch.isascii() or ch == "đ":
            return False
    return i == len(short)


@lru_cache(maxsize=8192)
def _needed(p: tuple[_Tok, ...]) -> int:
    """Name syllables a phrase needs at least (a damaged "v"/"cc" filler may be skipped)."""
    return len(p) - sum(t[0] in _DROPPED_FILLERS for t in p)


def _align(p: tuple[_Tok, ...], n: tuple[_Tok, ...]) -> tuple[float | None, float | None]:
    """Cheapest alignment of phrase `p` onto name `n`: (full cost, prefix-only cost)."""
    m, k = len(p), len(n)
    if not m or not k:
        return None, None
    skip_head = n[0][1] == "so"
    first = p[0][1][0]
    if (  # cheap reject: the first letters must agree somehow
        first != n[0][1][0]
        and not (skip_head and k > 1 and first == n[1][1][0])
        and p[0][0] not in _DROPPED_FILLERS
        and not _dropped(p[0][0], n[0][0])
    ):
        return None, None
    if _needed(p) > k:
        return None, None
    inf = float("inf")
    dist = [[inf] * (k + 1) for _ in range(m + 1)]
    dist[0][0] = 0.0
    if skip_head:
        dist[0][1] = HEAD_PENALTY
    for i in range(m):
        pk, pf = p[i]
        span = len(pf)
        initials_ok = span >= 2 and pf.isalpha()
        row, nxt = dist[i], dist[i + 1]
        skippable = pk in _DROPPED_FILLERS
        for j in range(k + 1):
            cost = row[j]
            if cost == inf:
                continue
            if skippable and cost + DROP_PENALTY < nxt[j]:
                nxt[j] = cost + DROP_PENALTY
            if j == k:
                continue
            nk, nf = n[j]
            if pf == nf:
                if cost < nxt[j + 1]:
                    nxt[j + 1] = cost
            elif _dropped(pk, nk):
                if cost + DROP_PENALTY < nxt[j + 1]:
                    nxt[j + 1] = cost + DROP_PENALTY
            if (
                initials_ok
                and j + span <= k
                and all(n[j + t][1][0] == pf[t] for t in range(span))
                and cost < nxt[j + span]
            ):
                nxt[j + span] = cost
    full = dist[m][k] if dist[m][k] < inf else None
    prefix_costs = [dist[m][j] for j in range(PREFIX_MIN_SYLLABLES, k) if dist[m][j] < inf]
    return full, (min(prefix_costs) if prefix_costs else None)


def _score(p: tuple[_Tok, ...], p_text: str, key: tuple[_Tok, ...], key_text: str) -> float:
    full, prefix = _align(p, key)
    best = 0.0
    if full is not None:
        best = 1.0 - full
    if prefix is not None:
        best = max(best, PREFIX_SCORE - prefix)
    if best < CONFIDENT and p and key and p[0][1] == key[0][1]:
        matcher = SequenceMatcher(None, p_text, key_text, autojunk=False)
        if (
            matcher.real_quick_ratio() > MIN_SCORE
            and matcher.quick_ratio() > MIN_SCORE
            and _word_for_word(p, key)
        ):
            best = max(best, matcher.ratio() - FUZZY_PENALTY)
    return best


def _near(a: _Tok, b: _Tok) -> bool:
    if a[1] == b[1] or _dropped(a[0], b[0]) or _dropped(b[0], a[0]):
        return True
    return min(len(a[1]), len(b[1])) >= 3 and SequenceMatcher(None, a[1], b[1]).ratio() >= NEAR_WORD


def _word_for_word(a: tuple[_Tok, ...], b: tuple[_Tok, ...]) -> bool:
    """Same number of words, each of `a` paired with its own look-alike in `b`.

    A typo changes a word, it doesn't add one: "Văn phòng Chính phủ" is no misspelt
    "Văn phòng UBND", and "Cục Thuế tỉnh, UBND tỉnh" is no misspelt "Cục Thuế tỉnh"
    (the splitter relies on that to keep two names apart)."""
    if len(a) != len(b):
        return False
    free = list(b)
    for x in a:
        for index, y in enumerate(free):
            if _near(x, y):
                del free[index]
                break
        else:
            return False
    return True


@dataclass(frozen=True)
class _Key:
    tokens: tuple[_Tok, ...]
    text: str  # folded tokens joined, for difflib
    entry: int  # index into Directory._entries


# ------------------------------------------------------------------- directory


class Directory:
    """One province's agencies and groups, with matching and succession."""

    province: Province
    agencies: dict[str, Agency]
    groups: dict[str, AgencyGroup]

    def __init__(
        self,
        province: Province,
        agencies: Iterable[Agency] | Mapping[str, Agency],
        groups: Iterable[AgencyGroup] | Mapping[str, AgencyGroup] = (),
        communes: Iterable[Agency] = (),
    ) -> None:
        agency_list = list(agencies.values() if isinstance(agencies, Mapping) else agencies)
        group_list = list(groups.values() if isinstance(groups, Mapping) else groups)
        self.province = province
        self.agencies = {a.code: a for a in agency_list}
        self.groups = {g.code: g for g in group_list}
        # Communes are bound by name (`search`), never matched in plans: "UBND các xã,
        # phường" is one collective group, and ~100 more keys would slow `match` down.
        self.communes = {c.code: c for c in communes}
        self._commune_keys: list[tuple[tuple[_Tok, ...], Agency]] | None = None
        self._city = province.kind == THANH_PHO
        self._province_keys = tuple(
            key
            for key in dict.fromkeys(
                tuple(t[1] for t in _tokens(name)) for name in (province.name, *province.absorbed)
            )
            if key
        )
        self._entries: list[Agency | AgencyGroup] = [*agency_list, *group_list]
        self._keys: list[_Key] = []
        for index, entry in enumerate(self._entries):
            seen: set[tuple[str, ...]] = set()
            for text in (entry.name, *entry.aliases):
                tokens = self._normalise(text)
                flats = tuple(t[1] for t in tokens)
                if tokens and flats not in seen:
                    seen.add(flats)
                    self._keys.append(_Key(tokens, " ".join(flats), index))
        # Keys by the letter a phrase must start with to align at all (see `_align`'s
        # cheap reject), so `_rank` looks at a few dozen keys, not all of them.
        self._by_letter: dict[str, list[_Key]] = {}
        self._any_start: list[_Key] = []  # first syllable starts accented: "ủy" may lose it
        for key in self._keys:
            head = key.tokens[0]
            self._by_letter.setdefault(head[1][0], []).append(key)
            if head[1] == "so" and len(key.tokens) > 1 and key.tokens[1][1][0] != "s":
                self._by_letter.setdefault(key.tokens[1][1][0], []).append(key)
            if not (head[0][0].isascii() or head[0][0] == "đ"):
                self._any_start.append(key)
        self._cache: dict[str, AgencyMatch] = {}

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, data_dir: Path, province: str) -> Directory:
        """The directory of a current unit, by slug or name in any spelling ("dak-lak",
        "Đắk Lắk", "TP HCM"; a former unit's name gives its successor's).

        standard.yaml, then the optional override files: those of the former units the
        unit succeeded (their districts and local bodies, for plans issued before July
        2025), then the unit's own. Its communes come from the package. A province file
        that names no known unit (a test or custom province) is used on its own as before.
        """
        folder = _agency_dir(Path(data_dir))
        units = load_units(folder)
        unit = units.find(province)
        standard = _read(folder / STANDARD_FILE)
        if unit is None:
            path = folder / f"{province}.yaml"
            if not path.is_file() or path.name == STANDARD_FILE:
                wanted = fold(province)
                found = [
                    p for p in _custom_provinces(folder, units) if wanted in {fold(p.name), p.slug}
                ]
                if not found:
                    suggestions = tuple(_unit_province(u, {}) for u in units.suggest(province))
                    raise UnknownProvince(province, suggestions)
                path = folder / f"{found[0].slug}.yaml"
            local = _read(path)
            return cls._build(_province(local, path), [(STANDARD_FILE, standard), (path.name, local)])

        sources: list[tuple[str, dict[str, Any]]] = [(STANDARD_FILE, standard)]
        for former in units.formers_of(unit.slug):
            path = folder / f"{former.slug}.yaml"
            if former.slug != unit.slug and path.is_file():
                sources.append((path.name, _read(path)))
        own_path = folder / f"{unit.slug}.yaml"
        own = _read(own_path) if own_path.is_file() else {}
        if own:
            sources.append((own_path.name, own))
        prov = _unit_province(unit, own, units)
        communes = [
            Agency(
                code=c.slug,
                name=f"Ủy ban nhân dân {c.name[0].lower()}{c.name[1:]}",
                kind="commune",
                aliases=(c.name, f"UBND {c.name[0].lower()}{c.name[1:]}"),
            )
            for c in units.communes(unit.slug)
        ]
        return cls._build(prov, sources, communes)

    @classmethod
    def _build(
        cls,
        prov: Province,
        sources: list[tuple[str, dict[str, Any]]],
        communes: list[Agency] | None = None,
    ) -> Directory:
        raw_agencies: dict[str, dict[str, Any]] = {}
        raw_groups: dict[str, dict[str, Any]] = {}
        for source, data in sources:
            for item in data.get("agencies") or []:
                _merge(raw_agencies, item, source)
            for item in data.get("groups") or []:
                _merge(raw_groups, item, source)
        city = prov.kind == THANH_PHO
        agencies = [_agency(item, city) for item in raw_agencies.values()]
        by_code = {a.code: a for a in agencies}
        for a in agencies:
            if a.successor is not None and a.successor not in by_code:
                raise ValueError(f"{a.code}: successor {a.successor!r} is not in the directory")
        if not any(a.kind == "district" for a in agencies) and "ubnd-cap-huyen" in raw_groups:
            # No districts known (they were abolished on 2025-07-01): the district
            # wordings of older plans mean the communes, as one collective recipient.
            districts = raw_groups.pop("ubnd-cap-huyen")
            if "ubnd-cap-xa" in raw_groups:
                communes_group = raw_groups["ubnd-cap-xa"]
                communes_group["aliases"] = [
                    *(communes_group.get("aliases") or []),
                    districts.get("name") or "",
                    *(districts.get("aliases") or []),
                ]
        groups = [_group(item, agencies, city) for item in raw_groups.values()]
        return cls(prov, agencies, groups, communes or ())

    # --------------------------------------------------------------- matching

    def _normalise(self, text: str) -> tuple[_Tok, ...]:
        tokens = _tokens(text)
        if self._city:
            tokens = _city_as_province(tokens, self._province_keys[0])
        for key in self._province_keys:  # "Sở Y tế tỉnh Bình Dương" in Hồ Chí Minh
            tokens = _strip_province(tokens, key)
        return tokens

    def _rank(self, tokens: tuple[_Tok, ...]) -> list[tuple[float, int]]:
        """(score, entry index) for every entry scoring ≥ MIN_SCORE, best first."""
        if not tokens:
            return []
        text = " ".join(t[1] for t in tokens)
        best: dict[int, float] = {}
        if tokens[0][0] in _DROPPED_FILLERS:
            keys: Iterable[_Key] = self._keys
        else:
            keys = (*self._by_letter.get(tokens[0][1][0], ()), *self._any_start)
        for key in keys:
            score = _score(tokens, text, key.tokens, key.text)
            if score >= MIN_SCORE and score > best.get(key.entry, 0.0):
                best[key.entry] = score
        return sorted(((s, i) for i, s in best.items()), key=lambda t: (-t[0], t[1]))

    def _decide(self, phrase: str, ranked: list[tuple[float, int]]) -> AgencyMatch:
        if not ranked:
            return AgencyMatch(phrase, None, None, 0.0, False)
        top = ranked[0][0]
        near = [self._entries[i] for s, i in ranked if s >= max(MIN_SCORE, top - CANDIDATE_WINDOW)]
        candidates = tuple(e for e in near if isinstance(e, Agency))[:MAX_CANDIDATES]
        tied = [i for s, i in ranked if s >= top - TIE]
        score = round(top, 4)
        if len(tied) > 1:
            return AgencyMatch(phrase, None, None, score, False, candidates)
        entry = self._entries[ranked[0][1]]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        confident = top >= CONFIDENT and top - runner_up >= MARGIN
        agency = entry if isinstance(entry, Agency) else None
        group = entry if isinstance(entry, AgencyGroup) else None
        return AgencyMatch(phrase, agency, group, score, confident, () if confident else candidates)

    def match(self, phrase: str) -> AgencyMatch:
        """One agency or group phrase; see the module docstring for the outcomes."""
        cached = self._cache.get(phrase)
        if cached is not None:
            return cached
        text = _trim(clean(phrase))
        tokens = self._normalise(text)
        result = self._decide(phrase, self._rank(tokens))
        if not result.confident:
            stripped = _strip_qualifiers(tokens)
            if stripped != tokens:
                retry = self._decide(phrase, self._rank(stripped))
                if _quality(retry) > _quality(result):
                    result = retry
        if len(self._cache) >= _CACHE_SIZE:  # free text from chats must not grow it forever
            self._cache.clear()
        self._cache[phrase] = result
        return result

    # -------------------------------------------------------------- splitting

    def split(self, cell: str) -> list[str]:
        """Phrases of one table cell or prose list, in order (see the module docstring)."""
        phrases: list[str] = []
        for segment in _segments(_unwrap(cell or "")):
            phrases.extend(self._split_segment(segment))
        return phrases

    def _best_text(self, pieces: list[_Piece]) -> tuple[str, AgencyMatch]:
        text = pieces[0].text
        for piece in pieces[1:]:
            text += (" và " if piece.sep == "va" else ", ") + piece.text
        bare = self.match(text)
        prefix = pieces[0].prefix
        if prefix and not _fold_startswith(text, prefix):
            with_prefix = self.match(prefix + text)
            if _quality(with_prefix) > _quality(bare):
                return prefix + text, with_prefix
        return text, bare

    def _split_segment(self, pieces: list[_Piece]) -> list[str]:
        out: list[tuple[str, AgencyMatch, str]] = []  # (text, match, separator before)
        singles = [self._best_text([p]) for p in pieces]
        i = 0
        while i < len(pieces):
            # The longest confident run wins; failing any, a longer guess may replace a
            # shorter one, but never swallow a piece that is confidently known alone.
            choice = (1, *singles[i])
            for j in range(i + 2, min(len(pieces), i + MAX_RUN) + 1):
                text, found = self._best_text(pieces[i:j])
                if found.confident:
                    choice = (j - i, text, found)
                elif (
                    not choice[2].confident
                    and found.matched
                    and found.score >= choice[2].score
                    and not any(m.confident for _, m in singles[i:j])
                ):
                    choice = (j - i, text, found)
            length, text, found = choice
            out.append((text, found, pieces[i].sep))
            i += length
        # Unknown words around "và" are one unknown name ("Trung tâm Xúc tiến Đầu tư và
        # Thương mại"), not two.
        merged: list[tuple[str, AgencyMatch, str]] = []
        for text, found, sep in out:
            if merged and sep == "va" and not found.matched and not merged[-1][1].matched:
                prev = merged.pop()
                text = f"{prev[0]} và {text}"
                found, sep = self.match(text), prev[2]
            merged.append((text, found, sep))
        return [text for text, _, _ in merged]

    # -------------------------------------------------------------- resolving

    def resolve(self, cell: str) -> CellResolution:
        """split + match + expand groups."""
        agencies: dict[str, Agency] = {}
        groups: dict[str, AgencyGroup] = {}
        unknown: list[str] = []
        uncertain: list[AgencyMatch] = []
        for phrase in self.split(cell):
            found = self.match(phrase)
            if not found.confident:
                if found.matched:
                    uncertain.append(found)
                else:
                    unknown.append(phrase)
            elif found.agency is not None:
                agencies.setdefault(found.agency.code, found.agency)
            elif found.group is not None:
                groups.setdefault(found.group.code, found.group)
                for code in found.group.members:
                    agencies.setdefault(code, self.agencies[code])
        return CellResolution(
            tuple(agencies.values()), tuple(groups.values()), tuple(unknown), tuple(uncertain)
        )

    # -------------------------------------------------------------- succession

    def current(self, code: str, on: date | None = None) -> Agency:
        """The agency doing `code`'s work today (or `on` a date): follows successors.

        Stops at a successor missing from the directory, at a hand-over after `on`, and
        at a cycle (bad data) — returning the last agency reached, never looping.
        """
        if code in self.communes and code not in self.agencies:
            return self.communes[code]
        agency = self.agencies[code]
        seen = {agency.code}
        while agency.successor is not None:
            since = agency.successor_since
            if on is not None and since is not None and on < since:
                break
            nxt = self.agencies.get(agency.successor)
            if nxt is None or nxt.code in seen:
                break
            seen.add(nxt.code)
            agency = nxt
        return agency

    # -------------------------------------------------------------- searching

    def search(
        self, query: str, limit: int = 5, *, current_only: bool = True
    ) -> list[tuple[Agency, float]]:
        """Closest agencies to a typed query, best first (for "/dangky" suggestions).

        With `current_only`, a superseded agency is offered as its successor (so "thông tin
        truyền thông" suggests Sở Khoa học và Công nghệ).
        """
        tokens = self._normalise(_trim(clean(query)))
        if not tokens or limit <= 0:
            return []
        text = " ".join(t[1] for t in tokens)
        best: dict[str, float] = {}
        for key in self._keys:
            entry = self._entries[key.entry]
            if not isinstance(entry, Agency):
                continue
            score = max(_score(tokens, text, key.tokens, key.text), _overlap(tokens, key.tokens))
            if score < 0.3:
                continue
            target = self.current(entry.code) if current_only else entry
            if score > best.get(target.code, 0.0):
                best[target.code] = score
        if self.communes:
            if self._commune_keys is None:
                self._commune_keys = [
                    (self._normalise(text), c) for c in self.communes.values() for text in (c.name, *c.aliases)
                ]
            for key_tokens, commune in self._commune_keys:
                key_text = " ".join(t[1] for t in key_tokens)
                score = max(_score(tokens, text, key_tokens, key_text), _overlap(tokens, key_tokens))
                if score >= 0.3 and score > best.get(commune.code, 0.0):
                    best[commune.code] = score
        every = {**self.agencies, **self.communes}  # a tie goes to the agency
        order = {code: i for i, code in enumerate(every)}
        ranked = sorted(best.items(), key=lambda t: (-t[1], order[t[0]]))
        return [(every[code], round(score, 4)) for code, score in ranked[:limit]]


# ------------------------------------------------------------ splitting helpers


@dataclass(frozen=True)
class _Piece:
    text: str
    sep: str  # separator before it: "start" | "comma" | "va"
    prefix: str | None  # distributed head ("Sở ") in force


_SEPARATOR = re.compile(r"\s*([;,])\s*|\s+(và)\s+", re.IGNORECASE)
_ELLIPSIS = re.compile(r"(?:\s*(?:…|\.{2,}|\bv\.\s?v\.?|\betc\.?))+\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^[\s\-–—+•*·]+")
_DISTRIBUTE = (
    (re.compile(r"^(?:các\s+)?sở\s*:\s*", re.IGNORECASE), "Sở "),
    (
        re.compile(
            r"^(?:(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+)?(?:các\s+)?huyện\s*:\s*",
            re.IGNORECASE,
        ),
        "UBND huyện ",
    ),
)


_BULLET_LINE = re.compile(r"\s*\n\s*(?=[-–—+•*·]\s)")
_NEWLINES = re.compile(r"\s*\n\s*")


def _unwrap(text: str) -> str:
    """Readers keep the line breaks of wrapped cells ("UBND cấp\\nhuyện"): a new line is a
    space, unless the next line starts with a bullet, which makes it a list item."""
    text = _BULLET_LINE.sub(" ; ", text.replace("\r", ""))
    return clean(_NEWLINES.sub(" ", text))


def _trim(text: str) -> str:
    text = _BULLET.sub("", text)
    text = _ELLIPSIS.sub("", text)
    return text.strip(" .,;:")


def _fold_startswith(text: str, prefix: str) -> bool:
    return fold(text).startswith(fold(prefix).strip() + " ")


def _segments(text: str) -> list[list[_Piece]]:
    """Pieces between separators outside parentheses; ";" ends a segment."""
    depth_at = []
    depth = 0
    for ch in text:
        depth_at.append(depth)
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
    segments: list[list[_Piece]] = [[]]
    prefix: str | None = None
    start, sep = 0, "start"

    def emit(chunk: str, sep: str) -> None:
        nonlocal prefix
        chunk = _trim(chunk)
        for pattern, head in _DISTRIBUTE:
            found = pattern.match(chunk)
            if found:
                prefix, chunk = head, _trim(chunk[found.end() :])
                break
        if chunk:
            segments[-1].append(_Piece(chunk, sep if segments[-1] else "start", prefix))

    for found in _SEPARATOR.finditer(text):
        if depth_at[found.start()] or (found.group(1) is None and depth_at[found.start(2)]):
            continue
        emit(text[start : found.start()], sep)
        start = found.end()
        mark = found.group(1)
        if mark == ";":
            segments.append([])
            sep = "start"
        else:
            sep = "comma" if mark == "," else "va"
    emit(text[start:], sep)
    return [s for s in segments if s]


def _quality(found: AgencyMatch) -> tuple[bool, bool, float]:
    return (found.confident, found.matched, found.score)


def _overlap(query: tuple[_Tok, ...], name: tuple[_Tok, ...]) -> float:
    """Share of the query's words found in the name (last one may be unfinished)."""
    if not query or not name:
        return 0.0
    flats = [t[1] for t in name]
    hits = 0
    for index, (key, flat) in enumerate(query):
        last = index == len(query) - 1
        if any(flat == f or (last and len(flat) >= 2 and f.startswith(flat)) for f in flats):
            hits += 1
        elif any(_dropped(key, k) for k, _ in name):
            hits += 1
    coverage = hits / len(query)
    return 0.85 * coverage * (0.5 + 0.5 * min(1.0, hits / len(flats)))


# --------------------------------------------------------------- YAML helpers


def _agency_dir(data_dir: Path) -> Path:
    """Accept the data folder (data/) or the agency folder itself (data/agencies/)."""
    nested = data_dir / "agencies"
    return nested if (nested / STANDARD_FILE).is_file() else data_dir


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in: ~10× faster


def _read(path: Path) -> dict[str, Any]:
    """A YAML file's mapping; parsed once per file version (34 directories share
    standard.yaml). Callers copy before changing anything (`_merge`)."""
    stat = path.stat()
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _read_cached(path: str, _mtime_ns: int, _size: int) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_LOADER) or {}  # noqa: S506 - a safe loader
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def _merge(into: dict[str, dict[str, Any]], item: Mapping[str, Any], source: str) -> None:
    """Add an entry; repeating a code overrides its fields and adds its aliases."""
    if not isinstance(item, Mapping) or not item.get("code"):
        raise ValueError(f"{source}: every entry needs a code, got {item!r}")
    code = str(item["code"])
    if code in into:
        base = into[code]
        if base.get("_source") == source:
            raise ValueError(f"{source}: duplicate code {code!r}")
        aliases = [
            *([] if item.get("replace_aliases") else (base.get("aliases") or [])),
            *(item.get("aliases") or []),
        ]
        base.update({k: v for k, v in item.items() if k != "aliases"})
        base["aliases"] = aliases
        base["_source"] = source
    else:
        into[code] = {**item, "_source": source}


def _aliases(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(clean(str(v)) for v in (values or []) if str(v).strip()))


_UBND_HEAD = re.compile(r"^(?:ủy|uỷ) ban nhân dân\s+", re.IGNORECASE)


_TINH_WORD = re.compile(r"(?<!\w)tỉnh(?!\w)")


def _city_name(name: str, city: bool) -> str:
    """"Công an tỉnh" is shown as "Công an thành phố" in a centrally-run city."""
    return _TINH_WORD.sub("thành phố", name) if city else name


def _agency(item: Mapping[str, Any], city: bool = False) -> Agency:
    code, name, kind = str(item["code"]), clean(str(item.get("name") or "")), item.get("kind")
    if not name:
        raise ValueError(f"{code}: missing name")
    if kind not in KINDS:
        raise ValueError(f"{code}: kind {kind!r} is not one of {sorted(KINDS)}")
    aliases = list(_aliases(item.get("aliases")))
    if kind in ("district", "commune") and _UBND_HEAD.match(name):
        # "thành phố Việt Trì" names the unit; plans use it for the unit's UBND.
        aliases.append(_UBND_HEAD.sub("", name))
    since = item.get("since")
    if since is not None and not isinstance(since, date):
        since = date.fromisoformat(str(since))
    successor = item.get("successor")
    if city and _city_name(name, city) != name:
        aliases.append(name)
        name = _city_name(name, city)
    return Agency(
        code=code,
        name=name,
        kind=kind,
        aliases=tuple(dict.fromkeys(aliases)),
        successor=str(successor) if successor else None,
        successor_since=since,
    )


def _group(item: Mapping[str, Any], agencies: list[Agency], city: bool = False) -> AgencyGroup:
    code = str(item["code"])
    selector = item.get("members") or {}
    kinds = set(selector.get("kinds") or [])
    codes = set(selector.get("codes") or [])
    unknown_kinds = kinds - KINDS
    known = {a.code for a in agencies}
    if unknown_kinds:
        raise ValueError(f"group {code}: unknown kinds {sorted(unknown_kinds)}")
    if codes - known:
        raise ValueError(f"group {code}: unknown member codes {sorted(codes - known)}")
    members = tuple(a.code for a in agencies if a.code in codes or (a.kind in kinds and a.active))
    return AgencyGroup(
        code=code,
        name=_city_name(clean(str(item.get("name") or code)), city),
        aliases=_aliases([*(item.get("aliases") or []), item.get("name") or code]),
        members=members,
    )


def _province(data: Mapping[str, Any], path: Path) -> Province:
    slug = str(data.get("slug") or path.stem)
    name = clean(str(data.get("name") or ""))
    if not name:
        raise ValueError(f"{path}: missing province name")
    return Province(
        slug=slug,
        name=name,
        aliases=_aliases(data.get("aliases")),
        timezone=str(data.get("timezone") or "Asia/Ho_Chi_Minh"),
        merged_into=clean(str(data["merged_into"])) if data.get("merged_into") else None,
        absorbed=_aliases(data.get("absorbed")),
    )


# ------------------------------------------------------------------ provinces


def _unit_province(unit: Unit, own: Mapping[str, Any], units: Units | None = None) -> Province:
    """A current unit as a Province; its override file may add aliases and a timezone."""
    word = "thành phố" if unit.kind == THANH_PHO else "tỉnh"
    absorbed = tuple(
        f.name for f in (units.formers_of(unit.slug) if units else []) if f.name != unit.name
    )
    return Province(
        slug=unit.slug,
        name=unit.name,
        aliases=tuple(
            dict.fromkeys(
                (
                    unit.full_name,
                    f"UBND {word} {unit.name}",
                    f"Ủy ban nhân dân {word} {unit.name}",
                    *unit.aliases,
                    *_aliases(own.get("aliases")),
                )
            )
        ),
        timezone=str(own.get("timezone") or "Asia/Ho_Chi_Minh"),
        absorbed=absorbed,
        kind=unit.kind,
    )


def _custom_provinces(folder: Path, units: Units) -> list[Province]:
    """Province files that name no current or former unit (tests, custom setups)."""
    out = []
    for path in folder.glob("*.yaml"):
        if path.name == STANDARD_FILE or units.find(path.stem) is not None:
            continue
        data = _read(path)
        if data.get("name"):
            out.append(_province(data, path))
    return out


def load_provinces(data_dir: Path) -> list[Province]:
    """Every current provincial-level unit (34), plus custom province files, by slug."""
    folder = _agency_dir(Path(data_dir))
    units = load_units(folder)
    provinces = []
    for unit in units.current.values():
        path = folder / f"{unit.slug}.yaml"
        provinces.append(_unit_province(unit, _read(path) if path.is_file() else {}, units))
    provinces.extend(_custom_provinces(folder, units))
    return sorted(provinces, key=lambda p: p.slug)


_HEADER_CHARS = 3000


@lru_cache(maxsize=64)
def _province_pattern(provinces: tuple[Province, ...]) -> tuple[re.Pattern[str], dict[str, Province]]:
    """One pattern for every way a header names a unit ("tỉnh X", "thành phố X", "TP X",
    "Cơ quan ban hành X", an alias, a former unit's name in those forms), longest first,
    so the leftmost match is also the longest there."""
    forms: dict[str, Province] = {}
    for province in provinces:
        names = {" ".join(_WORD.findall(fold(n))) for n in (province.name, *province.absorbed)}
        for name in names:
            for head in ("tinh", "thanh pho", "tp", "co quan ban hanh"):
                forms.setdefault(f"{head} {name}", province)
        for alias in province.aliases:
            # Nicknames of one word ("HCM", "HN") are for typing, too easily found in a
            # header by chance ("Số: 12/KH-HN").
            if len(words := _WORD.findall(fold(alias))) >= 2:
                forms.setdefault(" ".join(words), province)
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])"), forms


@lru_cache(maxsize=64)
def _place_pattern(provinces: tuple[Province, ...]) -> tuple[re.Pattern[str], dict[str, Province]]:
    names: dict[str, Province] = {}
    for province in provinces:
        for n in (province.name, *province.absorbed):
            names.setdefault(" ".join(_WORD.findall(fold(n))), province)
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])({alternation}) ngay \d"), names


def identify_province(text: str, provinces: list[Province]) -> Province | None:
    """The current unit a plan belongs to, from its header.

    Looks in the first 3000 characters, accent- and case-insensitively and across line
    and table-cell breaks, for "tỉnh <name>", "thành phố <name>", "TP <name>", "Cơ quan
    ban hành <name>" or an alias ("ỦY BAN NHÂN DÂN | TỈNH ĐỒNG THÁP", "CHỦ TỊCH ỦY BAN
    NHÂN DÂN TỈNH QUẢNG NGÃI"); the earliest mention wins (the longest on a tie), so a
    plan citing another province further down is not confused. Failing that, the place
    and date line ("Đồng Tháp, ngày 19"). A former unit's name (Bình Định, Sóc Trăng)
    gives its successor: such a plan was issued before 1 July 2025, when the unit
    ceased, and belongs to the unit that took its work over.
    """
    head = " ".join(_WORD.findall(fold(text[:_HEADER_CHARS])))
    key = tuple(provinces)
    pattern, forms = _province_pattern(key)
    if found := pattern.search(head):
        return forms[found.group()]
    pattern, names = _place_pattern(key)
    if found := pattern.search(head):
        return names[found.group(1)]
    return None
