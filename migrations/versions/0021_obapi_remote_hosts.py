"""Write client: our registrations at other Open Badges Hosts, learners' tokens there

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import badgeservice.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_WHEN = badgeservice.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "obapi_remote_hosts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("base_url", sa.String(length=2000), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("endpoints", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_remote_hosts")),
        sa.UniqueConstraint(
            "base_url", "redirect_uri", name=op.f("uq_obapi_remote_hosts_base_url_redirect_uri")
        ),
    )
    op.create_table(
        "obapi_remote_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("tokens_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["obapi_remote_hosts.id"],
            name=op.f("fk_obapi_remote_tokens_host_id_obapi_remote_hosts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_obapi_remote_tokens_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obapi_remote_tokens")),
        sa.UniqueConstraint(
            "host_id", "person_id", name=op.f("uq_obapi_remote_tokens_host_id_person_id")
        ),
    )
    with op.batch_alter_table("obapi_remote_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obapi_remote_tokens_host_id"), ["host_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_obapi_remote_tokens_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("obapi_remote_tokens")
    op.drop_table("obapi_remote_hosts")
