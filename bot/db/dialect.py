"""Dialect-specific statements the repositories share (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignore(session: AsyncSession, model: type[Any]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL).

    No conflict target: any unique key the row collides with makes it a no-op.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"insert-ignore for {dialect}")  # pragma: no cover


def upsert(session: AsyncSession, model: type[Any]) -> Any:
    """The dialect's insert() with on_conflict_do_update available."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)
