"""person public name, path approval requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public_name", sa.String(length=10), server_default="full", nullable=False)
        )
    with op.batch_alter_table("paths", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "approval_requested_at",
                badgeservice.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("paths", schema=None) as batch_op:
        batch_op.drop_column("approval_requested_at")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("public_name")
