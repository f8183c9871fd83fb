"""Bytes of a plain-text plan → str, without mangling Vietnamese.

Order of evidence: a BOM; the NUL pattern of BOM-less UTF-16; strict UTF-8; then
Windows-1258 against a lenient UTF-8 decoding (a UTF-8 file with a few damaged bytes),
whichever looks more like Vietnamese. Windows-1258 writes tones as combining marks, so
every candidate is NFC-composed before it is scored or returned. The pre-Unicode
Vietnamese font encodings (TCVN3/ABC, VNI) have no Python codec; such text scores as
mojibake and is refused as "unsupported" rather than shown garbled.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from bot.domain.plans.readers import errors

_VN_LOWER = (
    "abcdefghijklmnopqrstuvwxyz"
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
)
VN_LETTERS = frozenset(_VN_LOWER + _VN_LOWER.upper())
# Characters ordinary in Vietnamese administrative text besides letters and digits.
_ORDINARY = frozenset(
    " \t\n\r\f\u00a0!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’–—…•·°§«»\u200b\ufeff"
)
# Tried when the bytes are not UTF-8. Windows-1258 is the Vietnamese code page that
# Python ships; TCVN3 and VNI have no codec and are refused (see the module docstring).
_LEGACY = ("cp1258",)


def decode_text(data: bytes) -> str:
    """Decode a text plan; raise PlanReadError("unsupported") when it is not text."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _finish(data.decode(codec))
            except UnicodeDecodeError:
                raise errors.unsupported("Tệp văn bản có mã hóa lỗi, không đọc được.") from None
    utf16 = _bomless_utf16(data)
    if utf16:
        try:
            return _finish(data.decode(utf16))
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise errors.unsupported()
    try:
        return _finish(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Mostly-UTF-8 text with a few damaged bytes competes with the legacy decodings.
    best: tuple[float, str] | None = None
    candidates = [data.decode("utf-8", errors="replace")]
    for codec in _LEGACY:
        try:
            candidates.append(data.decode(codec))
        except UnicodeDecodeError:
            continue
    for text in candidates:
        text = unicodedata.normalize("NFC", text)
        score = vietnamese_score(text)
        if best is None or score > best[0]:
            best = (score, text)
    assert best is not None
    if best[0] < 0.97:
        if _control_bytes(data) <= len(data) // 200:
            raise errors.legacy_encoding()  # text, but in an encoding we cannot read
        raise errors.unsupported()
    return _finish(best[1])


def _control_bytes(data: bytes) -> int:
    return sum(1 for b in data if b < 0x20 and b not in b"\t\n\r\f\v")


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is mostly NUL (ASCII-heavy text)."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        return None
    even = sample[0::2].count(0) / (len(sample) // 2)
    odd = sample[1::2].count(0) / (len(sample) // 2)
    if odd > 0.3 and even < 0.02:
        return "utf-16-le"
    if even > 0.3 and odd < 0.02:
        return "utf-16-be"
    return None


def vietnamese_score(text: str) -> float:
    """Share of characters that are ordinary in Vietnamese text (1.0 = nothing odd).

    Mojibake shows up as symbols and letters foreign to Vietnamese (º, ¿, Â¡ …) and as
    combining marks that NFC could not attach to a vowel.
    """
    if not text:
        return 0.0
    odd = sum(1 for ch in text if not (ch in VN_LETTERS or ch in _ORDINARY or ch.isdigit()))
    return 1.0 - odd / len(text)


# Category Cc except \t \n \v \f \r; a regex, since a Python loop takes seconds on 9 MB.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _finish(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    controls = len(_CONTROLS.findall(text))
    if controls > max(2, len(text) // 200):
        raise errors.unsupported()
    return text
