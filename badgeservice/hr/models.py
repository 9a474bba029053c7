"""Recognition, competence-event (feed), holding, HR endpoint and delivery (outbox) tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampMixin, new_id, utcnow

__all__ = [
    "EVENT_TYPES",
    "CompetenceEvent",
    "CompetenceHolding",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "HrEndpoint",
    "Recognition",
    "RecognitionStatus",
    "ReserveHolderCount",
    "ReserveTrendExcluded",
    "ReserveTrendPoint",
    "ReserveTrendState",
]

EVENT_TYPES = (
    "competence.recognised",
    "competence.updated",
    "competence.revoked",
    "competence.expired",
)


class RecognitionStatus(StrEnum):
    """A recognition follows its credential."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class DeliveryState(StrEnum):
    """Where a delivery of the outbox is: waiting (due now or later), done, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
Sequence64 = BigInteger().with_variant(Integer(), "sqlite")


class Recognition(Base):
    """A competence recorded for a person from a credential: one per (credential,
    competence). Its status follows the credential: active, revoked or expired."""

    __tablename__ = "recognitions"
    __table_args__ = (
        UniqueConstraint("credential_id", "competence_id"),
        # Covering on PostgreSQL: the reserve's trend reads only the index.
        Index(
            "ix_recognitions_trend",
            "organisation_id",
            "competence_id",
            "level",
            postgresql_include=["person_id", "status", "valid_from", "valid_until", "ended_at"],
        ),
        Index("ix_recognitions_expiry", "status", "valid_until"),
        # Covering on PostgreSQL: a team's trend (and the reserve's corrections for people
        # deactivated since its points were stored) reads only the index.
        Index(
            "ix_recognitions_person_competence",
            "person_id",
            "competence_id",
            postgresql_include=["level", "status", "valid_from", "valid_until", "ended_at"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"), index=True)
    competence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("competences.id"))
    level: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=RecognitionStatus.ACTIVE)
    # "system" (an LMS completion), "supervisor", "assessor", "self", "prior_learning"
    method: Mapped[str] = mapped_column(String(20), default="system")
    path_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("paths.id", ondelete="SET NULL"))
    sub_goal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sub_goals.id", ondelete="SET NULL")
    )
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    # When it stopped counting (revoked or expired); None while active.
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompetenceHolding(Base):
    """The best active level a person holds of a competence, kept in step with the
    recognitions (the reserve reads this instead of scanning every recognition)."""

    __tablename__ = "competence_holdings"
    __table_args__ = (
        UniqueConstraint("person_id", "competence_id"),
        # Covering on PostgreSQL: holder counts read only the index.
        Index(
            "ix_competence_holdings_counts",
            "organisation_id",
            "competence_id",
            "level",
            postgresql_include=["person_id", "valid_until"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    competence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("competences.id"))
    level: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompetenceEvent(Base):
    """One change of a recognition, in the vendor-neutral HR contract. ``seq`` orders the
    pull feed (its cursor); ``id`` is the message id receivers deduplicate on."""

    __tablename__ = "competence_events"
    __table_args__ = (
        Index("ix_competence_events_feed", "organisation_id", "seq"),
        # The PostgreSQL feed order.
        Index("ix_competence_events_feed_txid", "organisation_id", "txid", "seq"),
    )

    seq: Mapped[int] = mapped_column(Sequence64, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    # None for an event about the person rather than a recognition (person.erased).
    recognition_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("recognitions.id"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # PostgreSQL transaction id of the writer: the feed only shows rows whose transaction
    # is older than every one still running, so a cursor never skips a late commit.
    txid: Mapped[int | None] = mapped_column(BigInteger)


class HrEndpoint(TimestampMixin, Base):
    """An HR competence register (or integration middleware) that receives the push."""

    __tablename__ = "hr_endpoints"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(63))
    url: Mapped[str] = mapped_column(String(2000))
    # "webhook": the generic Standard Webhooks-signed POST; vendor adapters add kinds.
    adapter: Mapped[str] = mapped_column(String(30), default="webhook")
    # The Standard Webhooks secret, encrypted with the key-encryption key.
    secret_ciphertext: Mapped[bytes]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    # The circuit breaker: failed attempts in a row, and while it is open, until when the
    # endpoint is left alone (its deliveries wait without using a worker).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_until: Mapped[datetime | None]


class Delivery(Base):
    """One competence event for one endpoint (the outbox row): written in the same
    transaction as the credential, delivered at least once by the worker."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_order", "endpoint_id", "person_id", "event_seq"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hr_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("competence_events.id", ondelete="CASCADE")
    )
    event_seq: Mapped[int] = mapped_column(Sequence64)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it was queued, or queued again by a manual redelivery: the maximum age counts
    # from here.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """One try of a delivery: when, the HTTP status (or the error) and the latency."""

    __tablename__ = "delivery_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class ReserveTrendPoint(Base):
    """A completed month's trend point of the competence reserve, kept so the reserve never
    recomputes history: how many people of the organisation, leaving out those in
    :class:`ReserveTrendExcluded` (the inactive ones when the points were computed), held
    the competence at ``level`` or above at ``month_end``. Written and invalidated only by
    :mod:`badgeservice.hr.reserve.trends`."""

    __tablename__ = "reserve_trend_points"

    # The key is what a point is looked up by (a cache row: no surrogate id).
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    competence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("competences.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The first instant of the next month, UTC.
    month_end: Mapped[datetime] = mapped_column(primary_key=True)
    reached: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReserveHolderCount(Base):
    """Current holders of a competence among one slice of the organisation's people (the
    people whose id starts with the byte ``bucket``), leaving out the people in
    :class:`ReserveTrendExcluded`: ``level_n`` hold it at level n (0 = no level stated).
    Valid until ``lapse``, the first ``valid_until`` among the holdings counted; a change
    of one of the slice's holdings makes the reserve count the slice again. Written only by
    :mod:`badgeservice.hr.reserve.holder_counts`."""

    __tablename__ = "reserve_holder_counts"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    competence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("competences.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Columns, not a list: a read sums them in the database.
    level_0: Mapped[int] = mapped_column(Integer)
    level_1: Mapped[int] = mapped_column(Integer)
    level_2: Mapped[int] = mapped_column(Integer)
    level_3: Mapped[int] = mapped_column(Integer)
    level_4: Mapped[int] = mapped_column(Integer)
    level_5: Mapped[int] = mapped_column(Integer)
    level_6: Mapped[int] = mapped_column(Integer)
    level_7: Mapped[int] = mapped_column(Integer)
    level_8: Mapped[int] = mapped_column(Integer)
    lapse: Mapped[datetime | None]


class ReserveTrendState(Base):
    """Up to where an organisation's stored trend points have been checked against the
    competence events: every event at or past the horizon may still change history."""

    __tablename__ = "reserve_trend_states"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # PostgreSQL: events with txid >= horizon_txid are unchecked; SQLite (one writer at a
    # time, so seq is commit order): events with seq > horizon_seq.
    horizon_txid: Mapped[int | None] = mapped_column(BigInteger)
    horizon_seq: Mapped[int | None] = mapped_column(BigInteger)
    # The same for the stored holder counts (checked on their own schedule).
    counts_txid: Mapped[int | None] = mapped_column(BigInteger)
    counts_seq: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReserveTrendExcluded(Base):
    """The people an organisation's stored trend points leave out: those inactive when the
    points were computed. A reader corrects for people deactivated or reactivated since."""

    __tablename__ = "reserve_trend_excluded"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
