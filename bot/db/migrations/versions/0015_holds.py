"""Snooze, pause and "không thực hiện": why reminders stop for an item or an agency.

Revision ID: 0015_holds
Revises: 0014_follow_from
Create Date: 2026-12-06

- reminder_holds: a snoozed item ("tạm dừng nhắc NV3 đến 15/1"), a paused agency (/tamdung),
  an item an admin dropped with a reason (/khongthuchien); kept when ended (ended_at).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_holds"
down_revision: str | None = "0014_follow_from"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_item_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("until_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_tg_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('snooze', 'pause', 'waive')", name=op.f("ck_reminder_holds_kind")),
        sa.CheckConstraint("(due_item_id IS NULL) <> (agency_id IS NULL)", name=op.f("ck_reminder_holds_target")),
        sa.ForeignKeyConstraint(["due_item_id"], ["due_items.id"], name=op.f("fk_reminder_holds_due_item_id_due_items")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_reminder_holds_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_holds")),
    )
    op.create_index(op.f("ix_reminder_holds_due_item_id_ended_at"), "reminder_holds", ["due_item_id", "ended_at"])
    op.create_index(op.f("ix_reminder_holds_agency_id_ended_at"), "reminder_holds", ["agency_id", "ended_at"])


def downgrade() -> None:
    op.drop_table("reminder_holds")
