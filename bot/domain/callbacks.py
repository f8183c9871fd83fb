"""The callback data of every inline button: one typed value per kind, one codec.

A button carries ids only, never data: what it names is re-read and re-checked on every
press. `encode` writes "<prefix>:<field>:<field>…" (ASCII, far below Telegram's 64 bytes);
`decode` gives the typed value back, or None for anything it did not write itself — an
unknown prefix, a wrong field count, a non-decimal or signed number, an id outside the
database's integer range, a letter where a verb was expected. The handlers register with
`matches(kind)` and read the press with `parse(data, kind)`.

    u:<due item>                        reminder/list: open the task card
    st:<due item>:<version>:<action>    card: d done, p progress (→ p25 p50 p75), b blocked,
                                        e extension, k back to the four choices
    ud:<history row>                    undo that change
    rc:<prompt>:<option>|x              confirm what a reply meant / none of these
    pc:<prompt>                         cancel a question waiting for a reply
    gh:<request>:ok|no                  leaders: approve / reject an extension request
    dk:<agency> / mo:<agency>           /dangky, /moi: the agency chosen
    zl:<agency>                         /zalo (an admin): the agency to link
    rq:ok|no:<binding request>          an admin's decision on a binding request
    up:ok|no:<upload>                   import / drop an uploaded plan
    uf:td|all:<upload>                  import a plan under way: followed from today / its start
    uk:a|p|n|b  uk:d:<due item>         "chưa cập nhật" items of a reminder: all done, choose,
                                        not done, back; (choosing) this one done
    td:<agency>                         /tiendo: the agency chosen
    pg:<t|q|s>:<arg>:<page>             a page of a long list
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeVar

MAX_BYTES = 64
MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL int4)
_DIGITS = re.compile(r"[0-9]{1,10}")


class CardAction(StrEnum):
    DONE = "d"
    PROGRESS = "p"  # show the percentages
    P25 = "p25"
    P50 = "p50"
    P75 = "p75"
    BLOCKED = "b"
    EXTENSION = "e"
    BACK = "k"


class PageKind(StrEnum):
    TIENDO = "t"
    QUAHAN = "q"
    SAPDEN = "s"


def _id(raw: str, *, zero: bool = False) -> int:
    if not _DIGITS.fullmatch(raw):
        raise ValueError(raw)
    value = int(raw)
    if value > MAX_ID or (value == 0 and not zero):
        raise ValueError(raw)
    return value


def _verb(raw: str) -> bool:
    """ok → True, no → False."""
    if raw not in ("ok", "no"):
        raise ValueError(raw)
    return raw == "ok"


def _ok(approve: bool) -> str:
    return "ok" if approve else "no"


class Callback:
    """A button's data. Subclasses set PREFIX and implement `fields`/`from_fields`."""

    PREFIX: ClassVar[str]

    def fields(self) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def from_fields(cls, parts: list[str]) -> Callback:
        raise NotImplementedError


@dataclass(frozen=True)
class OpenCard(Callback):
    PREFIX: ClassVar[str] = "u"
    due_item_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.due_item_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> OpenCard:
        (item,) = parts
        return cls(_id(item))


@dataclass(frozen=True)
class CardChoice(Callback):
    PREFIX: ClassVar[str] = "st"
    due_item_id: int
    version: int  # the item's latest history row when the card was drawn (0: none yet)
    action: CardAction

    def fields(self) -> tuple[str, ...]:
        return (str(self.due_item_id), str(self.version), self.action.value)

    @classmethod
    def from_fields(cls, parts: list[str]) -> CardChoice:
        item, version, action = parts
        return cls(_id(item), _id(version, zero=True), CardAction(action))


@dataclass(frozen=True)
class Undo(Callback):
    PREFIX: ClassVar[str] = "ud"
    change_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.change_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> Undo:
        (change,) = parts
        return cls(_id(change))


@dataclass(frozen=True)
class ConfirmOption(Callback):
    PREFIX: ClassVar[str] = "rc"
    prompt_id: int
    option: int | None  # None: "none of these"

    def fields(self) -> tuple[str, ...]:
        return (str(self.prompt_id), "x" if self.option is None else str(self.option))

    @classmethod
    def from_fields(cls, parts: list[str]) -> ConfirmOption:
        prompt, option = parts
        if option == "x":
            return cls(_id(prompt), None)
        if not re.fullmatch(r"[0-9]{1,2}", option):
            raise ValueError(option)
        return cls(_id(prompt), int(option))


@dataclass(frozen=True)
class CancelPrompt(Callback):
    PREFIX: ClassVar[str] = "pc"
    prompt_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.prompt_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> CancelPrompt:
        (prompt,) = parts
        return cls(_id(prompt))


@dataclass(frozen=True)
class DecideExtension(Callback):
    PREFIX: ClassVar[str] = "gh"
    request_id: int
    approve: bool

    def fields(self) -> tuple[str, ...]:
        return (str(self.request_id), _ok(self.approve))

    @classmethod
    def from_fields(cls, parts: list[str]) -> DecideExtension:
        request, verb = parts
        return cls(_id(request), _verb(verb))


@dataclass(frozen=True)
class BindAgency(Callback):
    PREFIX: ClassVar[str] = "dk"
    agency_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.agency_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> BindAgency:
        (agency,) = parts
        return cls(_id(agency))


@dataclass(frozen=True)
class InviteAgency(Callback):
    PREFIX: ClassVar[str] = "mo"
    agency_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.agency_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> InviteAgency:
        (agency,) = parts
        return cls(_id(agency))


