"""Web console: one-time sign-in links, browser sessions, task corrections.

Revision ID: 0006_web
Revises: 0005_digests
Create Date: 2026-12-06

- web_logins: the `/web` links (only a hash of the secret is stored), used once.
- web_sessions: signed-in browsers (hash of the cookie's secret, CSRF token, grants, expiry).
- task_corrections: append-only corrections of a task's fields keyed by province, plan
  number and task ref, so an edited version of the plan imported again keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_web"
down_revision: str | None = "0005_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_logins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_logins_token_hash")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tg_user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=True),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("grants", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_tg_user_id"), "web_sessions", ["tg_user_id"])
    op.create_table(
        "task_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("plan_number", sa.String(length=64), nullable=False),
        sa.Column("task_ref", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_task_corrections_province_id_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_corrections")),
    )
    op.create_index(
        op.f("ix_task_corrections_province_id_plan_number_task_ref"),
        "task_corrections",
        ["province_id", "plan_number", "task_ref"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_task_corrections_province_id_plan_number_task_ref"), table_name="task_corrections")
    op.drop_table("task_corrections")
    op.drop_index(op.f("ix_web_sessions_tg_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_logins")
