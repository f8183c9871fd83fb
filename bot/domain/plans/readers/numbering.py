"""Word automatic numbering → the labels a reader sees ("I.", "1.", "a)", "-").

Only what plans use: decimal, roman and letter formats, bullets, level restarts,
`startOverride`, and numbering attached through paragraph styles. Counters are kept per
abstract numbering definition, as Word does, so two lists that share one definition
continue each other unless a `w:num` restarts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PLACEHOLDER = re.compile(r"%([1-9])")


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


@dataclass
class Numbering:
    abstract: dict[str, dict[int, _Level]] = field(default_factory=dict)
    nums: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)
    style_num: dict[str, tuple[str, int]] = field(default_factory=dict)
    _counters: dict[str, dict[int, int]] = field(default_factory=dict)
    _started: set[str] = field(default_factory=set)

    @classmethod
    def from_document(cls, document: Any) -> Numbering:
        numbering = cls()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return numbering
        for abstract in root.iterchildren(_W + "abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in abstract.iterchildren(_W + "lvl"):
                ilvl = _int(lvl.get(_W + "ilvl"), 0)
                levels[ilvl] = _Level(
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                    start=_int(_val(lvl, "start"), 1),
                )
            numbering.abstract[abstract.get(_W + "abstractNumId", "")] = levels
        for num in root.iterchildren(_W + "num"):
            abstract_id = _val(num, "abstractNumId") or ""
            overrides: dict[int, int] = {}
            for override in num.iterchildren(_W + "lvlOverride"):
                start = _val(override, "startOverride")
                if start is not None:
                    overrides[_int(override.get(_W + "ilvl"), 0)] = _int(start, 1)
            numbering.nums[num.get(_W + "numId", "")] = (abstract_id, overrides)
        numbering._read_styles(document)
        return numbering

    def _read_styles(self, document: Any) -> None:
        try:
            styles = document.styles.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        direct: dict[str, tuple[str | None, int | None]] = {}
        based_on: dict[str, str] = {}
        for style in styles.iterchildren(_W + "style"):
            style_id = style.get(_W + "styleId", "")
            parent = _val(style, "basedOn")
            if parent:
                based_on[style_id] = parent
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None:
                direct[style_id] = (_val(num_pr, "numId"), _maybe_int(_val(num_pr, "ilvl")))
        for style_id in set(direct) | set(based_on):
            num_id, ilvl, seen, current = None, None, set(), style_id
            while current and current not in seen:
                seen.add(current)
                d_num, d_lvl = direct.get(current, (None, None))
                num_id = num_id if num_id is not None else d_num
                ilvl = ilvl if ilvl is not None else d_lvl
                current = based_on.get(current, "")
            if num_id:
                self.style_num[style_id] = (num_id, ilvl or 0)

    def snapshot(self) -> tuple[dict[str, dict[int, int]], set[str]]:
        return {k: dict(v) for k, v in self._counters.items()}, set(self._started)

    def restore(self, state: tuple[dict[str, dict[int, int]], set[str]]) -> None:
        self._counters, self._started = state

    def label(self, p: Any) -> str | None:
        """The printed label of paragraph `p`, advancing the counters; None if unnumbered."""
        num_id, ilvl = None, None
        p_pr = p.find(_W + "pPr")
        if p_pr is not None:
            num_pr = p_pr.find(_W + "numPr")
            if num_pr is not None:
                num_id = _val(num_pr, "numId")
                ilvl = _maybe_int(_val(num_pr, "ilvl"))
            style = _val(p_pr, "pStyle")
            if style and style in self.style_num:
                s_num, s_lvl = self.style_num[style]
                num_id = num_id if num_id is not None else s_num
                ilvl = ilvl if ilvl is not None else s_lvl
        if not num_id or num_id == "0" or num_id not in self.nums:
            return None
        ilvl = ilvl or 0
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id)
        if not levels or ilvl not in levels:
            return None
        counters = self._counters.setdefault(abstract_id, {})
        if num_id not in self._started:
            self._started.add(num_id)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
                for deeper in [k for k in counters if k > lvl]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        level = levels[ilvl]
        if level.fmt == "bullet":
            return "-"
        if level.fmt == "none":
            return None

        def render(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            lvl = levels.get(k)
            if lvl is None:
                return ""
            return _format(counters.get(k, lvl.start), lvl.fmt)

        text = _PLACEHOLDER.sub(render, level.text).strip()
        return text or None


def _format(n: int, fmt: str) -> str:
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt in ("upperLetter", "lowerLetter"):
        letter = _letters(n)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _roman(n: int) -> str:
    if n <= 0:
        return str(n)
    out = []
    for value, numeral in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out.append(numeral)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    """Word's letter numbering: a … z, aa … zz, aaa …"""
    if n <= 0:
        return str(n)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _val(el: Any, name: str) -> str | None:
    child = el.find(_W + name)
    return None if child is None else child.get(_W + "val")


def _int(value: str | None, default: int) -> int:
    parsed = _maybe_int(value)
    return default if parsed is None else parsed


def _maybe_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
