"""Users, episodes and check-ins.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Every diary row belongs to one user: check-ins carry ``user_id`` too, and a
composite foreign key to ``episodes (id, user_id)`` makes a check-in of one
user's episode under another user impossible. Times are stored in UTC.

Until the feedback store had migrations of its own, this revision also
created the ``feedback`` and ``abstained`` tables; databases it upgraded then
keep them, and the feedback migrations (``backcare/feedback/migrations``)
adopt them as they are. It no longer touches them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("maintainer", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_episodes_user"),
            nullable=False,
        ),
        sa.Column("onset", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("id", "user_id", name="uq_episodes_id_user"),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= onset", name="ck_episodes_end"),
    )
    op.create_index("ix_episodes_user_onset", "episodes", ["user_id", "onset"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("episode_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pain", sa.SmallInteger, nullable=False),
        sa.Column("locations", sa.JSON, nullable=False),
        sa.Column("triggers", sa.JSON, nullable=False),
        sa.Column("helped", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["episode_id", "user_id"],
            ["episodes.id", "episodes.user_id"],
            ondelete="CASCADE",
            name="fk_checkins_episode",
        ),
        sa.CheckConstraint("pain >= 0 AND pain <= 10", name="ck_checkins_pain"),
    )
    op.create_index("ix_checkins_user_episode_at", "checkins", ["user_id", "episode_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_checkins_user_episode_at", table_name="checkins")
    op.drop_table("checkins")
    op.drop_index("ix_episodes_user_onset", table_name="episodes")
    op.drop_table("episodes")
    op.drop_table("users")
