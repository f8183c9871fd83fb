"""Full backups of the database: `nhacviec export` / `nhacviec restore`.

A backup is one JSON document holding every table of `Base.metadata`, in foreign-key
dependency order (`metadata.sorted_tables`), rows in primary-key order:

    {"format": "nhacviec-backup", "version": 1, "alembic_revision": "0005_digests",
     "exported_at": "2026-…+00:00", "tables": {"provinces": [{…}, …], …}}

Values are JSON-safe: dates and datetimes in ISO form (datetimes with their UTC offset),
JSON columns as they are, bytes in base64, enums as their string value. The same data
can be written as an .xlsx workbook (one sheet per table) for people to read; only the
JSON form can be restored.

Restoring needs an empty database at the backup's Alembic revision; everything is
inserted in one transaction (nothing half-restored). A self-referencing foreign key
(agencies.successor_id) is inserted as NULL and set afterwards; on PostgreSQL the id
sequences are moved past the restored ids.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from bot.db import backup as db
from bot.db.engine import make_engine
from bot.db.session import AsyncConnection
from bot.render import backup as texts

FORMAT = "nhacviec-backup"
VERSION = 1


class BackupError(Exception):
    """An expected failure, with a one-line Vietnamese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- values ----------------------------------------------------------------------------


def to_json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:  # not expected (UTCDateTime is always aware): say it is UTC
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value  # JSON columns: lists and dicts as they are


# --- export ----------------------------------------------------------------------------


async def dump(conn: AsyncConnection) -> dict[str, Any]:
    """The backup document of the database behind `conn`."""
    revision = await db.revision(conn)
    if revision is None:
        raise BackupError(texts.NOT_INITIALISED)
    data: dict[str, list[dict[str, Any]]] = {}
    async for name, rows in db.table_rows(conn):
        data[name] = [{key: to_json_value(value) for key, value in row.items()} for row in rows]
    return {
        "format": FORMAT,
        "version": VERSION,
        "alembic_revision": revision,
        "exported_at": datetime.now(UTC).isoformat(),
        "tables": data,
    }


async def export_database(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await dump(conn)
    finally:
        await engine.dispose()


def write_json(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_xlsx(document: dict[str, Any], path: Path) -> None:
    """One sheet per table (for people: not restorable); JSON columns as JSON text."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any) -> Any:
        if isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    workbook = Workbook()
    info = workbook.active
    info.title = "_backup"
    for key in ("format", "version", "alembic_revision", "exported_at"):
        info.append([key, document[key]])
    for name, rows in document["tables"].items():
        sheet = workbook.create_sheet(name[:31])
        columns = db.column_names(name) or list(rows[0] if rows else [])
        sheet.append(columns)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([cell(row.get(c)) for c in columns])
    workbook.save(path)


def write_file(document: dict[str, Any], path: Path) -> None:
    if path.suffix.lower() == ".xlsx":
        write_xlsx(document, path)
    elif path.suffix.lower() == ".json":
        write_json(document, path)
    else:
        raise BackupError(texts.unsupported_format(path.name))


# --- restore ---------------------------------------------------------------------------


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BackupError(texts.file_not_found(path))
    if path.suffix.lower() != ".json":
        raise BackupError(texts.json_only(path.name))
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(texts.unreadable(path.name, exc)) from None
    check_document(document)
    return document


def check_document(document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(texts.NOT_A_BACKUP)
    if document.get("version") != VERSION:
        raise BackupError(texts.unsupported_version(document.get("version"), VERSION))
    if not isinstance(document.get("tables"), dict):
        raise BackupError(texts.NO_TABLES)
    unknown = sorted(set(document["tables"]) - set(db.table_names()))
    if unknown:
        raise BackupError(texts.unknown_tables(unknown))


async def load(conn: AsyncConnection, document: dict[str, Any]) -> dict[str, int]:
    """Insert the backup into the (empty) database behind `conn`, in the caller's transaction.

    Returns the number of rows restored per table."""
    check_document(document)
    revision = await db.revision(conn)
    wanted = document.get("alembic_revision")
    if revision != wanted:
        raise BackupError(texts.revision_mismatch(revision, wanted))
    plans = await db.plan_count(conn)
    if plans:
        raise BackupError(texts.has_plans(plans))
    filled = await db.first_filled_table(conn)
    if filled is not None:
        raise BackupError(texts.has_data(filled))

    counts: dict[str, int] = {}
    for name in db.table_names():
        rows = document["tables"].get(name, [])
        counts[name] = len(rows)
        if not rows:
            continue
        unknown = set().union(*rows) - set(db.column_names(name) or ())
        if unknown:
            raise BackupError(texts.unknown_columns(name, sorted(unknown)))
        await db.insert_rows(conn, name, rows)
    await db.reset_sequences(conn)
    return counts


async def restore_database(url: str, document: dict[str, Any], *, migrate_empty: bool = True) -> dict[str, int]:
    """Restore into the database at `url` in one transaction.

    `migrate_empty`: a database never migrated at all is first migrated to the backup's
    revision (a fresh installation); one at another revision is refused."""
    from bot.db.engine import current_revision_async, upgrade_database_async

    check_document(document)
    if migrate_empty and await current_revision_async(url) is None and document.get("alembic_revision"):
        try:
            await upgrade_database_async(url, document["alembic_revision"])
        except Exception as exc:  # noqa: BLE001 - an unknown revision, an unreachable server
            raise BackupError(texts.cannot_initialise(document["alembic_revision"], type(exc).__name__)) from None
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await load(conn, document)
    finally:
        await engine.dispose()
