"""Digests: dated history rows and the record of scheduled digests.

Revision ID: 0005_digests
Revises: 0004_replies
Create Date: 2026-11-22

- status_changes.due_on / completed_on: each history row records the item's due date and
  completion date after the change, so a digest for a past date reads what was true then
  from the history alone (an extension moves due_items.due_on; the history keeps every
  step). Rows written before this revision stay NULL: the history is append-only (its
  trigger refuses the UPDATE a backfill would need), and readers fall back to the item.
- digest_runs: one row per leaders' chat, digest kind and as-of date; its unique key makes
  each weekly/monthly digest go out once, however many ticks or processes race.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_digests"
down_revision: str | None = "0004_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'pending', 'sending', 'sent', 'uncertain', 'failed'"


def upgrade() -> None:
    # Plain ADD COLUMN (nullable) on both databases: no table rebuild, the SQLite
    # append-only triggers on status_changes stay in place.
    op.add_column("status_changes", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column("status_changes", sa.Column("completed_on", sa.Date(), nullable=True))
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("parts_sent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('week', 'month')", name=op.f("ck_digest_runs_kind")),
        sa.CheckConstraint(f"status IN ({STATES})", name=op.f("ck_digest_runs_status")),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_digest_runs_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
        sa.UniqueConstraint("chat_id", "kind", "as_of", name=op.f("uq_digest_runs_chat_id_kind_as_of")),
    )


def downgrade() -> None:
    op.drop_table("digest_runs")
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): no rebuild, the triggers survive.
    op.drop_column("status_changes", "completed_on")
    op.drop_column("status_changes", "due_on")
