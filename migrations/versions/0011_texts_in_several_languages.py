"""texts in several languages: translations, default and preferred languages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Every table whose rows carry texts people read: {field: {language: text}}.
TRANSLATED = (
    "organisations",
    "issuers",
    "frameworks",
    "competences",
    "achievement_versions",
    "paths",
    "sub_goals",
    "teams",
)


def upgrade() -> None:
    for name in TRANSLATED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("texts", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
            )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_language", sa.String(length=35), server_default="en", nullable=False)
        )
        batch_op.add_column(
            sa.Column("languages", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_language", sa.String(length=35), nullable=True))
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=35), nullable=True))
    with op.batch_alter_table("achievement_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_caption", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("achievement_versions", schema=None) as batch_op:
        batch_op.drop_column("image_caption")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("preferred_language")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("languages")
        batch_op.drop_column("default_language")
    for name in reversed(TRANSLATED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("texts")
