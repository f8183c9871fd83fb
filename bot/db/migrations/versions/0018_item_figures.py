"""What the figures need of each due item, one narrow row kept by triggers.

Revision ID: 0018_item_figures
Revises: 0017_email_always
Create Date: 2026-12-06

- item_figures (bot.db.models.ItemFigure): per due item that counts (not cancelled, task
  not removed, dated by the plan or by a history row) its plan, task, agency, status, due
  and completion dates as the figures read them, its last history instant and, for an
  admin's date, its first. The console's Reports and Agencies pages and the digests count
  the items unchanged since the day asked about from this table's one index instead of
  joining 100,000 items to their tasks and to a GROUP BY over the whole history.
- Kept by triggers, not by the application: every INSERT/UPDATE/DELETE of due_items, every
  change of a task's plan or removal, every history row recomputes the rows concerned, so
  no writer (ORM, bulk UPDATE, import, restore, a hand-typed SQL fix) can leave it behind.
  On PostgreSQL a trigger first locks the due item (FOR NO KEY UPDATE): two transactions
  touching one item (a reply and a bulk close) recompute its row one after the other, the
  second from what the first committed.
- Backfilled here from the items and their history.
- status_changes.at indexed: the Agencies page reads who answered in the last year, and the
  figures of a past day the items changed since then, from that range alone; tasks by
  (plan_id, removed): the tasks per plan counted from that index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_item_figures"
down_revision: str | None = "0017_email_always"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "due_item_id, plan_id, task_id, agency_id, status, due_on, completed_on, last_at, dated_from"

# The rows of the items matching {items} (whose history rows match {history}): before any
# history row, as the plan made the item (pending, due on its original date).
SELECT = """
SELECT d.id, t.plan_id, d.task_id, d.agency_id,
       CASE WHEN h.last_at IS NULL THEN 'pending' ELSE d.status END,
       CASE WHEN h.last_at IS NULL THEN d.original_due_on ELSE d.due_on END,
       CASE WHEN h.last_at IS NULL THEN NULL ELSE d.completed_on END,
       h.last_at,
       CASE WHEN d.origin = 'import' THEN NULL ELSE h.first_at END
FROM due_items d
JOIN tasks t ON t.id = d.task_id
LEFT JOIN (
    SELECT due_item_id, max(at) AS last_at, min(at) AS first_at
    FROM status_changes WHERE {history} GROUP BY due_item_id
) h ON h.due_item_id = d.id
WHERE {items} AND d.cancelled = false AND t.removed = false AND (d.origin = 'import' OR h.last_at IS NOT NULL)
"""

ITEM = {"items": "d.id = {id}", "history": "due_item_id = {id}"}
TASK = {"items": "d.task_id = {id}", "history": "due_item_id IN (SELECT id FROM due_items WHERE task_id = {id})"}


def _select(scope: dict[str, str], ref: str) -> str:
    return SELECT.format(items=scope["items"].format(id=ref), history=scope["history"].format(id=ref))


def _pg_upsert(scope: dict[str, str], ref: str) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS.split(", ")[1:])
    return f"INSERT INTO item_figures ({COLUMNS}) {_select(scope, ref)} ON CONFLICT (due_item_id) DO UPDATE SET {updates};"


PG_FUNCTIONS = {
    "item_figures_of_item": f"""
CREATE FUNCTION item_figures_of_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM item_figures WHERE due_item_id = OLD.id;
        RETURN NULL;
    END IF;
    DELETE FROM item_figures WHERE due_item_id = NEW.id;
    {_pg_upsert(ITEM, "NEW.id")}
    RETURN NULL;
END $$""",
    "item_figures_of_history": f"""
CREATE FUNCTION item_figures_of_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM due_items WHERE id = NEW.due_item_id FOR NO KEY UPDATE;
    DELETE FROM item_figures WHERE due_item_id = NEW.due_item_id;
    {_pg_upsert(ITEM, "NEW.due_item_id")}
    RETURN NULL;
END $$""",
    "item_figures_of_task": f"""
