"""The tables of a full backup, read and written as they are: every table of
`Base.metadata` in foreign-key dependency order, rows in primary-key order, values turned
to and from JSON-safe form by the caller's converter (dates in ISO form, bytes in base64).
The document, its checks and messages are bot/services/backup.py's.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, RowMapping, Table, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

from bot.db.models import Base


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def table_names() -> list[str]:
    return [t.name for t in tables()]


def column_names(name: str) -> list[str] | None:
    """The columns of table `name` in their order; None for a table the schema lacks."""
    table = Base.metadata.tables.get(name)
    return [c.name for c in table.columns] if table is not None else None


def _python_type(column: Column[Any]) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime, StrEnumType: what they store
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def from_json_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = _python_type(column)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is bytes:
        return base64.b64decode(value)
    return value


async def revision(conn: AsyncConnection) -> str | None:
    """The database's Alembic revision (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def table_rows(conn: AsyncConnection) -> AsyncIterator[tuple[str, Sequence[RowMapping]]]:
    """(table name, its rows in primary-key order) for every table, in dependency order."""
    for table in tables():
        result = await conn.execute(select(table).order_by(*table.primary_key.columns))
        yield table.name, result.mappings().all()


async def plan_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(Base.metadata.tables["plans"])) or 0)


async def first_filled_table(conn: AsyncConnection) -> str | None:
    """The first table (in dependency order) that holds a row; None when all are empty."""
    for table in tables():
        if await conn.scalar(select(func.count()).select_from(table)):
            return table.name
    return None


async def insert_rows(conn: AsyncConnection, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert JSON-safe rows into table `name` (their columns must be the table's).

    A self-referencing foreign key (agencies.successor_id) is inserted as NULL and set
    afterwards, so rows may refer to later ones."""
    table = Base.metadata.tables[name]
    if table.info.get("derived"):
        # item_figures: the database's triggers rebuilt it as the items and their history
        # went in (its rows are in the backup so that an export says what was there).
        return
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    values = [{c.name: from_json_value(c, row.get(c.name)) for c in table.columns} for row in rows]
    deferred = []
    for value in values:
        later = {name: value[name] for name in self_refs if value[name] is not None}
        if later:
            deferred.append(({c.name: value[c.name] for c in table.primary_key.columns}, later))
            value.update(dict.fromkeys(later))
    await conn.execute(table.insert(), values)
    for key, later in deferred:
        where = [table.c[name] == bindparam(f"k_{name}") for name in key]
        await conn.execute(table.update().where(*where).values(**later), {f"k_{n}": v for n, v in key.items()})


async def reset_sequences(conn: AsyncConnection) -> None:
    """On PostgreSQL, move the id sequences past the ids now stored (nothing on SQLite)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or _python_type(pk[0]) is not int:
            continue
        sequence = await conn.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        )
        if sequence is None:
            continue
        top = await conn.scalar(select(func.max(pk[0])))
        await conn.execute(
            text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
            {"s": sequence, "v": top or 1, "called": top is not None},
        )
