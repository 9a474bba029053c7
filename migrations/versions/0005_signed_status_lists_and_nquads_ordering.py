"""signed status lists stored; organisations choose an N-Quads ordering

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Lists written before this revision have no stored document: the service signs and
    # stores one the first time such a list is read.
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=True))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "nquads_ordering", sa.String(length=16), server_default="refuse", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("nquads_ordering")
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_column("document")
