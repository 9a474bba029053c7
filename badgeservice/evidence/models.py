"""Evidence claims and their files."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, new_id, utcnow

__all__ = ["ClaimState", "EvidenceClaim", "EvidenceFile"]


class ClaimState(StrEnum):
    SUBMITTED = "submitted"  # waiting for an assessor
    ACCEPTED = "accepted"  # the badge was issued with this evidence
    RETURNED = "returned"  # not enough; the reason says why (the learner may submit again)


class EvidenceClaim(Base):
    """One submission of evidence for one sub-goal, and the decision on it. A returned claim
    stays as it was decided; submitting again makes a new claim, so the rows of a person and
    sub-goal are the whole history."""

    __tablename__ = "evidence_claims"
    __table_args__ = (
        Index("ix_evidence_claims_queue", "organisation_id", "state", "submitted_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    sub_goal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sub_goals.id", ondelete="CASCADE"), index=True
    )
    narrative: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    state: Mapped[str] = mapped_column(String(10), default=ClaimState.SUBMITTED)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    # Why it was returned (required then), or the assessor's note on accepting.
    reason: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )

    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="claim", order_by="EvidenceFile.position", cascade="all, delete-orphan"
    )


class EvidenceFile(Base):
    """A file a learner attached; kept in the database with the claim, served only as a
    download (never inline) to the learner and the organisation's assessors."""

    __tablename__ = "evidence_files"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    claim_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_claims.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    claim: Mapped[EvidenceClaim] = relationship(back_populates="files")
