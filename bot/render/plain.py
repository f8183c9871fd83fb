"""Plain text for channels without formatting (Zalo) and for e-mail's text part: the
Telegram HTML the renderers produce, turned into what a person should read, and split
cleanly into messages of a channel's size.

    html_to_text("<b>Sở Tư pháp</b> &amp; <a href='https://x/y'>mở trang</a>")
        == "Sở Tư pháp & mở trang (https://x/y)"

    split_text(text, limit=2000) → ["…", "…"]: every piece ≤ limit characters, cut at a
    blank line (between blocks: a reminder's items) if possible, else at a line end, else
    at a space, and only inside a word when a single word is longer than the limit.
    Joining the pieces with "\n" gives the text back (whitespace at the cuts aside).
"""

from __future__ import annotations

import html
import re

ZALO_LIMIT = 2000

_LINK = re.compile(r"<a\s[^>]*href\s*=\s*(['\"])(.*?)\1[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    """Telegram HTML (b, i, u, s, code, pre, a, blockquote, tg-spoiler) → plain text; a
    link keeps its address in brackets unless the text is the address itself."""

    def link(m: re.Match[str]) -> str:
        url = html.unescape(m.group(2))
        label = _TAG.sub("", m.group(3))
        shown = html.unescape(label).strip()
        return label if shown == url or not url else f"{label} ({html.escape(url, quote=False)})"

    text = _LINK.sub(link, text)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def split_text(text: str, *, limit: int = ZALO_LIMIT) -> list[str]:
    """Cut `text` into pieces of at most `limit` characters at the cleanest boundary."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip("\n")
    pieces: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        head, text = text[:cut].rstrip(), text[cut:].lstrip("\n ")
        if head:
            pieces.append(head)
    if text.strip():
        pieces.append(text)
    return pieces


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]  # a boundary right after the limit still fits the head
    for boundary in ("\n\n", "\n", " "):
        at = window.rfind(boundary)
        # Not too early: a cut in the first quarter makes many tiny messages.
        if at > limit // 4 and at <= limit:
            return at
    return limit


def split_blocks_text(blocks: list[str], *, limit: int = ZALO_LIMIT, separator: str = "\n\n") -> list[str]:
    """Join whole blocks (a reminder's heading, its items) into as few pieces as fit; a
    block longer than the limit is cut by `split_text`."""
    out: list[str] = []
    current = ""
    for block in blocks:
        for piece in split_text(block, limit=limit) or [""]:
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    out.append(current)
                current = piece
    if current:
        out.append(current)
    return out
