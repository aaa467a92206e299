"""Feedback ratings and unanswered (abstained) questions.

Revision ID: f0001
Revises:
Create Date: 2026-12-06

Both tables may exist already, made by an older backcare: by
``SqlFeedbackStore`` with ``create_all`` before the schema was under Alembic,
or by the diary's first migration (``r0001``), which created them until the
feedback store had migrations of its own. They are adopted as they are, rows
and all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("query", sa.Text, nullable=False),
            sa.Column("entry_id", sa.String(200), nullable=True),
            sa.Column("rating", sa.String(16), nullable=False),
            sa.Column("kb", sa.String(200), nullable=False),
            sa.CheckConstraint(
                "rating IN ('helpful', 'not_helpful', 'wrong')", name="feedback_rating_known"
            ),
        )
    if "abstained" not in existing:
        op.create_table(
            "abstained",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("query", sa.Text, nullable=False),
            sa.Column("kb", sa.String(200), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("abstained")
    op.drop_table("feedback")
