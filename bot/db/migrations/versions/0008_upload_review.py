"""Console plan review: corrections made to an uploaded plan before it is imported.

Revision ID: 0008_upload_review
Revises: 0007_zalo
Create Date: 2026-12-06

- pending_uploads.review: the rows corrected, dropped or given a new body in the console
  before "Nhập kế hoạch"; they become task_corrections rows when the plan is imported.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_upload_review"
down_revision: str | None = "0007_zalo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch:
        batch.add_column(sa.Column("review", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads") as batch:
        batch.drop_column("review")
