"""Telegram's text formatting rules: HTML, MarkdownV2 and legacy Markdown → plain text + entities.

The parsers follow tdlib's ``parse_html`` / ``parse_markdown_v2`` (td/telegram/MessageEntity.cpp),
which is what the Bot API server runs, so the error texts below are the ones Telegram returns after
"Bad Request: can't parse entities: ". Offsets and lengths are UTF-16 code units, like Telegram's.

One deliberate deviation, on by default (``strict=True``): a bare ``&`` that does not start one of
the entities Telegram knows (&lt; &gt; &amp; &quot; &#NN; &#xNN;) is an error here, while Telegram
shows it literally. A bare ``&`` means the text was not escaped, and the same code path breaks for
real on the first ``<`` in an agency name or a task title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "EntityParseError",
    "ParsedText",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "parse_text",
    "utf16_len",
]

# tdlib's is_space(): the characters that end tag names and separate attributes.
_SPACE = " \t\r\n\v\f\0"
_HTML_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
     "span", "pre", "code", "blockquote"}
)
_TAG_TO_TYPE = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
    "code": "code", "pre": "pre",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_TYPE_NAMES = {  # how tdlib prints MessageEntity::Type in "Can't find end of ... entity"
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "text_link": "TextUrl", "code": "Code", "pre": "Pre",
    "custom_emoji": "CustomEmoji",
}


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(err)`` is tdlib's message."""


@dataclass(frozen=True)
class ParsedText:
    """Text as the user sees it, with its entities (Bot API MessageEntity dicts)."""

    text: str
    entities: list[dict]

    @property
    def length(self) -> int:
        """Length in UTF-16 code units, the unit of Telegram's limits."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (emoji outside the BMP count twice)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


class _Builder:
    """Accumulates plain text and tracks the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)

    def entity(self, type_: str, start: int, **extra: object) -> None:
        length = self.pos - start
        if length <= 0:  # tdlib drops empty entities silently
            return
        ent: dict = {"type": type_, "offset": start, "length": length}
        ent.update({k: v for k, v in extra.items() if v not in (None, "")})
        self.entities.append(ent)


def _decode_html_entity(text: str, i: int) -> tuple[str | None, int]:
    """tdlib's decode_html_entity: returns (character, index after it) or (None, i)."""
    n = len(text)
    j = i + 1
    if j < n and text[j] == "#":
        j += 1
        value = 0
        if j < n and text[j] == "x":
            j += 1
            while j < n and text[j] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[j], 16)
                j += 1
        else:
            while j < n and text[j] in "0123456789":
                value = value * 10 + int(text[j])
                j += 1
        if value == 0 or value >= 0x10FFFF or j - i >= 10 or 0xD800 <= value <= 0xDFFF:
            return None, i
        char = chr(value)
    else:
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        char = _NAMED_ENTITIES.get(text[i + 1 : j])
        if char is None:
            return None, i
    if j < n and text[j] == ";":
        j += 1
    return char, j


