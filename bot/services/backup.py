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

from sqlalchemy import Column, Table, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

from bot.db.engine import make_engine
from bot.db.models import Base

FORMAT = "nhacviec-backup"
VERSION = 1


class BackupError(Exception):
    """An expected failure, with a one-line Vietnamese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


# --- values ----------------------------------------------------------------------------


def _python_type(column: Column[Any]) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime, StrEnumType: what they store
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


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


# --- export ----------------------------------------------------------------------------


async def _revision(conn: AsyncConnection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def dump(conn: AsyncConnection) -> dict[str, Any]:
    """The backup document of the database behind `conn`."""
    revision = await _revision(conn)
    if revision is None:
        raise BackupError("Cơ sở dữ liệu chưa được khởi tạo (chạy: nhacviec db upgrade).")
    data: dict[str, list[dict[str, Any]]] = {}
    for table in tables():
        result = await conn.execute(select(table).order_by(*table.primary_key.columns))
        data[table.name] = [
            {key: to_json_value(value) for key, value in row.items()} for row in result.mappings()
        ]
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
    by_name = {t.name: t for t in tables()}
    for name, rows in document["tables"].items():
        sheet = workbook.create_sheet(name[:31])
        columns = [c.name for c in by_name[name].columns] if name in by_name else list(rows[0] if rows else [])
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
        raise BackupError(f"Định dạng tệp không hỗ trợ: {path.name} (dùng .json hoặc .xlsx)")


# --- restore ---------------------------------------------------------------------------


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BackupError(f"Không tìm thấy tệp: {path}")
    if path.suffix.lower() != ".json":
        raise BackupError(f"Chỉ khôi phục được từ tệp .json: {path.name}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"Tệp sao lưu không đọc được: {path.name} ({exc})") from None
    check_document(document)
    return document


def check_document(document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError("Tệp không phải bản sao lưu nhacviec.")
    if document.get("version") != VERSION:
        raise BackupError(f"Phiên bản bản sao lưu không hỗ trợ: {document.get('version')!r} (cần {VERSION}).")
    if not isinstance(document.get("tables"), dict):
        raise BackupError("Bản sao lưu thiếu phần dữ liệu (tables).")
    unknown = sorted(set(document["tables"]) - {t.name for t in tables()})
    if unknown:
        raise BackupError(f"Bản sao lưu có bảng không biết: {', '.join(unknown)}.")


async def load(conn: AsyncConnection, document: dict[str, Any]) -> dict[str, int]:
    """Insert the backup into the (empty) database behind `conn`, in the caller's transaction.

    Returns the number of rows restored per table."""
    check_document(document)
    revision = await _revision(conn)
    wanted = document.get("alembic_revision")
    if revision != wanted:
        raise BackupError(
            f"Phiên bản cơ sở dữ liệu ({revision or 'chưa khởi tạo'}) khác bản sao lưu ({wanted}): "
            "không khôi phục."
        )
    plans = await conn.scalar(select(func.count()).select_from(Base.metadata.tables["plans"]))
    if plans:
        raise BackupError(f"Cơ sở dữ liệu đã có {plans} kế hoạch: chỉ khôi phục vào cơ sở dữ liệu trống.")
    for table in tables():
        if await conn.scalar(select(func.count()).select_from(table)):
            raise BackupError(f"Cơ sở dữ liệu đã có dữ liệu (bảng {table.name}): chỉ khôi phục vào cơ sở dữ liệu trống.")

    counts: dict[str, int] = {}
    for table in tables():
        rows = document["tables"].get(table.name, [])
        counts[table.name] = len(rows)
        if not rows:
            continue
        unknown = set().union(*rows) - set(table.columns.keys())
        if unknown:
            raise BackupError(f"Bảng {table.name} trong bản sao lưu có cột không biết: {', '.join(sorted(unknown))}.")
        # Self-referencing foreign keys (agencies.successor_id): NULL first, set afterwards.
        self_refs = [
            fk.parent.name for fk in table.foreign_keys if fk.column.table is table
        ]
        values = [
            {c.name: from_json_value(c, row.get(c.name)) for c in table.columns} for row in rows
        ]
        deferred = []
        for value in values:
            later = {name: value[name] for name in self_refs if value[name] is not None}
            if later:
                deferred.append(({c.name: value[c.name] for c in table.primary_key.columns}, later))
                value.update(dict.fromkeys(later))
        await conn.execute(table.insert(), values)
        for key, later in deferred:
            where = [table.c[name] == bindparam(f"k_{name}") for name in key]
            await conn.execute(
                table.update().where(*where).values(**later), {f"k_{n}": v for n, v in key.items()}
            )
    if conn.dialect.name == "postgresql":
        await _reset_sequences(conn)
    return counts


async def _reset_sequences(conn: AsyncConnection) -> None:
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
            raise BackupError(
                f"Không khởi tạo được cơ sở dữ liệu ở phiên bản {document['alembic_revision']}: "
                f"{type(exc).__name__}"
            ) from None
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await load(conn, document)
    finally:
        await engine.dispose()
