"""Zalo: the numbering of a person's latest reminder comes from the outbox, not zalo_recipients.

Revision ID: 0011_zalo_numbering
Revises: 0010_web_indexes
Create Date: 2026-12-06

Since 0009_channels a Zalo reminder is an outbox row of the person's Recipient, whose
due_item_ids say what "1", "2"… mean once it is delivered; zalo_recipients.numbered and
numbered_at (0007_zalo) were never needed after that. Plain DROP COLUMN (SQLite ≥ 3.35).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_zalo_numbering"
down_revision: str | None = "0010_web_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("zalo_recipients", "numbered_at")
    op.drop_column("zalo_recipients", "numbered")


def downgrade() -> None:
    op.add_column("zalo_recipients", sa.Column("numbered", sa.JSON(), nullable=True))
    op.add_column("zalo_recipients", sa.Column("numbered_at", sa.DateTime(timezone=True), nullable=True))
