"""Channels: e-mail and Zalo recipients beside Telegram chats, one outbox for all.

Revision ID: 0009_channels
Revises: 0008_upload_review
Create Date: 2026-12-06

- recipients: an address on a channel other than a Telegram chat (an agency's mailbox, a
  leader's e-mail, a focal point's Zalo account); unique per (channel, address).
- outbox: `channel` (existing rows: telegram), `recipient_id` as a third kind of recipient
  (exactly one of chat, admin, recipient), `tg_chat_id` only for Telegram rows, the e-mail
  subject and plain-text part, the other channels' delivery reference; kinds digest, notice.
- outbox_files: attachments and inline images of a row (rendered when queued).

SQLite cannot alter a CHECK constraint: the outbox is copied (batch mode) from the table
as 0003 made it, given here, so its constraints are known without reflection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009_channels"
down_revision: str | None = "0008_upload_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "'reminder', 'escalation', 'unreachable'"
KINDS = "'reminder', 'escalation', 'unreachable', 'digest', 'notice'"
STATES = "'pending', 'claimed', 'sending', 'sent', 'uncertain', 'failed'"
CHANNELS = "'telegram', 'email', 'zalo'"
OLD_RECIPIENT = "(chat_id IS NULL) <> (admin_tg_id IS NULL)"
ONE_RECIPIENT = (
    "(CASE WHEN chat_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN admin_tg_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN recipient_id IS NULL THEN 0 ELSE 1 END) = 1"
)
CHANNEL_ADDRESS = (
    "(channel = 'telegram') = (recipient_id IS NULL) AND (channel = 'telegram') = (tg_chat_id IS NOT NULL)"
)


def _outbox_0003(kinds: str, recipient_check: str, *, with_channels: bool = False) -> sa.Table:
    """The outbox as 0003 created it (or as this revision leaves it), for SQLite's copy."""
    columns: list[Any] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("admin_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=with_channels),
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
        sa.CheckConstraint(recipient_check, name="ck_outbox_recipient"),
        sa.CheckConstraint(f"kind IN ({kinds})", name="ck_outbox_kind"),
        sa.CheckConstraint(f"status IN ({STATES})", name="ck_outbox_status"),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name="fk_outbox_chat_id_chats"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("chat_id", "on_date", "kind", "part", name="uq_outbox_chat_id_on_date_kind_part"),
        sa.UniqueConstraint(
            "admin_tg_id", "on_date", "kind", "part", name="uq_outbox_admin_tg_id_on_date_kind_part"
        ),
    ]
    if with_channels:
        columns += [
            sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False),
            sa.Column("recipient_id", sa.Integer(), nullable=True),
            sa.Column("subject", sa.Text(), nullable=True),
            sa.Column("alt_body", sa.Text(), nullable=True),
            sa.Column("delivery_ref", sa.String(length=255), nullable=True),
            sa.CheckConstraint(CHANNEL_ADDRESS, name="ck_outbox_channel_address"),
            sa.CheckConstraint(f"channel IN ({CHANNELS})", name="ck_outbox_channel"),
            sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"], name="fk_outbox_recipient_id_recipients"),
            sa.UniqueConstraint(
                "recipient_id", "on_date", "kind", "part", name="uq_outbox_recipient_id_on_date_kind_part"
            ),
        ]
    columns += [
        sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_outbox_tg_chat_id_tg_message_id", "tg_chat_id", "tg_message_id"),
        sa.Index("ix_outbox_on_date_status", "on_date", "status"),
    ]
    return sa.Table("outbox", sa.MetaData(), *columns)


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("person_name", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unreachable_reason", sa.Text(), nullable=True),
        sa.Column("created_by_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name=op.f("ck_recipients_channel")),
        sa.CheckConstraint("role IN ('agency', 'leaders')", name=op.f("ck_recipients_role")),
        sa.CheckConstraint("role = 'leaders' OR agency_id IS NOT NULL", name=op.f("ck_recipients_agency")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_recipients_agency_id_agencies")),
        sa.ForeignKeyConstraint(["province_id"], ["provinces.id"], name=op.f("fk_recipients_province_id_provinces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_recipients_channel_address")),
    )
    op.create_index(op.f("ix_recipients_agency_id_channel"), "recipients", ["agency_id", "channel"])
    op.create_index(op.f("ix_recipients_province_id_role"), "recipients", ["province_id", "role"])

    with op.batch_alter_table("outbox", copy_from=_outbox_0003(OLD_KINDS, OLD_RECIPIENT)) as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False))
        batch.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("subject", sa.Text(), nullable=True))
        batch.add_column(sa.Column("alt_body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("delivery_ref", sa.String(length=255), nullable=True))
        batch.alter_column("tg_chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch.drop_constraint(op.f("ck_outbox_recipient"), type_="check")
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_recipient"), ONE_RECIPIENT)
        batch.create_check_constraint(op.f("ck_outbox_kind"), f"kind IN ({KINDS})")
        batch.create_check_constraint(op.f("ck_outbox_channel"), f"channel IN ({CHANNELS})")
        batch.create_check_constraint(op.f("ck_outbox_channel_address"), CHANNEL_ADDRESS)
        batch.create_foreign_key(op.f("fk_outbox_recipient_id_recipients"), "recipients", ["recipient_id"], ["id"])
        batch.create_unique_constraint(
            op.f("uq_outbox_recipient_id_on_date_kind_part"), ["recipient_id", "on_date", "kind", "part"]
        )
    op.create_index(
        op.f("ix_outbox_channel_status_next_attempt_at"), "outbox", ["channel", "status", "next_attempt_at"]
    )

    op.create_table(
        "outbox_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=127), nullable=False),
        sa.Column("content_id", sa.String(length=127), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_files_outbox_id_outbox"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_files")),
    )
    op.create_index(op.f("ix_outbox_files_outbox_id"), "outbox_files", ["outbox_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_files_outbox_id"), table_name="outbox_files")
    op.drop_table("outbox_files")
    op.drop_index(op.f("ix_outbox_channel_status_next_attempt_at"), table_name="outbox")
    # Rows for other channels cannot live in the old table.
    op.execute("DELETE FROM outbox WHERE channel <> 'telegram' OR kind NOT IN (" + OLD_KINDS + ")")
    with op.batch_alter_table("outbox", copy_from=_outbox_0003(KINDS, ONE_RECIPIENT, with_channels=True)) as batch:
        batch.drop_constraint(op.f("uq_outbox_recipient_id_on_date_kind_part"), type_="unique")
        batch.drop_constraint(op.f("fk_outbox_recipient_id_recipients"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_outbox_channel_address"), type_="check")
        batch.drop_constraint(op.f("ck_outbox_channel"), type_="check")
        batch.drop_constraint(op.f("ck_outbox_kind"), type_="check")
        batch.drop_constraint(op.f("ck_outbox_recipient"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_kind"), f"kind IN ({OLD_KINDS})")
        batch.create_check_constraint(op.f("ck_outbox_recipient"), OLD_RECIPIENT)
        batch.alter_column("tg_chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column("delivery_ref")
        batch.drop_column("alt_body")
        batch.drop_column("subject")
        batch.drop_column("recipient_id")
        batch.drop_column("channel")
    op.drop_index(op.f("ix_recipients_province_id_role"), table_name="recipients")
    op.drop_index(op.f("ix_recipients_agency_id_channel"), table_name="recipients")
    op.drop_table("recipients")
