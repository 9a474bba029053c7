"""Sign-in settings, matched identities, role grants and page sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, new_id, utcnow

__all__ = [
    "RoleGrant",
    "SignInIdentity",
    "SignInSettings",
    "Source",
    "WebSession",
]


class Source(StrEnum):
    """Where a setting or grant comes from: ``file`` when the organisation's files declare
    it (a reload keeps it in line), ``api`` when the API made it (a reload leaves it)."""

    API = "api"
    FILE = "file"


class SignInSettings(TimestampMixin, Base):
    """An organisation's OpenID Connect identity provider (one per organisation).

    The client secret is stored wrapped by the key store (like issuer keys and webhook
    secrets); a public client (PKCE only) has none. ``match`` names the person field the
    ``claim`` is compared with: ``employee_number``, ``email`` or ``sub`` (the person's
    external id, as provisioned over SCIM)."""

    __tablename__ = "sign_in_settings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    issuer: Mapped[str] = mapped_column(String(2000))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret_ciphertext: Mapped[bytes | None]
    match: Mapped[str] = mapped_column(String(20))
    claim: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10), default=Source.API)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SignInIdentity(TimestampMixin, Base):
    """An IdP account (issuer + ``sub``) matched once to a person; later sign-ins use it
    directly, so a changed e-mail at the IdP still reaches the same person."""

    __tablename__ = "sign_in_identities"
    __table_args__ = (UniqueConstraint("organisation_id", "issuer", "subject"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(2000))
    subject: Mapped[str] = mapped_column(String(500))
    last_sign_in_at: Mapped[datetime | None]


class RoleGrant(TimestampMixin, Base):
    """A role given to a person: ``assessor``, ``hr`` or ``admin``. (Everyone is a learner
    of their own path; supervisors are the teams' supervisors.)"""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10), default=Source.API)


class WebSession(Base):
    """A signed-in page session. The browser's cookie names it; signing out or idling past
    the timeout ends it here, so an old cookie never comes back to life."""

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    # How the person signed in: "oidc" or "development" (the demo's "continue as").
    method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
