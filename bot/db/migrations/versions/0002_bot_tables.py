"""Bot tables: pending plan uploads, binding requests, one-time invite links.

Revision ID: 0002_bot
Revises: 0001
Create Date: 2026-11-22

Multi-step chat flows live here rather than in memory (DESIGN.md), so a restart or
a second process loses nothing: an uploaded plan waits for the admin's confirmation
as a row, a non-admin's /dangky waits for an admin's decision as a row, and a /moi
deep link is a row whose token is used once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_bot"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLOW_STATES = "'pending', 'done', 'cancelled'"


def upgrade() -> None:
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("province_slug", sa.String(length=64), nullable=True),
        sa.Column("plan_number", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"state IN ({FLOW_STATES})", name=op.f("ck_pending_uploads_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_uploads")),
    )
    op.create_table(
        "bind_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("tg_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_title", sa.String(length=255), nullable=True),
        sa.Column("requested_by_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by_name", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"state IN ({FLOW_STATES})", name=op.f("ck_bind_requests_state")),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_bind_requests_province_id_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_bind_requests_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bind_requests")),
    )
    op.create_index(op.f("ix_bind_requests_tg_chat_id"), "bind_requests", ["tg_chat_id"])
    op.create_table(
        "invite_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by_tg_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_tg_chat_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_invite_links_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_links")),
        sa.UniqueConstraint("token", name=op.f("uq_invite_links_token")),
    )


def downgrade() -> None:
    op.drop_table("invite_links")
    op.drop_index(op.f("ix_bind_requests_tg_chat_id"), table_name="bind_requests")
    op.drop_table("bind_requests")
    op.drop_table("pending_uploads")
