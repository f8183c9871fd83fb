"""Days off and make-up working days set by an admin (bot command or CLI).

Revision ID: 0013_calendar_days
Revises: 0012_followup
Create Date: 2026-12-06

- calendar_days: one row a day, kind 'day_off' or 'working_day', who set it and why. They
  win over data/holidays.yaml and the `holidays` package in every working-day computation.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_calendar_days"
down_revision: str | None = "0012_followup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('day_off', 'working_day')", name=op.f("ck_calendar_days_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_days_day")),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
