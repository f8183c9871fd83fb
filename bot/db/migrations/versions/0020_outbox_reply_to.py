"""An outbox row may answer a message: outbox.reply_to_message_id.

Revision ID: 0020_outbox_reply_to
Revises: 0019_outbox_edits
Create Date: 2026-12-06

The outcome of an extension request decided by a leader's button goes to the agency's
group through the outbox (sent once, retried, never lost) as an answer to the group's
message that asked (sent without it if that message is gone). A nullable column: no
constraint changes, so SQLite adds it in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_outbox_reply_to"
down_revision: str | None = "0019_outbox_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("reply_to_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("reply_to_message_id")
