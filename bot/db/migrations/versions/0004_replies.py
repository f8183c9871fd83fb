"""Status replies: prompts, numbered bot messages, extension requests and undo records.

Revision ID: 0004_replies
Revises: 0003_reminders
Create Date: 2026-11-23

- status_prompts: what the bot is waiting for (a confirmation of what it understood, the line
  explaining a blocker, the date of an extension request), so a restart loses nothing;
- item_messages: the bot's messages that number due items (task cards, confirmations), so a
  reply or a file sent in answer maps back to them (reminders use the outbox for that);
- extension_requests: one row per request, with a partial unique index allowing one pending
  request per due item;
- status_undos: what a change replaced; "Hoàn tác" appends a new history row from it (the
  history itself is never updated).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_replies"
down_revision: str | None = "0003_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'pending', 'in_progress', 'blocked', 'extension_requested', 'extended', 'done'"
SOURCES = "'import', 'chat', 'button', 'command', 'admin', 'system'"


def upgrade() -> None:
    op.create_table(
        "status_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_name", sa.String(length=255), nullable=True),
        sa.Column("prompt_message_id", sa.BigInteger(), nullable=True),
        sa.Column("source_message_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('confirm', 'note', 'extension')", name=op.f("ck_status_prompts_kind")),
        sa.CheckConstraint("state IN ('pending', 'done', 'cancelled')", name=op.f("ck_status_prompts_state")),
        sa.CheckConstraint(f"source IN ({SOURCES})", name=op.f("ck_status_prompts_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_prompts")),
    )
    op.create_index(
        op.f("ix_status_prompts_tg_chat_id_prompt_message_id"),
        "status_prompts",
        ["tg_chat_id", "prompt_message_id"],
    )

    op.create_table(
        "item_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("tg_message_id", sa.BigInteger(), nullable=False),
        sa.Column("due_item_ids", sa.JSON(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_messages")),
        sa.UniqueConstraint(
            "tg_chat_id", "tg_message_id", name=op.f("uq_item_messages_tg_chat_id_tg_message_id")
        ),
    )

    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("due_item_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("current_due_on", sa.Date(), nullable=False),
        sa.Column("proposed_due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_status", sa.String(length=32), nullable=False),
        sa.Column("prev_progress", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("requested_by_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by_name", sa.String(length=255), nullable=True),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=True),
        sa.Column("request_change_id", sa.Integer(), nullable=True),
        sa.Column("posts", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_change_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'cancelled')",
            name=op.f("ck_extension_requests_state"),
        ),
        sa.CheckConstraint(f"prev_status IN ({STATUSES})", name=op.f("ck_extension_requests_prev_status")),
        sa.ForeignKeyConstraint(
            ["due_item_id"], ["due_items.id"], name=op.f("fk_extension_requests_due_item_id_due_items")
        ),
        sa.ForeignKeyConstraint(
            ["request_change_id"],
            ["status_changes.id"],
            name=op.f("fk_extension_requests_request_change_id_status_changes"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_change_id"],
            ["status_changes.id"],
            name=op.f("fk_extension_requests_decision_change_id_status_changes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_requests")),
    )
    op.create_index(
        op.f("ix_extension_requests_due_item_id"), "extension_requests", ["due_item_id"]
    )
    op.create_index(
        op.f("ix_extension_requests_state_created_at"), "extension_requests", ["state", "created_at"]
    )
    op.create_index(
        "ux_extension_requests_pending",
        "extension_requests",
        ["due_item_id"],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )

    op.create_table(
        "status_undos",
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("due_item_id", sa.Integer(), nullable=False),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("prev_status", sa.String(length=32), nullable=False),
        sa.Column("prev_progress", sa.Integer(), nullable=False),
        sa.Column("prev_completed_on", sa.Date(), nullable=True),
        sa.Column("prev_due_on", sa.Date(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_change_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"prev_status IN ({STATUSES})", name=op.f("ck_status_undos_prev_status")),
        sa.ForeignKeyConstraint(
            ["change_id"], ["status_changes.id"], name=op.f("fk_status_undos_change_id_status_changes")
        ),
        sa.ForeignKeyConstraint(
            ["due_item_id"], ["due_items.id"], name=op.f("fk_status_undos_due_item_id_due_items")
        ),
        sa.ForeignKeyConstraint(
            ["undone_by_change_id"],
            ["status_changes.id"],
            name=op.f("fk_status_undos_undone_by_change_id_status_changes"),
        ),
        sa.PrimaryKeyConstraint("change_id", name=op.f("pk_status_undos")),
    )
    op.create_index(op.f("ix_status_undos_due_item_id"), "status_undos", ["due_item_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_status_undos_due_item_id"), table_name="status_undos")
    op.drop_table("status_undos")
    op.drop_index("ux_extension_requests_pending", table_name="extension_requests")
    op.drop_index(op.f("ix_extension_requests_state_created_at"), table_name="extension_requests")
    op.drop_index(op.f("ix_extension_requests_due_item_id"), table_name="extension_requests")
    op.drop_table("extension_requests")
    op.drop_table("item_messages")
    op.drop_index(
        op.f("ix_status_prompts_tg_chat_id_prompt_message_id"), table_name="status_prompts"
    )
    op.drop_table("status_prompts")
