"""The session types the outer layers name in their signatures, so that only bot/db imports
SQLAlchemy (the import contract in pyproject.toml checks it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

__all__ = ["AsyncConnection", "AsyncEngine", "AsyncSession", "async_sessionmaker"]
