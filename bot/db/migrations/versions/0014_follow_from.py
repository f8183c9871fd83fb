"""Starting a plan that is already under way.

Revision ID: 0014_follow_from
Revises: 0013_calendar_days
Create Date: 2026-12-06

- plans.follow_from: the day the bot began following the plan; items due before it were
  imported with the new status "unknown" (chưa cập nhật) instead of becoming overdue.
- due_items.status, extension_requests.prev_status and status_undos.prev_status may be
  "unknown" (the CHECK constraints are rebuilt; SQLite copies the tables in batch mode).
- due_items.asked_on: the day an item of unknown status was listed for confirmation, so it
  is listed once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_follow_from"
down_revision: str | None = "0013_calendar_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("pending", "in_progress", "blocked", "extension_requested", "extended", "done")
_NEW = (*_OLD, "unknown")


# Every CHECK constraint over a Status column: (table, column = constraint name).
_STATUS_CHECKS = (("due_items", "status"), ("extension_requests", "prev_status"), ("status_undos", "prev_status"))


def _check(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.add_column("plans", sa.Column("follow_from", sa.Date(), nullable=True))
    op.add_column("due_items", sa.Column("asked_on", sa.Date(), nullable=True))
    for table, column in _STATUS_CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(column, type_="check")
            batch.create_check_constraint(column, _check(column, _NEW))


def downgrade() -> None:
    for table, column in _STATUS_CHECKS:
        op.execute(f"UPDATE {table} SET {column} = 'pending' WHERE {column} = 'unknown'")
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(column, type_="check")
            batch.create_check_constraint(column, _check(column, _OLD))
    with op.batch_alter_table("due_items") as batch:
        batch.drop_column("asked_on")
    op.drop_column("plans", "follow_from")
