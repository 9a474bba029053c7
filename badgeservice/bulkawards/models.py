"""A bulk award and its rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, new_id, utcnow

__all__ = ["BulkAward", "BulkRow", "BulkState", "RowOutcome"]


class BulkState(StrEnum):
    PREVIEW = "preview"  # read and checked; nothing issued until confirmed
    QUEUED = "queued"  # confirmed: the background work takes its rows
    DONE = "done"  # every row has its outcome


class RowOutcome(StrEnum):
    ISSUED = "issued"
    HELD = "held"  # a valid credential was held already: nothing issued
    FAILED = "failed"  # the award was refused when its turn came (the message says why)


class BulkAward(Base):
    """One uploaded file, its counts, and who confirmed it when."""

    __tablename__ = "bulk_awards"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default=BulkState.PREVIEW)
    total: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    rows: Mapped[list[BulkRow]] = relationship(
        back_populates="bulk", order_by="BulkRow.line", cascade="all, delete-orphan"
    )


class BulkRow(Base):
    """One line of the file: what it names (resolved at upload), why it cannot be
    awarded (``problem``), and, once processed, its outcome."""

    __tablename__ = "bulk_award_rows"
    __table_args__ = (
        UniqueConstraint("bulk_id", "line"),
        Index("ix_bulk_award_rows_open", "bulk_id", "outcome"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    bulk_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bulk_awards.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    person_ref: Mapped[str] = mapped_column(String(320))
    badge_ref: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    achievement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE")
    )
    sub_goal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sub_goals.id", ondelete="CASCADE")
    )
    narrative: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    # Why it cannot be awarded (checked at upload); such a row is never processed.
    problem: Mapped[str | None] = mapped_column(Text)
    # Held already when checked (the dry run says "nothing to issue").
    held: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(10))
    message: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )

    bulk: Mapped[BulkAward] = relationship(back_populates="rows")
