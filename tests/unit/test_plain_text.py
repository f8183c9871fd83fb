"""Plain text for Zalo and e-mail's text part: Telegram HTML read as text, and split cleanly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render.plain import html_to_text, split_blocks_text, split_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<b>Sở Tư pháp</b>", "Sở Tư pháp"),
        ("a &amp; b &lt;CSDL&gt;", "a & b <CSDL>"),
        ("<a href='https://x.vn/a?b=1&amp;c=2'>mở trang</a>", "mở trang (https://x.vn/a?b=1&c=2)"),
        ('<a href="https://x.vn">https://x.vn</a>', "https://x.vn"),
        ("dòng 1<br>dòng 2<br/>dòng 3", "dòng 1\ndòng 2\ndòng 3"),
        ("<code>1782/KH-UBND</code> · <i>còn 7 ngày</i>", "1782/KH-UBND · còn 7 ngày"),
        ("⛔ <b>Quá hạn</b>\n1. Rà soát", "⛔ Quá hạn\n1. Rà soát"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("text", "limit", "pieces"),
    [
        ("ngắn", 2000, ["ngắn"]),
        ("", 10, []),
        ("aaaa bbbb cccc", 9, ["aaaa bbbb", "cccc"]),  # at a space, the space dropped
        ("một\n\nhai ba\nbốn", 10, ["một", "hai ba\nbốn"]),  # a blank line before a line end
        ("12345\n678\n9", 9, ["12345\n678", "9"]),  # a line end right at the limit
        ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),  # one long word: cut inside it
    ],
)
def test_split_text(text: str, limit: int, pieces: list[str]) -> None:
    assert split_text(text, limit=limit) == pieces


def test_split_blocks_keeps_items_whole() -> None:
    blocks = ["🔔 Nhắc việc — Sở Tư pháp", *(f"{i}. Nhiệm vụ số {i} " + "x" * 300 for i in range(1, 12))]
    pieces = split_blocks_text(blocks, limit=2000)
    assert len(pieces) > 1 and all(len(p) <= 2000 for p in pieces)
    joined = "\n\n".join(pieces)
    for block in blocks:
        assert joined.count(block) == 1  # every item in one piece, none cut


@given(st.text(alphabet=st.sampled_from("ab ạ\n"), max_size=400), st.integers(min_value=1, max_value=60))
def test_split_text_never_exceeds_and_loses_no_letter(text: str, limit: int) -> None:
    pieces = split_text(text, limit=limit)
    assert all(0 < len(p) <= limit for p in pieces)
    squeeze = lambda s: "".join(s.split())  # noqa: E731 - whitespace at cuts may go
    assert squeeze("".join(pieces)) == squeeze(text)