@dataclass
class _OpenTag:
    name: str
    argument: str
    start: int  # UTF-16 offset in the plain text
    expandable: bool = False
    language: str = ""  # pre: taken from a nested <code class="language-...">


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram's HTML subset. Raises EntityParseError with tdlib's message."""
    out = _Builder()
    stack: list[_OpenTag] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            char, j = _decode_html_entity(text, i)
            if char is not None:
                out.add(char)
                i = j
                continue
            if strict:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}; escape it as "&amp;" '
                    "(fake Bot API strict mode; Telegram would show it literally)"
                )
        if c != "<":
            out.add(c)
            i += 1
            continue

        begin = i
        begin_bytes = _byte_offset(text, begin)
        i += 1
        if i >= n or text[i] != "/":
            # a start tag
            j = i
            while j < n and text[j] not in _SPACE and text[j] != ">":
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
            tag = text[i:j].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin_bytes}')
            i = j
            argument = ""
            expandable = False
            while True:
                while i < n and text[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
                if text[i] == ">":
                    break
                name_start = i
                while i < n and text[i] not in _SPACE and text[i] not in "=>":
                    i += 1
                attr = text[name_start:i].lower()
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin_bytes}'
                    )
                while i < n and text[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
                if text[i] != "=":
                    if tag == "blockquote" and attr == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin_bytes}'
                    )
                i += 1
                while i < n and text[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
                if text[i] not in "'\"":
                    token_start = i
                    while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                        i += 1
                    value = text[token_start:i].lower()
                    if i >= n:
                        raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
                    if text[i] not in _SPACE and text[i] != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_start)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            char, j = _decode_html_entity(text, i)
                            if char is not None:
                                chars.append(char)
                                i = j
                                continue
                        chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                    if i >= n:
                        raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-"):]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-"):]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr == "expandable":
                    expandable = True
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}'
                )
            if tag == "tg-emoji" and not (argument.isdigit() and int(argument) > 0):
                raise EntityParseError("Invalid custom emoji identifier specified")
            i += 1  # the '>'
            stack.append(_OpenTag(tag, argument, out.pos, expandable))
            continue

        # an end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin_bytes}")
        j = i + 1
        while j < n and text[j] not in _SPACE and text[j] != ">":
            j += 1
        end_name = text[i + 1 : j].lower()
        while j < n and text[j] in _SPACE:
            j += 1
        if j >= n or text[j] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {begin_bytes}")
        open_tag = stack.pop()
        if end_name and end_name != open_tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin_bytes}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        i = j + 1
        _close_html_tag(out, open_tag, stack)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _finish(out)


def _close_html_tag(out: _Builder, tag: _OpenTag, stack: list[_OpenTag]) -> None:
    if tag.name == "a":
        # Without href Telegram only links the text if it is itself a URL; nothing to check here.
        mention = re.fullmatch(r"tg://user\?id=(\d+)", tag.argument or "")
        if mention:
            # Telegram turns a link to a user id into a mention of that user (the fake
            # reports the id; the real server adds the user's names when it knows them).
            out.entity("text_mention", tag.start, user={"id": int(mention.group(1))})
        elif tag.argument:
            out.entity("text_link", tag.start, url=tag.argument)
    elif tag.name == "tg-emoji":
        out.entity("custom_emoji", tag.start, custom_emoji_id=tag.argument)
    elif tag.name == "blockquote":
        out.entity("expandable_blockquote" if tag.expandable else "blockquote", tag.start)
    elif tag.name == "code" and tag.argument and stack and stack[-1].name == "pre":
        # <pre><code class="language-x">: the language belongs to the pre entity
        stack[-1].language = tag.argument
    elif tag.name == "pre":
        out.entity("pre", tag.start, language=tag.language)
    else:
        out.entity(_TAG_TO_TYPE[tag.name], tag.start)


def parse_markdown_v2(text: str) -> ParsedText:
    """Parse MarkdownV2 like tdlib (reserved characters must be escaped with a backslash)."""
    out = _Builder()
    # stack entries: [type, start16, byte offset, extra]
    stack: list[list] = []
    quote_start: int | None = None
    quote_expandable = False
    n = len(text)
    i = 0

    def reserved_error(ch: str) -> EntityParseError:
        return EntityParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    while i < n:
        c = text[i]
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and not in_code:
            if text.startswith("**>", i) or c == ">":
                if quote_start is None:
                    quote_start = out.pos
                    quote_expandable = False
                if text.startswith("**>", i):
                    quote_expandable = True
                    i += 3
                else:
                    i += 1
                continue
            if quote_start is not None:
                _close_quote(out, quote_start, quote_expandable, trailing_newline=True)
                quote_start = None
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if (
            quote_start is not None
            and not in_code
            and text.startswith("||", i)
            and (i + 2 == n or text[i + 2] == "\n")
            and not (stack and stack[-1][0] == "spoiler")
        ):
            quote_expandable = True  # "||" ending the last quoted line marks it expandable
            i += 2
            continue
        reserved = "`" if in_code else _MDV2_RESERVED
        if c not in reserved:
            out.add(c)
            i += 1
            continue

        nxt = text[i + 1] if i + 1 < n else ""
        is_end = False
        if stack:
            top = stack[-1][0]
            is_end = (
                (top == "bold" and c == "*")
                or (top == "italic" and c == "_" and nxt != "_")
                or (top == "underline" and c == "_" and nxt == "_")
                or (top == "strikethrough" and c == "~")
                or (top == "spoiler" and c == "|" and nxt == "|")
                or (top in ("text_link", "custom_emoji") and c == "]")
                or (top == "code" and c == "`")
                or (top == "pre" and text.startswith("```", i))
            )
        if not is_end:
            byte_off = _byte_offset(text, i)
            extra = ""
            if c == "_":
                if nxt == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if nxt != "|":
                    raise reserved_error(c)
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if text.startswith("```", i):
                    kind = "pre"
                    i += 3
                    lang_end = i
                    while lang_end < n and text[lang_end] not in _SPACE and text[lang_end] != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and text[lang_end] != "`":
                        extra = text[i:lang_end]
                        i = lang_end
                    if i < n and text[i] in "\r\n":
                        if i + 1 < n and text[i + 1] in "\r\n" and text[i] != text[i + 1]:
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!" and nxt == "[":
                kind = "custom_emoji"
                i += 1
            else:
                raise reserved_error(c)
            stack.append([kind, out.pos, byte_off, extra])
            i += 1
            continue

        kind, start, _byte, extra = stack.pop()
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
        elif kind in ("text_link", "custom_emoji"):
            url = ""
            if i + 1 < n and text[i + 1] == "(":
                i += 2
                url_start = i
                chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_start)}"
                    )
                url = "".join(chars)
            elif kind == "custom_emoji":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            if kind == "custom_emoji":
                prefix = "tg://emoji?id="
                emoji_id = url[len(prefix):] if url.startswith(prefix) else ""
                if not (emoji_id.isdigit() and int(emoji_id) > 0):
                    raise EntityParseError("Invalid custom emoji identifier specified")
                out.entity("custom_emoji", start, custom_emoji_id=emoji_id)
            elif url:
                out.entity("text_link", start, url=url)
            i += 1
            continue
        if kind == "pre":
            out.entity("pre", start, language=extra)
        else:
            out.entity(kind, start)
        i += 1

    if stack:
        kind, _start, byte_off, _extra = stack[-1]
        name = "PreCode" if kind == "pre" and _extra else _MDV2_TYPE_NAMES[kind]
        raise EntityParseError(f"Can't find end of {name} entity at byte offset {byte_off}")
    if quote_start is not None:
        _close_quote(out, quote_start, quote_expandable, trailing_newline=False)
    return _finish(out)


def _close_quote(out: _Builder, start: int, expandable: bool, *, trailing_newline: bool) -> None:
    end = out.pos - 1 if trailing_newline and out.parts and out.parts[-1].endswith("\n") else out.pos
    saved = out.pos
    out.pos = end
    out.entity("expandable_blockquote" if expandable else "blockquote", start)
    out.pos = saved


def parse_markdown(text: str) -> ParsedText:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _Builder()
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin_bytes = _byte_offset(text, i)
        error = EntityParseError(f"Can't find end of the entity starting at byte offset {begin_bytes}")
        start = out.pos
        if c == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise error
            out.add(text[i + 1 : close])
            i = close + 1
            if i < n and text[i] == "(":
                close_paren = text.find(")", i + 1)
                if close_paren < 0:
                    raise error
                out.entity("text_link", start, url=text[i + 1 : close_paren])
                i = close_paren + 1
            continue
        if text.startswith("```", i):
            close = text.find("```", i + 3)
            if close < 0:
                raise error
            body = text[i + 3 : close]
            language = ""
            first_line, newline, rest = body.partition("\n")
            if newline and first_line and " " not in first_line:
                language, body = first_line, rest
            out.add(body)
            out.entity("pre", start, language=language)
            i = close + 3
            continue
        close = text.find(c, i + 1)
        if close < 0:
            raise error
        out.add(text[i + 1 : close])
        out.entity({"_": "italic", "*": "bold", "`": "code"}[c], start)
        i = close + 1
    return _finish(out)


def _finish(out: _Builder) -> ParsedText:
    entities = sorted(out.entities, key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(out.text(), entities)


def _trim(parsed: ParsedText) -> ParsedText:
    """Telegram strips leading/trailing whitespace and clips entities accordingly."""
    text = parsed.text
    stripped_left = text.lstrip(_SPACE)
    lead = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_SPACE)
    length = utf16_len(result)
    entities = []
    for ent in parsed.entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, length)
        if end > start:
            entities.append({**ent, "offset": start, "length": end - start})
    return ParsedText(result, entities)


def parse_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict] | None = None,
    *,
    strict_html: bool = True,
) -> ParsedText:
    """Apply ``parse_mode`` (or explicit ``entities``) and trim, as Telegram does.

    Raises EntityParseError for malformed markup and ValueError("unsupported parse_mode").
    """
    mode = (parse_mode or "").lower()
    if entities:
        parsed = ParsedText(text, sorted(entities, key=lambda e: (e["offset"], -e["length"])))
    elif mode == "":
        parsed = ParsedText(text, [])
    elif mode == "html":
        parsed = parse_html(text, strict=strict_html)
    elif mode == "markdownv2":
        parsed = parse_markdown_v2(text)
    elif mode == "markdown":
        parsed = parse_markdown(text)
    else:
        raise ValueError("unsupported parse_mode")
    return _trim(parsed)
