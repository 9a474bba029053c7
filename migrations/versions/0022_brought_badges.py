"""Brought badges: the Open Badges version, an OB 2.0 badge's BadgeClass and issuer, the
file as it was brought

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stored_credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.String(length=8), nullable=False, server_default="ob3")
        )
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("original", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("original_type", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stored_credentials", schema=None) as batch_op:
        batch_op.drop_column("original_type")
        batch_op.drop_column("original")
        batch_op.drop_column("details")
        batch_op.drop_column("version")