CREATE FUNCTION item_figures_of_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM due_items WHERE task_id = NEW.id ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM item_figures WHERE task_id = NEW.id OR task_id = OLD.id;
    {_pg_upsert(TASK, "NEW.id")}
    RETURN NULL;
END $$""",
}
ITEM_COLUMNS = "status, due_on, original_due_on, completed_on, cancelled, origin, agency_id, task_id"
PG_TRIGGERS = [
    f"CREATE TRIGGER item_figures_of_item AFTER INSERT OR DELETE OR UPDATE OF {ITEM_COLUMNS} ON due_items "
    "FOR EACH ROW EXECUTE FUNCTION item_figures_of_item()",
    "CREATE TRIGGER item_figures_of_history AFTER INSERT ON status_changes "
    "FOR EACH ROW EXECUTE FUNCTION item_figures_of_history()",
    "CREATE TRIGGER item_figures_of_task AFTER UPDATE OF removed, plan_id ON tasks "
    "FOR EACH ROW EXECUTE FUNCTION item_figures_of_task()",
]


def _sqlite_refresh(scope: dict[str, str], ref: str, delete: str) -> str:
    return f"DELETE FROM item_figures WHERE {delete}; INSERT OR REPLACE INTO item_figures ({COLUMNS}) {_select(scope, ref)};"


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER item_figures_item_insert AFTER INSERT ON due_items BEGIN
    {_sqlite_refresh(ITEM, "NEW.id", "due_item_id = NEW.id")}
END""",
    f"""CREATE TRIGGER item_figures_item_update AFTER UPDATE OF {ITEM_COLUMNS} ON due_items BEGIN
    DELETE FROM item_figures WHERE due_item_id = OLD.id;
    {_sqlite_refresh(ITEM, "NEW.id", "due_item_id = NEW.id")}
END""",
    """CREATE TRIGGER item_figures_item_delete AFTER DELETE ON due_items BEGIN
    DELETE FROM item_figures WHERE due_item_id = OLD.id;
END""",
    f"""CREATE TRIGGER item_figures_history_insert AFTER INSERT ON status_changes BEGIN
    {_sqlite_refresh(ITEM, "NEW.due_item_id", "due_item_id = NEW.due_item_id")}
END""",
    f"""CREATE TRIGGER item_figures_task_update AFTER UPDATE OF removed, plan_id ON tasks BEGIN
    {_sqlite_refresh(TASK, "NEW.id", "task_id = NEW.id OR task_id = OLD.id")}
END""",
]
SQLITE_TRIGGER_NAMES = [
    "item_figures_item_insert", "item_figures_item_update", "item_figures_item_delete",
    "item_figures_history_insert", "item_figures_task_update",
]


def upgrade() -> None:
    op.create_table(
        "item_figures",
        sa.Column("due_item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dated_from", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("due_item_id", name=op.f("pk_item_figures")),
    )
    op.create_index(
        "ix_item_figures_counts", "item_figures", ["plan_id", "agency_id", "status", "due_on", "completed_on", "last_at"]
    )
    op.create_index(op.f("ix_item_figures_last_at"), "item_figures", ["last_at"])
    op.create_index(op.f("ix_item_figures_task_id"), "item_figures", ["task_id"])
    op.create_index(op.f("ix_status_changes_at"), "status_changes", ["at"])
    op.create_index(op.f("ix_tasks_plan_id_removed"), "tasks", ["plan_id", "removed"])
    op.execute(f"INSERT INTO item_figures ({COLUMNS}) " + SELECT.format(items="true", history="true"))
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        for function in PG_FUNCTIONS.values():
            op.execute(function)
        for trigger in PG_TRIGGERS:
            op.execute(trigger)
    elif dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS item_figures_of_item ON due_items")
        op.execute("DROP TRIGGER IF EXISTS item_figures_of_history ON status_changes")
        op.execute("DROP TRIGGER IF EXISTS item_figures_of_task ON tasks")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("item_figures")
    op.drop_index(op.f("ix_status_changes_at"), table_name="status_changes")
    op.drop_index(op.f("ix_tasks_plan_id_removed"), table_name="tasks")
