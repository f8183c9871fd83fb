"""Following up without noise: focal points.

Revision ID: 0012_followup
Revises: 0011_zalo_numbering
Create Date: 2026-12-06

- focal_points: the people who answer for an agency (/daumoi), @mentioned in its reminders.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_followup"
down_revision: str | None = "0011_zalo_numbering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "focal_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("private_copy", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("registered_in", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_focal_points_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focal_points")),
        sa.UniqueConstraint("agency_id", "tg_user_id", name=op.f("uq_focal_points_agency_id_tg_user_id")),
    )
    op.create_index(op.f("ix_focal_points_agency_id"), "focal_points", ["agency_id"])
    op.create_index(op.f("ix_focal_points_tg_user_id"), "focal_points", ["tg_user_id"])


def downgrade() -> None:
    op.drop_table("focal_points")
