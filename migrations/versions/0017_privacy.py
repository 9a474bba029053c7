"""personal data: erased people, HR events about a person (no recognition)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", badgeservice.db.UTCDateTime(timezone=True), nullable=True)
        )
    # person.erased is about a person, not a recognition.
    with op.batch_alter_table("competence_events", schema=None) as batch_op:
        batch_op.alter_column("recognition_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    personal = "SELECT id FROM competence_events WHERE recognition_id IS NULL"
    op.execute(f"DELETE FROM deliveries WHERE event_id IN ({personal})")  # noqa: S608
    op.execute("DELETE FROM competence_events WHERE recognition_id IS NULL")
    with op.batch_alter_table("competence_events", schema=None) as batch_op:
        batch_op.alter_column("recognition_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
