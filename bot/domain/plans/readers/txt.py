"""Plain-text plans (mostly text copied from a legal-document website)."""

from __future__ import annotations

from bot.domain.plans.document import Block
from bot.domain.plans.readers import errors
from bot.domain.plans.readers.encoding import decode_text
from bot.domain.plans.readers.layout import build_blocks
from bot.domain.plans.readers.limits import check_text, check_text_bytes


def read_txt(data: bytes) -> list[Block]:
    check_text_bytes(data)
    text = decode_text(data)
    check_text(text)
    if not text.strip():
        raise errors.empty()
    check_has_text(text)
    return build_blocks(text.splitlines())


def check_has_text(text: str) -> None:
    """Refuse text with (almost) no letters: digits, symbols, a dump of numbers."""
    visible = [ch for ch in text if not ch.isspace()]
    letters = sum(1 for ch in visible if ch.isalpha())
    if letters < 20 or letters < 0.4 * len(visible):
        raise errors.no_text()
