"""`nhacviec export` / `restore`: a full backup round-trips exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import PG_URL, _pg_exec
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import Catalog
from bot.db.engine import head_revision, make_engine, make_sessionmaker, upgrade_database_async
from bot.db.models import Agency, Base, Chat, DueItem, OutboxMessage, PendingUpload, Plan, ReminderRun, Task
from bot.db.status_changes import change_status
from bot.domain.kinds import ChatRole, OutboxKind, OutboxStatus
from bot.domain.status import ChangeSource, Status
from bot.services import backup
from bot.services.plans import read_and_parse, store_draft

ROOT = Path(__file__).resolve().parents[2]
PHU_THO = ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt"
NOW = datetime(2021, 6, 20, 3, 4, 5, 123456, tzinfo=UTC)


@pytest.fixture
async def other_url(db_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second, empty database of the same kind as `db_url` (never migrated)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    schema = f"nv_test_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        await _pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def populate(sm: async_sessionmaker[AsyncSession]) -> None:
    """The sample plan, a status change, chats (one unreachable), outbox, a tick, bytes."""
    catalog = Catalog(ROOT / "data")
    draft = read_and_parse(
        PHU_THO.read_bytes(), PHU_THO.name, catalog=catalog, province=None, max_bytes=10_000_000
    )
    async with sm() as session, session.begin():
        await store_draft(session, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="test")
    async with sm() as session, session.begin():
        item = (
            await session.execute(
                select(DueItem).join(Task).where(Task.ref == "2", DueItem.due_on == date(2021, 6, 30))
            )
        ).scalar_one()
        await change_status(
            session, item=item, status=Status.DONE, today=date(2021, 6, 20), now=NOW,
            actor_tg_id=1, actor_name="Nguyễn Văn A", source=ChangeSource.COMMAND,
            note="Đã xong", evidence={"file": "bao-cao.pdf", "pages": [1, 2]},
        )
        agencies = list(await session.scalars(select(Agency).order_by(Agency.id)))
        first, last = agencies[0], agencies[-1]
        first.successor_id = last.id  # points forward: needs the NULL-then-update restore
        plan = await session.scalar(select(Plan))
        session.add_all([
            Chat(province_id=plan.province_id, tg_chat_id=-1001, title="Nhóm A", role=ChatRole.AGENCY,
                 agency_id=first.id, active=False, bound_at=NOW),
            Chat(province_id=plan.province_id, tg_chat_id=-1002, title="Lãnh đạo", role=ChatRole.LEADERS,
                 bound_at=NOW),
            PendingUpload(tg_user_id=5, tg_chat_id=5, file_name="kh.txt", content=b"\x00\xffbytes",
                          sha256="0" * 64, summary="Tóm tắt", created_at=NOW),
            ReminderRun(on_date=date(2021, 6, 21), first_run_at=NOW, last_run_at=NOW, messages=3),
        ])
        await session.flush()
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == -1002))
        for n, status in enumerate([OutboxStatus.PENDING, OutboxStatus.UNCERTAIN, OutboxStatus.FAILED,
                                    OutboxStatus.SENT]):
            session.add(OutboxMessage(
                chat_id=chat.id, tg_chat_id=-1002, on_date=date(2021, 6, 21), kind=OutboxKind.REMINDER,
                part=n, parts=4, body=f"<b>Nhắc việc</b> {n}", buttons=[[["Xong", "d:1"]]],
                due_item_ids=[item.id], status=status, next_attempt_at=NOW, created_at=NOW,
            ))


async def test_round_trip_is_exact_and_restore_refuses_a_used_database(db_url, sm, other_url, tmp_path):
    await populate(sm)
    first = await backup.export_database(db_url)
    assert first["format"] == "nhacviec-backup" and first["version"] == 1
    assert first["alembic_revision"] == head_revision()
    assert list(first["tables"]) == [t.name for t in Base.metadata.sorted_tables]
    assert set(first["tables"]) == set(Base.metadata.tables)
    tables = first["tables"]
    assert len(tables["plans"]) == 1 and len(tables["tasks"]) == 39 and len(tables["status_changes"]) >= 1
    change = next(r for r in tables["status_changes"] if r["note"] == "Đã xong")
    assert change["at"] == "2021-06-20T03:04:05.123456+00:00"
    assert change["evidence"] == {"file": "bao-cao.pdf", "pages": [1, 2]}
    assert tables["pending_uploads"][0]["content"] == "AP9ieXRlcw=="
    assert [r["id"] for r in tables["tasks"]] == sorted(r["id"] for r in tables["tasks"])
    # JSON-safe: the file form is the same document.
    path = tmp_path / "backup.json"
    backup.write_json(first, path)
    document = backup.read_json(path)
    assert document == first

    counts = await backup.restore_database(other_url, document)
    assert counts["tasks"] == 39
    second = await backup.export_database(other_url)
    assert second["tables"] == first["tables"]

    # The database is usable afterwards: new ids follow the restored ones (sequences reset).
    engine = make_engine(other_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            chat = Chat(province_id=tables["provinces"][0]["id"], tg_chat_id=-1003, role=ChatRole.LEADERS,
                        bound_at=NOW)
            session.add(chat)
            await session.flush()
            assert chat.id == max(r["id"] for r in tables["chats"]) + 1
    finally:
        await engine.dispose()

    with pytest.raises(backup.BackupError, match="đã có 1 kế hoạch"):
        await backup.restore_database(other_url, document)
    with pytest.raises(backup.BackupError, match="đã có 1 kế hoạch"):
        await backup.restore_database(db_url, document)


async def test_restore_refuses_another_revision_and_is_all_or_nothing(db_url, engine, sm, other_url):
    await populate(sm)
    document = await backup.export_database(db_url)

    await upgrade_database_async(other_url, "0004_replies")
    with pytest.raises(backup.BackupError, match=rf"\(0004_replies\) khác bản sao lưu \({head_revision()}\)"):
        await backup.restore_database(other_url, document)

    await upgrade_database_async(other_url)
    broken = copy.deepcopy(document)
    broken["tables"]["outbox"][0]["chat_id"] = 999_999  # a foreign key to nothing: fails late
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError
        await backup.restore_database(other_url, broken)
    target = make_engine(other_url)
    try:
        async with target.connect() as conn:
            for table in Base.metadata.sorted_tables:
                assert await conn.scalar(select(func.count()).select_from(table)) == 0, table.name
    finally:
        await target.dispose()

    with pytest.raises(backup.BackupError, match="không phải bản sao lưu"):
        await backup.restore_database(other_url, {"format": "x"})


async def test_xlsx_has_one_sheet_per_table(db_url, sm, tmp_path):
    from openpyxl import load_workbook

    await populate(sm)
    document = await backup.export_database(db_url)
    path = tmp_path / "backup.xlsx"
    backup.write_file(document, path)
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["_backup", *document["tables"]]
    rows = list(workbook["tasks"].iter_rows(values_only=True))
    assert len(rows) == 1 + 39 and rows[0][0] == "id"
    with pytest.raises(backup.BackupError, match="không hỗ trợ"):
        backup.write_file(document, tmp_path / "backup.csv")


async def test_cli_export_then_restore(db_url, other_url, tmp_path):
    from test_cli import run

    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    out = tmp_path / "sao-luu.json"
    exported = run("export", str(out), db_url=db_url, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "Đã sao lưu" in exported.stdout
    restored = run("restore", str(out), db_url=other_url, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "Đã khôi phục" in restored.stdout
    again = run("restore", str(out), db_url=other_url, cwd=tmp_path)
    assert again.returncode == 1
    assert "Lỗi: Cơ sở dữ liệu đã có 1 kế hoạch" in again.stderr and again.stderr.strip().count("\n") == 0
    first = json.loads(out.read_text(encoding="utf-8"))
    second = await backup.export_database(other_url)
    assert second["tables"] == first["tables"]
