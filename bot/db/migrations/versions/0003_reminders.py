"""Reminders: the outbox, escalations and the record of reminder ticks.

Revision ID: 0003_reminders
Revises: 0002_bot
Create Date: 2026-11-22

The outbox holds every message the reminder engine sends. Its two unique keys —
(chat, day, kind, part) for bound chats and (admin, day, kind, part) for admins'
private chats — are what make a repeated or concurrent tick harmless: the second
insert of the same key does nothing (ON CONFLICT DO NOTHING on both databases).
Exactly one of chat_id / admin_tg_id is set (NULLs never collide in a unique key).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_reminders"
down_revision: str | None = "0002_bot"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'reminder', 'escalation', 'unreachable'"
STATES = "'pending', 'claimed', 'sending', 'sent', 'uncertain', 'failed'"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("admin_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=False),
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
        sa.CheckConstraint(
            "(chat_id IS NULL) <> (admin_tg_id IS NULL)", name=op.f("ck_outbox_recipient")
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_outbox_kind")),
        sa.CheckConstraint(f"status IN ({STATES})", name=op.f("ck_outbox_status")),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_outbox_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "chat_id", "on_date", "kind", "part", name=op.f("uq_outbox_chat_id_on_date_kind_part")
        ),
        sa.UniqueConstraint(
            "admin_tg_id",
            "on_date",
            "kind",
            "part",
            name=op.f("uq_outbox_admin_tg_id_on_date_kind_part"),
        ),
    )
    op.create_index(
        op.f("ix_outbox_status_next_attempt_at"), "outbox", ["status", "next_attempt_at"]
    )
    op.create_index(
        op.f("ix_outbox_tg_chat_id_tg_message_id"), "outbox", ["tg_chat_id", "tg_message_id"]
    )
    op.create_index(op.f("ix_outbox_on_date_status"), "outbox", ["on_date", "status"])

    op.create_table(
        "escalations",
        sa.Column("due_item_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["due_item_id"], ["due_items.id"], name=op.f("fk_escalations_due_item_id_due_items")
        ),
        sa.PrimaryKeyConstraint("due_item_id", "due_on", name=op.f("pk_escalations")),
    )
    op.create_index(op.f("ix_escalations_escalated_on"), "escalations", ["escalated_on"])

    op.create_table(
        "reminder_runs",
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("first_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runs", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("messages", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("on_date", name=op.f("pk_reminder_runs")),
    )


def downgrade() -> None:
    op.drop_table("reminder_runs")
    op.drop_index(op.f("ix_escalations_escalated_on"), table_name="escalations")
    op.drop_table("escalations")
    op.drop_index(op.f("ix_outbox_on_date_status"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_tg_chat_id_tg_message_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_status_next_attempt_at"), table_name="outbox")
    op.drop_table("outbox")