@dataclass(frozen=True)
class LinkZalo(Callback):
    PREFIX: ClassVar[str] = "zl"
    agency_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.agency_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> LinkZalo:
        (agency,) = parts
        return cls(_id(agency))


@dataclass(frozen=True)
class DecideBinding(Callback):
    PREFIX: ClassVar[str] = "rq"
    approve: bool
    request_id: int

    def fields(self) -> tuple[str, ...]:
        return (_ok(self.approve), str(self.request_id))

    @classmethod
    def from_fields(cls, parts: list[str]) -> DecideBinding:
        verb, request = parts
        return cls(_verb(verb), _id(request))


@dataclass(frozen=True)
class DecideUpload(Callback):
    PREFIX: ClassVar[str] = "up"
    approve: bool
    upload_id: int

    def fields(self) -> tuple[str, ...]:
        return (_ok(self.approve), str(self.upload_id))

    @classmethod
    def from_fields(cls, parts: list[str]) -> DecideUpload:
        verb, upload = parts
        return cls(_verb(verb), _id(upload))


@dataclass(frozen=True)
class AgencyProgress(Callback):
    PREFIX: ClassVar[str] = "td"
    agency_id: int

    def fields(self) -> tuple[str, ...]:
        return (str(self.agency_id),)

    @classmethod
    def from_fields(cls, parts: list[str]) -> AgencyProgress:
        (agency,) = parts
        return cls(_id(agency))


@dataclass(frozen=True)
class Page(Callback):
    PREFIX: ClassVar[str] = "pg"
    kind: PageKind
    arg: int  # what the list is of (an agency id; 0: the chat's own scope)
    page: int

    def fields(self) -> tuple[str, ...]:
        return (self.kind.value, str(self.arg), str(self.page))

    @classmethod
    def from_fields(cls, parts: list[str]) -> Page:
        kind, arg, page = parts
        if not re.fullmatch(r"[0-9]{1,4}", page):
            raise ValueError(page)
        return cls(PageKind(kind), _id(arg, zero=True), int(page))


class UnknownAction(StrEnum):
    ALL_DONE = "a"
    PICK = "p"
    NOT_DONE = "n"
    BACK = "b"
    ONE_DONE = "d"  # with the due item


@dataclass(frozen=True)
class FollowUpload(Callback):
    """Import a new plan already under way, followed from today or from its start."""

    PREFIX: ClassVar[str] = "uf"
    from_start: bool
    upload_id: int

    def fields(self) -> tuple[str, ...]:
        return ("all" if self.from_start else "td", str(self.upload_id))

    @classmethod
    def from_fields(cls, parts: list[str]) -> FollowUpload:
        verb, upload = parts
        if verb not in ("td", "all"):
            raise ValueError(verb)
        return cls(verb == "all", _id(upload))


@dataclass(frozen=True)
class ConfirmUnknown(Callback):
    """An answer to the "chưa cập nhật" section of a reminder (the message names the items)."""

    PREFIX: ClassVar[str] = "uk"
    action: UnknownAction
    due_item_id: int = 0  # ONE_DONE only

    def fields(self) -> tuple[str, ...]:
        if self.action is UnknownAction.ONE_DONE:
            return (self.action.value, str(self.due_item_id))
        return (self.action.value,)

    @classmethod
    def from_fields(cls, parts: list[str]) -> ConfirmUnknown:
        action = UnknownAction(parts[0])
        if action is UnknownAction.ONE_DONE:
            (_, item) = parts
            return cls(action, _id(item))
        (_,) = parts
        return cls(action)


KINDS: tuple[type[Callback], ...] = (
    OpenCard, CardChoice, Undo, ConfirmOption, CancelPrompt, DecideExtension,
    BindAgency, InviteAgency, LinkZalo, DecideBinding, DecideUpload, AgencyProgress, Page,
    FollowUpload, ConfirmUnknown,
)
_BY_PREFIX = {kind.PREFIX: kind for kind in KINDS}

# Buttons that change something (the membership guard checks their sender); the others read.
WRITE_KINDS: tuple[type[Callback], ...] = (
    OpenCard, CardChoice, Undo, ConfirmOption, CancelPrompt, DecideExtension, BindAgency, InviteAgency,
    ConfirmUnknown,
)

C = TypeVar("C", bound=Callback)


def encode(value: Callback) -> str:
    data = ":".join((value.PREFIX, *value.fields()))
    assert len(data.encode()) <= MAX_BYTES, data
    return data


def decode(data: object) -> Callback | None:
    """The typed value of a button's data; None for anything `encode` cannot have written."""
    if not isinstance(data, str) or len(data) > MAX_BYTES or not data.isascii():
        return None
    prefix, _, rest = data.partition(":")
    kind = _BY_PREFIX.get(prefix)
    if kind is None or not rest:
        return None
    try:
        value = kind.from_fields(rest.split(":"))
    except ValueError:  # also a wrong field count (unpacking) and an unknown enum value
        return None
    return value if encode(value) == data else None  # one spelling only: no "u:007"


def matches(kind: type[Callback]) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: the data decodes to `kind`."""
    return lambda data: isinstance(decode(data), kind)


def parse(data: object, kind: type[C]) -> C:
    """The press's value, for a handler registered with `matches(kind)`."""
    value = decode(data)
    if not isinstance(value, kind):
        raise ValueError(f"not a {kind.__name__}: {data!r}")
    return value
