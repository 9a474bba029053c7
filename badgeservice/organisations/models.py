"""Organisation and API client tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, new_id, utcnow
from ..languages import TranslatedMixin

__all__ = ["ApiClient", "AuditEvent", "Connection", "Organisation"]


class Organisation(TimestampMixin, TranslatedMixin, Base):
    """The tenant: owns people, teams, paths, connections and keys. Nothing crosses it."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    # The one accent colour of its pages ("#1d4e89"); None: the service's own.
    accent_color: Mapped[str | None] = mapped_column(String(7))
    # How to sign a credential whose canonical statements sort differently by Unicode code
    # point (RDFC-1.0) and by UTF-16 code unit (JavaScript verifiers): "refuse" (422),
    # "code-point" or "utf-16". Set in organisation.toml; README "Canonical ordering".
    nquads_ordering: Mapped[str] = mapped_column(
        String(16), default="refuse", server_default="refuse"
    )
    # The language of its plain texts and the fallback for every reader (a BCP 47 tag), and
    # the languages its content is written in (the default first).
    default_language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Days before a badge's validUntil its earner is reminded (empty: the default 30 and 7).
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)


class ApiClient(TimestampMixin, Base):
    """A bearer-token holder acting for one organisation with a set of scopes.

    Only the SHA-256 of the token is stored; the signing secret (for inbound webhooks) is
    stored encrypted with the key-encryption key.
    """

    __tablename__ = "api_clients"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(500))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_ciphertext: Mapped[bytes | None]
    connection: Mapped[str | None] = mapped_column(String(63))
    # For a team:read token: the person whose supervised teams it sees (and nothing else).
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class Connection(TimestampMixin, Base):
    """An LMS or other learning-environment connection of the organisation."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    base_url: Mapped[str | None] = mapped_column(String(2000))
    # What an event for an unknown person does: "create" the person or "park" the event.
    unknown_person: Mapped[str] = mapped_column(String(10), default="park")


class AuditEvent(Base):
    """Who did what to an organisation's access: API clients created, revoked, rotated.
    Rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_organisation_at", "organisation_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # "client <id> (<name>)" for an API caller, "operator" for the command line.
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
