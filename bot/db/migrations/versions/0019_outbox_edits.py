"""The outbox posts extension requests to the leaders and rewrites messages sent before.

Revision ID: 0019_outbox_edits
Revises: 0018_item_figures
Create Date: 2026-12-06

- outbox kinds `extension` (a request's post with the decision buttons, part = the
  request's id; its sent message id is what the outcome rewrites) and `edit` (a rewrite of
  a message sent before).
- outbox.edit_of: the row whose sent message an `edit` row rewrites; outbox.edit_message_id:
  the message it rewrites when that one was sent directly (no row).

SQLite cannot alter a CHECK constraint: the outbox is copied (batch mode) from the table as
0009_channels left it, given here, so its constraints are known without reflection.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_outbox_edits"
down_revision: str | None = "0018_item_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "'reminder', 'escalation', 'unreachable', 'digest', 'notice'"
KINDS = "'reminder', 'escalation', 'unreachable', 'digest', 'notice', 'extension', 'edit'"
STATES = "'pending', 'claimed', 'sending', 'sent', 'uncertain', 'failed'"
CHANNELS = "'telegram', 'email', 'zalo'"
ONE_RECIPIENT = (
    "(CASE WHEN chat_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN admin_tg_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN recipient_id IS NULL THEN 0 ELSE 1 END) = 1"
)
CHANNEL_ADDRESS = (
    "(channel = 'telegram') = (recipient_id IS NULL) AND (channel = 'telegram') = (tg_chat_id IS NOT NULL)"
)


def _outbox(kinds: str, *, with_edits: bool) -> sa.Table:
    """The outbox as 0009 left it (or as this revision leaves it), for SQLite's copy."""
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("admin_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("part", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("parts", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("due_item_ids", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("first_number", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tg_message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("alt_body", sa.Text(), nullable=True),
        sa.Column("delivery_ref", sa.String(length=255), nullable=True),
        sa.CheckConstraint(ONE_RECIPIENT, name="ck_outbox_recipient"),
        sa.CheckConstraint(f"kind IN ({kinds})", name="ck_outbox_kind"),
        sa.CheckConstraint(f"status IN ({STATES})", name="ck_outbox_status"),
        sa.CheckConstraint(CHANNEL_ADDRESS, name="ck_outbox_channel_address"),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name="ck_outbox_channel"),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name="fk_outbox_chat_id_chats"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"], name="fk_outbox_recipient_id_recipients"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("chat_id", "on_date", "kind", "part", name="uq_outbox_chat_id_on_date_kind_part"),
        sa.UniqueConstraint("admin_tg_id", "on_date", "kind", "part", name="uq_outbox_admin_tg_id_on_date_kind_part"),
        sa.UniqueConstraint(
            "recipient_id", "on_date", "kind", "part", name="uq_outbox_recipient_id_on_date_kind_part"
        ),
        sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_outbox_tg_chat_id_tg_message_id", "tg_chat_id", "tg_message_id"),
        sa.Index("ix_outbox_on_date_status", "on_date", "status"),
        sa.Index("ix_outbox_channel_status_next_attempt_at", "channel", "status", "next_attempt_at"),
    ]
    if with_edits:
        columns += [
            sa.Column("edit_of", sa.Integer(), nullable=True),
            sa.Column("edit_message_id", sa.BigInteger(), nullable=True),
            sa.ForeignKeyConstraint(["edit_of"], ["outbox.id"], name="fk_outbox_edit_of_outbox", ondelete="SET NULL"),
        ]
    return sa.Table("outbox", sa.MetaData(), *columns)


def upgrade() -> None:
    with op.batch_alter_table("outbox", copy_from=_outbox(OLD_KINDS, with_edits=False)) as batch:
        batch.add_column(sa.Column("edit_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("edit_message_id", sa.BigInteger(), nullable=True))
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), f"kind IN ({KINDS})")
        batch.create_foreign_key(
            op.f("fk_outbox_edit_of_outbox"), "outbox", ["edit_of"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    # Rows of the new kinds cannot live in the old table.
    op.execute("DELETE FROM outbox WHERE kind IN ('extension', 'edit')")
    with op.batch_alter_table("outbox", copy_from=_outbox(KINDS, with_edits=True)) as batch:
        batch.drop_constraint(op.f("fk_outbox_edit_of_outbox"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), f"kind IN ({OLD_KINDS})")
        batch.drop_column("edit_message_id")
        batch.drop_column("edit_of")
