"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always timezone-aware UTC in Python.

    PostgreSQL stores `timestamptz` and hands values back in the session time zone;
    SQLite has no time zone at all and hands back naive values. Both come back as
    aware UTC here. Naive values are refused on the way in: a naive datetime is a
    bug (local time or UTC? nobody knows), so it fails loudly instead of being guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite's DATETIME storage format has no offset; keep one (UTC) convention.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(TypeDecorator[Any]):
    """A `StrEnum` stored as its plain string value (VARCHAR), read back as the enum.

    Not `sqlalchemy.Enum`: that one stores member *names* by default and its
    non-native form couples the allowed values to the column type; here the allowed
    values are a named CHECK constraint declared next to the column.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value  # validates plain strings too

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.enum_cls(value)

    def copy(self, **kw: Any) -> StrEnumType:
        return StrEnumType(self.enum_cls, self.length)

    def __repr__(self) -> str:
        return f"StrEnumType({self.enum_cls.__name__}, {self.length})"


def enum_check(column: str, enum_cls: type[StrEnum]) -> str:
    """SQL for a CHECK constraint that limits `column` to the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return f"{column} IN ({values})"
