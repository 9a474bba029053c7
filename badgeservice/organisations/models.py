"""Organisation and API client tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..audit.models import AuditEvent
from ..db import Base, TimestampMixin, new_id
from ..languages import TranslatedMixin

__all__ = [
    "RETENTION_BOUNDS",
    "RETENTION_DEFAULTS",
    "ApiClient",
    "AuditEvent",
    "Connection",
    "Organisation",
]

# How long the worker keeps what it may purge, in days, and the allowed range of each:
# raw inbox payloads (after processing), delivery attempts (after they ended), audit entries.
RETENTION_DEFAULTS = {"inbox": 90, "deliveries": 180, "audit": 730}
RETENTION_BOUNDS = {"inbox": (7, 3650), "deliveries": (7, 3650), "audit": (90, 36500)}


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
    # Retention (days; README "Retention"): raw inbox payloads after their event was
    # processed, HR delivery attempts after they ended, audit entries after they were made.
    retention_inbox_days: Mapped[int] = mapped_column(
        default=RETENTION_DEFAULTS["inbox"], server_default=str(RETENTION_DEFAULTS["inbox"])
    )
    retention_deliveries_days: Mapped[int] = mapped_column(
        default=RETENTION_DEFAULTS["deliveries"],
        server_default=str(RETENTION_DEFAULTS["deliveries"]),
    )
    retention_audit_days: Mapped[int] = mapped_column(
        default=RETENTION_DEFAULTS["audit"], server_default=str(RETENTION_DEFAULTS["audit"])
    )


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
