"""One row per credential whose sharing was ever set; no row means private, no name."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, utcnow

__all__ = ["CredentialShare"]


class CredentialShare(TimestampMixin, Base):
    """How a credential's public page may show it.

    ``visibility`` is ``private`` (the page says only that the badge has not been shared)
    or ``public``; ``show_name`` lets a public page name the earner. The signed JSON at the
    credential's URL is served either way: whoever holds the credential must be able to
    resolve and verify it."""

    __tablename__ = "credential_shares"

    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    visibility: Mapped[str] = mapped_column(String(10), default="private")
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
