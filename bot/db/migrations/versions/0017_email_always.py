"""An agency's mailbox may get the reminders even while the agency has a Telegram group.

Revision ID: 0017_email_always
Revises: 0016_escalation_rungs
Create Date: 2026-12-06

- recipients.always_remind: true — the address gets the agency's daily reminder whatever
  other channel reaches the agency (the agency chose e-mail); false — only while the
  agency has no reachable Telegram group. Addresses set before this revision got every
  reminder: they keep doing so (true).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_email_always"
down_revision: str | None = "0016_escalation_rungs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.add_column(sa.Column("always_remind", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE recipients SET always_remind = true WHERE channel = 'email' AND role = 'agency'"))


def downgrade() -> None:
    with op.batch_alter_table("recipients") as batch:
        batch.drop_column("always_remind")
