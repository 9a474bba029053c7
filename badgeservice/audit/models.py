"""The audit trail's one table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, new_id, utcnow

__all__ = ["AuditEvent"]


class AuditEvent(Base):
    """One action on an organisation: who (``actor_kind``, ``actor_id`` and the name at the
    time in ``actor``), what (``action`` on ``target`` with ``details``), when (``at``) and
    from where (``channel``, ``ip``, ``user_agent``). Rows are only ever added; the
    retention purge is the one thing that removes them (on PostgreSQL a trigger refuses any
    other UPDATE or DELETE)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_organisation_at", "organisation_id", "at"),
        Index("ix_audit_events_organisation_action", "organisation_id", "action"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The name at the time: a person's display name, "client <id> (<name>)" for an API
    # caller, "operator (command line)", "worker" or "system".
    actor: Mapped[str] = mapped_column(String(300))
    # person, client, operator, worker or system; the person's or client's id.
    actor_kind: Mapped[str] = mapped_column(String(10), default="system", server_default="system")
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # api, page, scim, cli, worker or system; the client address as the application sees
    # it (behind its configured proxy handling) and the user agent, truncated.
    channel: Mapped[str] = mapped_column(String(10), default="system", server_default="system")
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
