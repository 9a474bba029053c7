"""bulk awards and their rows

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_awards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", badgeservice.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", badgeservice.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", badgeservice.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["people.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bulk_awards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulk_awards_organisation_id"), ["organisation_id"], unique=False
        )
    op.create_table(
        "bulk_award_rows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bulk_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("person_ref", sa.String(length=320), nullable=False),
        sa.Column("badge_ref", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("achievement_id", sa.Uuid(), nullable=True),
        sa.Column("sub_goal_id", sa.Uuid(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["achievement_id"], ["achievements.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["bulk_id"], ["bulk_awards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sub_goal_id"], ["sub_goals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bulk_id", "line"),
    )
    with op.batch_alter_table("bulk_award_rows", schema=None) as batch_op:
        batch_op.create_index("ix_bulk_award_rows_open", ["bulk_id", "outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulk_award_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_bulk_award_rows_open")
    op.drop_table("bulk_award_rows")
    with op.batch_alter_table("bulk_awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_awards_organisation_id"))
    op.drop_table("bulk_awards")
