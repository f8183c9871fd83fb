"""Column behaviour on both databases: UTC instants, enum columns, append-only history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from db_factories import event, import_in_tx, once, plan_draft, seed_province, three_tasks, yearly
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.codec import deadline_from_json, deadline_to_json
from bot.db.models import DueItem, HistoryImmutableError, Plan, StatusChange
from bot.db.status_changes import change_status
from bot.domain.status import ChangeSource, Status

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 6, 23, 9, 12, tzinfo=VN)  # 02:12 UTC


async def test_timestamps_come_back_aware_utc(sm: async_sessionmaker[AsyncSession]) -> None:
    async with sm() as s, s.begin():
        province = await seed_province(s)
        s.add(
            Plan(
                province_id=province.id,
                number="1/KH-UBND",
                source_name="x.txt",
                source_sha256="0" * 64,
                imported_at=NOW,
                updated_at=NOW + timedelta(days=1),
            )
        )
    async with sm() as s:
        plan = await s.scalar(select(Plan))
        assert plan is not None
        assert plan.imported_at == NOW
        assert plan.imported_at.utcoffset() == timedelta(0)
        assert plan.imported_at.tzinfo is UTC
        assert plan.imported_at.hour == 2
        # Stored as the UTC instant, whatever the database.
        if s.bind.dialect.name == "sqlite":
            raw = await s.scalar(text("SELECT imported_at FROM plans"))
            assert str(raw).startswith("2025-06-23 02:12:00")
        else:
            raw = await s.scalar(text("SELECT imported_at AT TIME ZONE 'UTC' FROM plans"))
            assert raw == datetime(2025, 6, 23, 2, 12)


async def test_naive_datetimes_are_refused(sm: async_sessionmaker[AsyncSession]) -> None:
    async with sm() as s:
        province = await seed_province(s)
        s.add(
            Plan(
                province_id=province.id,
                number="2/KH-UBND",
                source_name="x.txt",
                source_sha256="0" * 64,
                imported_at=datetime(2025, 6, 23, 9, 12),
            )
        )
        with pytest.raises(StatementError, match="naive datetime"):
            await s.flush()


async def _one_history_row(sm: async_sessionmaker[AsyncSession]) -> int:
    await import_in_tx(sm, plan_draft(three_tasks()))
    async with sm() as s:
        return (await s.scalars(select(StatusChange.id).order_by(StatusChange.id))).first()  # type: ignore[return-value]


async def test_history_rows_cannot_be_changed_through_the_orm(
    sm: async_sessionmaker[AsyncSession],
) -> None:
    row_id = await _one_history_row(sm)
    async with sm() as s:
        row = await s.get(StatusChange, row_id)
        assert row is not None
        row.note = "sửa lịch sử"
        with pytest.raises(HistoryImmutableError):
            await s.flush()
    async with sm() as s:
        row = await s.get(StatusChange, row_id)
        await s.delete(row)
        with pytest.raises(HistoryImmutableError):
            await s.flush()
    async with sm() as s:
        with pytest.raises(HistoryImmutableError):
            await s.execute(update(StatusChange).values(note="x"))
        with pytest.raises(HistoryImmutableError):
            await s.execute(delete(StatusChange).where(StatusChange.id == row_id))
    async with sm() as s:
        row = await s.get(StatusChange, row_id)
        assert row is not None and row.note != "sửa lịch sử"


async def test_history_rows_cannot_be_changed_with_sql(sm: async_sessionmaker[AsyncSession]) -> None:
    # The database itself refuses (PostgreSQL trigger; SQLite trigger too).
    row_id = await _one_history_row(sm)
    for sql in (
        "UPDATE status_changes SET note = 'x' WHERE id = :id",
        "DELETE FROM status_changes WHERE id = :id",
    ):
        async with sm() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(sql), {"id": row_id})
    async with sm() as s:
        assert await s.get(StatusChange, row_id) is not None
        # A due item with history cannot be deleted either (the foreign key holds).
        item = await s.get(DueItem, (await s.get(StatusChange, row_id)).due_item_id)  # type: ignore[union-attr]
        await s.delete(item)
        with pytest.raises(DBAPIError):
            await s.flush()


async def test_database_checks_status_and_progress(sm: async_sessionmaker[AsyncSession]) -> None:
    await import_in_tx(sm, plan_draft(three_tasks()))
    for sql in (
        "UPDATE due_items SET status = 'finished'",
        "UPDATE due_items SET progress = 150",
    ):
        async with sm() as s:
            with pytest.raises(DBAPIError):
                await s.execute(text(sql))


async def test_status_change_updates_item_and_appends_history(
    sm: async_sessionmaker[AsyncSession],
) -> None:
    await import_in_tx(sm, plan_draft(three_tasks()))
    async with sm() as s, s.begin():
        item = await s.scalar(select(DueItem).order_by(DueItem.id))
        assert item is not None and item.status is Status.PENDING
        await change_status(
            s,
            item=item,
            status=Status.IN_PROGRESS,
            progress=60,
            source=ChangeSource.CHAT,
            now=NOW,
            today=NOW.date(),
            actor_name="Nguyễn Văn A",
            actor_tg_id=10**12,
            chat_id=-100123456789,
            message_id=42,
            evidence={"text": "2 đang làm 60%"},
        )
        await change_status(
            s, item=item, status=Status.DONE, source=ChangeSource.BUTTON, now=NOW, today=NOW.date()
        )
        item_id = item.id
    async with sm() as s:
        item = await s.get(DueItem, item_id)
        assert item is not None
        assert (item.status, item.progress, item.completed_on) == (Status.DONE, 100, NOW.date())
        rows = (await s.scalars(
            select(StatusChange).where(StatusChange.due_item_id == item_id).order_by(StatusChange.id)
        )).all()
        assert [(r.source, r.old_status, r.new_status) for r in rows] == [
            (ChangeSource.IMPORT, None, Status.PENDING),
            (ChangeSource.CHAT, Status.PENDING, Status.IN_PROGRESS),
            (ChangeSource.BUTTON, Status.IN_PROGRESS, Status.DONE),
        ]
        assert rows[1].evidence == {"text": "2 đang làm 60%"}
        assert rows[1].actor_tg_id == 10**12 and rows[1].chat_id == -100123456789


@pytest.mark.parametrize(
    "rule", [once(date(2021, 6, 30)), yearly(1, 30), event()], ids=["once", "yearly", "event"]
)
def test_deadline_rule_json_round_trip(rule: object) -> None:
    data = deadline_to_json(rule)  # type: ignore[arg-type]
    assert deadline_from_json(data) == rule
