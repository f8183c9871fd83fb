"""Console at scale: due items in due-date order.

Revision ID: 0010_web_indexes
Revises: 0009_channels
Create Date: 2026-12-06

- ix_due_items_due_on: the tasks page lists a province's due items by due date, 50 at a
  time; with the index the first pages read 50 items instead of sorting all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_web_indexes"
down_revision: str | None = "0009_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_due_items_due_on"), "due_items", ["due_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_due_items_due_on"), table_name="due_items")
