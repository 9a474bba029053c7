"""team:read clients act for a supervisor; teams provisioned over SCIM are marked; paths
say what a completion out of order does

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervisor_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_clients_supervisor_id_people"), "people", ["supervisor_id"], ["id"]
        )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("provisioned", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("paths", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("out_of_order", sa.String(length=10), nullable=False, server_default="accept")
        )
    # Teams SCIM wrote before: those it gave an external id.
    op.execute("UPDATE teams SET provisioned = true WHERE external_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("paths", schema=None) as batch_op:
        batch_op.drop_column("out_of_order")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("provisioned")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_clients_supervisor_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("supervisor_id")
