"""Keep every message under Telegram's limit without cutting an HTML tag in half."""

from __future__ import annotations

from collections.abc import Iterable

TELEGRAM_LIMIT = 4096
# Leave room: Telegram counts after entity parsing, we count the raw HTML (always longer).
SAFE_LIMIT = 4000


def split_blocks(blocks: Iterable[str], *, limit: int = SAFE_LIMIT, separator: str = "\n") -> list[str]:
    """Join self-contained HTML blocks (lines, list items) into as few messages as fit.

    A single block longer than the limit is cut at a space with its tags stripped, so
    nothing is silently lost and nothing Telegram would reject is produced.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, limit):
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _fit(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    import html
    import re

    plain = html.escape(html.unescape(re.sub(r"<[^>]+>", "", block)), quote=False)
    pieces = []
    while len(plain) > limit:
        cut = plain.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        # Never cut inside an entity such as &amp;
        amp = plain.rfind("&", max(0, cut - 6), cut)
        if amp != -1 and ";" not in plain[amp:cut]:
            cut = amp
        pieces.append(plain[:cut])
        plain = plain[cut:].lstrip()
    if plain:
        pieces.append(plain)
    return pieces
