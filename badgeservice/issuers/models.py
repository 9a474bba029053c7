"""Issuer, signing key and status list tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, new_id, utcnow
from ..languages import TranslatedMixin
from ..organisations.models import Organisation

__all__ = ["Issuer", "IssuerJoseKey", "IssuerKey", "StatusList"]


class Issuer(TimestampMixin, TranslatedMixin, Base):
    """An OB 3.0 issuer ``Profile`` of an organisation; its DID derives from the public URL."""

    __tablename__ = "issuers"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    image_path: Mapped[str | None] = mapped_column(String(500))
    # The JOSE algorithm of its VC-JWTs: ES256 (P-256) or RS256 (RSA).
    vc_jwt_algorithm: Mapped[str] = mapped_column(String(8), default="ES256")

    organisation: Mapped[Organisation] = relationship()
    keys: Mapped[list[IssuerKey]] = relationship(
        back_populates="issuer", order_by="IssuerKey.number", cascade="all, delete-orphan"
    )
    jose_keys: Mapped[list[IssuerJoseKey]] = relationship(
        back_populates="issuer", order_by="IssuerJoseKey.number", cascade="all, delete-orphan"
    )


class IssuerKey(Base):
    """An Ed25519 key; the private seed only encrypted. Retired keys stay published."""

    __tablename__ = "issuer_keys"
    __table_args__ = (UniqueConstraint("issuer_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    public_key_multibase: Mapped[str] = mapped_column(String(64))
    private_key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    issuer: Mapped[Issuer] = relationship(back_populates="keys")

    @property
    def fragment(self) -> str:
        return f"key-{self.number}"


class IssuerJoseKey(Base):
    """A key that signs VC-JWTs (ES256 or RS256), published as a ``JsonWebKey`` in the
    issuer's DID document; the private key (PKCS#8) only encrypted, like the Ed25519 seeds.
    Retired keys stay published."""

    __tablename__ = "issuer_jose_keys"
    __table_args__ = (UniqueConstraint("issuer_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    issuer: Mapped[Issuer] = relationship(back_populates="jose_keys")

    @property
    def fragment(self) -> str:
        return f"jwk-{self.number}"


class StatusList(TimestampMixin, Base):
    """One Bitstring Status List of an issuer (revocation); bits stored uncompressed."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("issuer_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(32), default="revocation")
    length: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The signed BitstringStatusListCredential, signed when the bits change (not per
    # request); None only for lists written before it was stored (signed on first read).
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
