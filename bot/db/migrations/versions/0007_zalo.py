"""Zalo: one-time link codes, linked Zalo accounts, the channel of each history row.

Revision ID: 0007_zalo
Revises: 0006_web
Create Date: 2026-12-06

- zalo_link_codes: a code the agency's group (or an admin) gets from the Telegram bot and
  the focal point sends the Zalo bot; only its hash is stored; used once, expires.
- zalo_recipients: a Zalo account linked to an agency (one agency per account), with the due
  items the latest reminder numbered for it (Zalo messages carry no reply-to).
- status_changes.channel: "telegram", "zalo"… (NULL before this revision and for imports).
  Plain nullable ADD COLUMN: no rebuild, the append-only triggers stay.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_zalo"
down_revision: str | None = "0006_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("status_changes", sa.Column("channel", sa.String(length=16), nullable=True))
    op.create_table(
        "zalo_link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_chat_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_zalo_link_codes_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_zalo_link_codes_code_hash")),
    )
    op.create_table(
        "zalo_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zalo_chat_id", sa.String(length=64), nullable=False),
        sa.Column("zalo_user_id", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("numbered", sa.JSON(), nullable=True),
        sa.Column("numbered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_zalo_recipients_agency_id_agencies")),
        sa.ForeignKeyConstraint(["code_id"], ["zalo_link_codes.id"], name=op.f("fk_zalo_recipients_code_id_zalo_link_codes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zalo_recipients")),
        sa.UniqueConstraint("zalo_chat_id", name=op.f("uq_zalo_recipients_zalo_chat_id")),
    )
    op.create_index(op.f("ix_zalo_recipients_agency_id"), "zalo_recipients", ["agency_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_zalo_recipients_agency_id"), table_name="zalo_recipients")
    op.drop_table("zalo_recipients")
    op.drop_table("zalo_link_codes")
    op.drop_column("status_changes", "channel")
