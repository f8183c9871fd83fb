"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from bot.db.engine import (
    current_revision_async,
    downgrade_database_async,
    head_revision,
    make_engine,
    upgrade_database_async,
)
from bot.db.models import Base


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _tables(url: str) -> set[str]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: c.dialect.get_table_names(c)))
    finally:
        await engine.dispose()


async def test_upgrade_empty_database_matches_models(db_url: str) -> None:
    assert await current_revision_async(db_url) is None
    await upgrade_database_async(db_url)
    assert await current_revision_async(db_url) == head_revision()

    engine = make_engine(db_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            if conn.dialect.name == "postgresql":
                triggers = await conn.execute(
                    text(
                        "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE c.relname = 'status_changes' AND c.relnamespace = "
                        "current_schema()::regnamespace AND NOT t.tgisinternal"
                    )
                )
                # The history's guard, and the trigger that keeps item_figures (0018).
                assert sorted(triggers.scalars().all()) == ["item_figures_of_history", "status_changes_append_only"]
    finally:
        await engine.dispose()

    await upgrade_database_async(db_url)  # at head already: a no-op
    assert await current_revision_async(db_url) == head_revision()


async def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    await upgrade_database_async(db_url)
    await downgrade_database_async(db_url, "base")
    assert await _tables(db_url) <= {"alembic_version"}
    await upgrade_database_async(db_url)
    assert set(Base.metadata.tables) <= await _tables(db_url)
