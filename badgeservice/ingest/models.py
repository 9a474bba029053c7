"""The inbox of inbound events."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, new_id, utcnow

__all__ = ["PURGED", "EventState", "InboundEvent"]

# The raw payload of an event whose retention period ended (the row stays).
PURGED = "(purged by retention)"


class EventState(StrEnum):
    RECEIVED = "received"  # stored, not processed yet (or processing was interrupted)
    PROCESSED = "processed"  # matched and acted on (credentials issued or already held)
    UNMATCHED = "unmatched"  # no trigger knows the activity: accepted, recorded
    IGNORED = "ignored"  # not a completion (e.g. a failed attempt); recorded with reason
    PARKED = "parked"  # the person is unknown and the connection parks such events
    FAILED = "failed"  # processing raised; the reason says why; replayable


class InboundEvent(Base):
    """One event as received, raw, with its processing state.

    ``(organisation, channel, external id)`` is unique: a replayed webhook id or a repeated
    xAPI statement id finds the stored event instead of creating a second one.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("organisation_id", "channel", "external_id"),
        Index("ix_inbound_events_state", "state", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    connection: Mapped[str] = mapped_column(String(63))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)
    # What processing needs, extracted by the channel: person identifiers, activity, result.
    normalized: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default=EventState.RECEIVED)
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    credential_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
