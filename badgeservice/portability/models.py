"""Single-use tokens: an e-mail address being verified, a sign-in link, a DID challenge."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, new_id, utcnow

__all__ = ["SignInToken", "TokenPurpose"]


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify-email"  # confirms a personal e-mail address (24 h)
    SIGN_IN = "sign-in"  # signs in by the personal e-mail (15 min)
    DID_CHALLENGE = "did-challenge"  # signed by a DID's key to bind it (10 min)


class SignInToken(Base):
    """One token. Only its SHA-256 is stored; the token itself is derived from the
    service's secret and the row's id (so the outbox holds the row's id, never the token),
    and is used once: ``used_at`` is set when it is."""

    __tablename__ = "sign_in_tokens"
    __table_args__ = (Index("ix_sign_in_tokens_person_purpose", "person_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the token was mailed to (being verified, or signing in by).
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
