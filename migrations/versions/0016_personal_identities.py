"""personal identities: a verified personal e-mail and a bound DID per person, single-use
tokens (e-mail verification, sign-in links, DID challenges), re-issued credentials

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("personal_email", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column(
                "personal_email_verified_at",
                badgeservice.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("bound_did", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("bound_did_at", badgeservice.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_people_organisation_id_personal_email"),
            ["organisation_id", "personal_email"],
        )
    op.create_table(
        "sign_in_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", badgeservice.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", badgeservice.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", badgeservice.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("sign_in_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sign_in_tokens_person_purpose", ["person_id", "purpose"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sign_in_tokens_organisation_id"), ["organisation_id"], unique=False
        )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reissued_from_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_reissued_from_id_credentials"),
            "credentials",
            ["reissued_from_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_credentials_reissued_from_id"), ["reissued_from_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_reissued_from_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_credentials_reissued_from_id_credentials"), type_="foreignkey"
        )
        batch_op.drop_column("reissued_from_id")
    with op.batch_alter_table("sign_in_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_tokens_organisation_id"))
        batch_op.drop_index("ix_sign_in_tokens_person_purpose")
    op.drop_table("sign_in_tokens")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_people_organisation_id_personal_email"), type_="unique"
        )
        batch_op.drop_column("bound_did_at")
        batch_op.drop_column("bound_did")
        batch_op.drop_column("personal_email_verified_at")
        batch_op.drop_column("personal_email")
