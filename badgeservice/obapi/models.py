"""OAuth clients, consent grants, authorization codes, tokens, and the credentials learners
bring: secrets, codes and tokens are kept only as SHA-256 hex digests. And, for the write
client, our registrations at other Hosts and learners' tokens there, encrypted (they must
be sent again)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, new_id, utcnow

__all__ = [
    "OAuthClient",
    "OAuthCode",
    "OAuthGrant",
    "OAuthToken",
    "RemoteHost",
    "RemoteHostTokens",
    "StoredCredential",
]


class OAuthClient(TimestampMixin, Base):
    """A client registered dynamically (RFC 7591): one per deployment, any organisation's
    learner may grant it access to their own data."""

    __tablename__ = "oauth_clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(Text)
    # Everything registered, as echoed to the client (client_uri, logo_uri, tos_uri, …).
    client_metadata: Mapped[dict[str, Any]] = mapped_column(JSON)


class OAuthGrant(TimestampMixin, Base):
    """A person's consent to a client: the scopes allowed; revoking it ends every token."""

    __tablename__ = "oauth_grants"
    __table_args__ = (UniqueConstraint("client_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    revoked_at: Mapped[datetime | None]


class OAuthCode(TimestampMixin, Base):
    """An authorization code: single use, short-lived, bound to the redirect URI and the
    PKCE challenge."""

    __tablename__ = "oauth_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthToken(TimestampMixin, Base):
    """An access token with its refresh token. A refresh makes a new row and revokes this
    one; ``code_id`` follows the chain, so a reused code revokes all that came of it."""

    __tablename__ = "oauth_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    code_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oauth_codes.id", ondelete="SET NULL"), index=True
    )
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class StoredCredential(TimestampMixin, Base):
    """A credential a learner brought (``POST /ims/ob/v3p0/credentials``), kept as the
    exact text received (JSON, or a VC-JWT's compact JWS) so that reading it back loses
    nothing. The same credential
    is the one with the same ``id`` (kept as its SHA-256 in ``credential_key``)."""

    __tablename__ = "stored_credentials"
    __table_args__ = (
        UniqueConstraint("person_id", "credential_key"),
        Index("ix_stored_credentials_person_updated", "person_id", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    credential_key: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    document_text: Mapped[str] = mapped_column(Text)
    # Through which client it came (None once the client is gone).
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "ob3", or "ob2" for an OB 2.0 assertion (the verified hosted JSON, or the JWS of a
    # signed one), which then keeps its BadgeClass and issuer Profile as fetched in
    # ``details`` ({"badge": …, "issuer": …}).
    version: Mapped[str] = mapped_column(String(8), default="ob3", server_default="ob3")
    details: Mapped[str | None] = mapped_column(Text)
    # The baked image as it was brought (exported again byte for byte), and its type.
    original: Mapped[bytes | None] = mapped_column(LargeBinary)
    original_type: Mapped[str | None] = mapped_column(String(64))


class RemoteHost(TimestampMixin, Base):
    """Our registration at another Host (the write client): discovered endpoints, the
    client id, and the client secret wrapped with the key store. One per Host and redirect
    URI, shared by every learner who pushes there."""

    __tablename__ = "obapi_remote_hosts"
    __table_args__ = (UniqueConstraint("base_url", "redirect_uri"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    base_url: Mapped[str] = mapped_column(String(2000))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    # What discovery said (api, registration, authorization, token and refresh URLs, scopes).
    endpoints: Mapped[dict[str, Any]] = mapped_column(JSON)
    client_id: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class RemoteHostTokens(Base):
    """A learner's tokens at another Host, wrapped with the key store, reused for the next
    push there (refreshed when they expire)."""

    __tablename__ = "obapi_remote_tokens"
    __table_args__ = (UniqueConstraint("host_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("obapi_remote_hosts.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    tokens_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
