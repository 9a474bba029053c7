"""VC-JWT: issuer JOSE keys (ES256 or RS256), the issuer's choice, credentials' kept tokens

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_WHEN = badgeservice.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "issuer_jose_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=8), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("retired_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_issuer_jose_keys_issuer_id_issuers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_jose_keys")),
        sa.UniqueConstraint(
            "issuer_id", "number", name=op.f("uq_issuer_jose_keys_issuer_id_number")
        ),
    )
    with op.batch_alter_table("issuer_jose_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issuer_jose_keys_issuer_id"), ["issuer_id"], unique=False
        )
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "vc_jwt_algorithm", sa.String(length=8), nullable=False, server_default="ES256"
            )
        )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compact_jws", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("compact_jws")
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        batch_op.drop_column("vc_jwt_algorithm")
    op.drop_table("issuer_jose_keys")
