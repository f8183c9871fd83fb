"""Vietnamese text normalisation shared by the readers, the parser and agency matching.

Two levels, both pure:
- `clean` repairs what documents and web pages do to text (NFD, non-breaking and
  zero-width spaces, runs of blanks) and is safe to show to people.
- `vn_key` / `fold` build comparison keys; they are never shown. `vn_key` keeps
  diacritics but removes the old/new tone-placement difference (hóa = hoá,
  thủy = thuỷ); `fold` also strips every diacritic (đ → d) for accent-insensitive
  matching of text typed on phones without a Vietnamese keyboard.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks (not the vowel-quality marks ^ ˘ ʼ).
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
# Open syllables oa/oe/uy carrying the tone on the first vowel (old style: hóa, thủy,
# khỏe), decomposed. "q" before "u" makes "uy" a plain "y" syllable (quý), so it is
# excluded. The lookahead requires the syllable to end there (hoàn is closed: untouched).
_OLD_TONE = re.compile(
    rf"(?<![qQ])([oO])([{_TONES}])([aAeE])(?![^\W\d_])|(?<![qQ])([uU])([{_TONES}])([yY])(?![^\W\d_])"
)


def clean(text: str) -> str:
    """NFC, invisible characters removed, every kind of space run folded to one space.

    Short texts are cached: the parser cleans the same cell fragments, agency names and
    tokens hundreds of thousands of times in a large plan (a 10,000-row table: 650,000
    calls for 50,000 distinct strings); long paragraphs rarely repeat and are not kept."""
    if len(text) <= _CACHED_LENGTH:
        return _clean_short(text)
    return _clean(text)


_CACHED_LENGTH = 200


@lru_cache(maxsize=65536)
def _clean_short(text: str) -> str:
    return _clean(text)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.strip()


def _move_tone(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + match.group(3) + match.group(2)
    return match.group(4) + match.group(6) + match.group(5)


def new_style_tones(text: str) -> str:
    """Put tone marks where the new-style orthography does (hoá, thuỷ); returns NFC."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OLD_TONE.sub(_move_tone, decomposed))


def vn_key(text: str) -> str:
    """Comparison key keeping diacritics: NFC, one tone style, casefolded, spaces collapsed."""
    return new_style_tones(clean(text)).casefold()


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Accent-insensitive key: `vn_key` without any diacritic, đ as d (cached: agency
    names and aliases are folded again and again while matching)."""
    decomposed = unicodedata.normalize("NFD", vn_key(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders numbers by value: "2" < "3" < "11" < "12.a" (text order puts
    "11" before "3"); pieces are tagged so numbers and words never compare directly."""
    return tuple(
        (0, int(piece)) if piece.isdigit() else (1, piece.casefold())
        for piece in _DIGITS.split(text)
        if piece
    )

