"""Fake Telegram Bot API server for end-to-end tests with the real PTB Application.

See server.py for the behaviour and the test API; conftest fixtures live in tests/e2e/conftest.py.
"""

from .formatting import EntityParseError, ParsedText, parse_text, utf16_len
from .ptb import application_builder, running_application
from .server import DEFAULT_TOKEN, FakeBotApi
from .state import (
    ApiError,
    CallbackAnswer,
    ChatState,
    EditRecord,
    FileRecord,
    RequestRecord,
    SentMessage,
    Undelivered,
)

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "CallbackAnswer",
    "ChatState",
    "EditRecord",
    "EntityParseError",
    "FakeBotApi",
    "FileRecord",
    "ParsedText",
    "RequestRecord",
    "SentMessage",
    "Undelivered",
    "application_builder",
    "parse_text",
    "running_application",
    "utf16_len",
]
