"""State and records of the fake Bot API server: chats, users, files and what the bot did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "ChatState",
    "EditRecord",
    "FileRecord",
    "RequestRecord",
    "SentMessage",
    "Undelivered",
]


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str, parameters: dict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}", parameters)


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


@dataclass
class ChatState:
    """One chat as the fake server knows it."""

    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    bot_status: str = "member"  # member | administrator | left | kicked
    owner_id: int | None = None
    admins: set[int] = field(default_factory=set)
    member_status: dict[int, str] = field(default_factory=dict)
    members: set[int] = field(default_factory=set)
    migrated_to: int | None = None
    migrated_from: int | None = None
    blocked: bool = False  # private chats: the user blocked the bot
    started: bool = True  # private chats: the user pressed Start
    next_message_id: int = 1
    messages: dict[int, dict] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def as_chat(self) -> dict:
        """The Bot API ``Chat`` object."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or str(self.id)
            if self.last_name:
                chat["last_name"] = self.last_name
        else:
            chat["title"] = self.title or str(self.id)
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SentMessage:
    """A message the bot sent (sendMessage, sendDocument, sendPhoto)."""

    method: str
    chat_id: int
    message_id: int
    text: str | None  # plain text as the user sees it (tags removed, entities decoded)
    raw_text: str | None  # exactly what the bot sent
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    caption: str | None = None
    raw_caption: str | None = None
    document: bytes | None = None
    photo: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    reply_to_message_id: int | None = None
    date: int = 0  # epoch seconds, as in the Message
    time: float = 0.0  # server clock (monotonic by default), for rate measurements
    params: dict = field(default_factory=dict)
    message: dict = field(default_factory=dict)  # the Message returned to the bot

    @property
    def buttons(self) -> list[list[dict]]:
        """Inline keyboard rows (button dicts), [] without an inline keyboard."""
        if not self.reply_markup:
            return []
        return self.reply_markup.get("inline_keyboard", [])

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def button(self, text: str) -> dict:
        """The inline button whose text equals or contains ``text``."""
        for row in self.buttons:
            for b in row:
                if b.get("text") == text:
                    return b
        for row in self.buttons:
            for b in row:
                if text in b.get("text", ""):
                    return b
        raise KeyError(f"no button {text!r} in {self.buttons!r}")


@dataclass
class EditRecord:
    """A successful edit* call."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    raw_text: str | None
    parse_mode: str | None
    reply_markup: dict | None
    time: float
    params: dict = field(default_factory=dict)


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float


@dataclass
class RequestRecord:
    """One HTTP call to the Bot API, successful or not."""

    method: str  # as in the URL
    params: dict
    time: float  # server clock when the request arrived
    status: int = 0  # HTTP status returned (0: connection dropped)
    description: str | None = None  # error description, if any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Undelivered:
    """An injected message the bot did not receive, and why (privacy mode, not a member…)."""

    chat_id: int
    message: dict
    reason: str
