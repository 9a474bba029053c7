"""evidence claims (recognition of prior learning) and their files

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("sub_goal_id", sa.Uuid(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", badgeservice.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", badgeservice.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["people.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sub_goal_id"], ["sub_goals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence_claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_claims_queue", ["organisation_id", "state", "submitted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_claims_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_claims_sub_goal_id"), ["sub_goal_id"], unique=False
        )
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["evidence_claims.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_files_claim_id"), ["claim_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_files_claim_id"))
    op.drop_table("evidence_files")
    with op.batch_alter_table("evidence_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_claims_sub_goal_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_claims_person_id"))
        batch_op.drop_index("ix_evidence_claims_queue")
    op.drop_table("evidence_claims")
