"""audit trail: who acted from where, append-only on PostgreSQL; retention periods

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# PostgreSQL: the audit trail refuses UPDATE and DELETE unless the transaction declared
# itself the retention purge (SET LOCAL badgeservice.purge = on). TRUNCATE and dropping
# the table stay the database owner's business.
APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('badgeservice.purge', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor_kind", sa.String(length=10), server_default="system", nullable=False)
        )
        batch_op.add_column(sa.Column("actor_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("channel", sa.String(length=10), server_default="system", nullable=False)
        )
        batch_op.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "ix_audit_events_organisation_action", ["organisation_id", "action"], unique=False
        )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        for name, days in (("inbox", 90), ("deliveries", 180), ("audit", 730)):
            batch_op.add_column(
                sa.Column(
                    f"retention_{name}_days",
                    sa.Integer(),
                    server_default=str(days),
                    nullable=False,
                )
            )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        for name in ("audit", "deliveries", "inbox"):
            batch_op.drop_column(f"retention_{name}_days")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_organisation_action")
        for name in ("user_agent", "ip", "channel", "actor_id", "actor_kind"):
            batch_op.drop_column(name)
