"""The escalation ladder: an overdue item is brought to the office, then to the leaders.

Revision ID: 0016_escalation_rungs
Revises: 0015_holds
Create Date: 2026-12-06

- escalations.rung: which rung of the ladder (bot.domain.escalation.Rung: "office" — the
  province's admins, privately — or "leaders") was told about the item, once per item, due
  date and rung; the rows before this migration were all the leaders' ("leaders"). The
  primary key becomes (due_item_id, due_on, rung) (SQLite copies the table in batch mode).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_escalation_rungs"
down_revision: str | None = "0015_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", recreate="always") as batch:
        batch.add_column(sa.Column("rung", sa.String(length=16), nullable=False, server_default="leaders"))
        batch.drop_constraint("pk_escalations", type_="primary")
        batch.create_primary_key("pk_escalations", ["due_item_id", "due_on", "rung"])
        batch.create_check_constraint("rung", "rung IN ('agency', 'office', 'leaders')")


def downgrade() -> None:
    op.execute("DELETE FROM escalations WHERE rung <> 'leaders'")
    with op.batch_alter_table("escalations", recreate="always") as batch:
        batch.drop_constraint("rung", type_="check")
        batch.drop_constraint("pk_escalations", type_="primary")
        batch.create_primary_key("pk_escalations", ["due_item_id", "due_on"])
        batch.drop_column("rung")
