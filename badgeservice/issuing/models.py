"""Credential table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, new_id, utcnow

__all__ = ["Credential"]


class Credential(Base):
    """An issued, signed ``OpenBadgeCredential``.

    Exactly one per (person, achievement version, occurrence): the database enforces it, so
    duplicate or concurrent awards converge on one row. Reaching an achievement again after
    its credential was revoked or expired is the occurrence's next repetition.
    """

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("person_id", "achievement_version_id", "occurrence"),
        UniqueConstraint("status_list_id", "status_index"),
        # A person's credentials newest first, read from the index alone on PostgreSQL
        # (the supervisor's overview and path progress for a whole team at once).
        Index(
            "ix_credentials_person_latest",
            "person_id",
            "issued_at",
            postgresql_include=["id", "revoked_at", "achievement_version_id", "organisation_id"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    achievement_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("achievement_versions.id"), index=True
    )
    sub_goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sub_goals.id"))
    path_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("paths.id"))
    # Which occurrence it records: "achieved" (the achievement was reached, by any route)
    # or "path:<path id>" (a path completed), then ":2", ":3", … for each time it was reached
    # again after a revocation or expiry; a recertification scheme would add others.
    occurrence: Mapped[str] = mapped_column(String(300))
    status_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    awarded_by: Mapped[str | None] = mapped_column(String(200))
    # A copy re-issued to the earner's own identity (a personal e-mail or a DID): the
    # credential it copies, which stays valid. Its occurrence is "reissued:<to>:<original>".
    reissued_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id"), index=True
    )
    # The language its texts were issued in (None: before languages, the default's).
    language: Mapped[str | None] = mapped_column(String(35))
    # Its VC-JWT (compact JWS over the signed document), made the first time it is asked
    # for and kept: the same token every time, and no signature per anonymous request.
    compact_jws: Mapped[str | None] = mapped_column(Text)
