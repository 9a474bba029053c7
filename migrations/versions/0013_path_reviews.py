"""path reviews: the approval history of individual paths

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "path_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("path_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", badgeservice.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["people.id"],
            name=op.f("fk_path_reviews_actor_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_path_reviews_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_path_reviews_path_id_paths"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_reviews")),
    )
    with op.batch_alter_table("path_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_path_reviews_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_path_reviews_path_id"), ["path_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("path_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_path_reviews_path_id"))
        batch_op.drop_index(batch_op.f("ix_path_reviews_organisation_id"))
    op.drop_table("path_reviews")
