"""Path, target, sub-goal, prerequisite and trigger tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, new_id
from ..languages import TranslatedMixin

__all__ = [
    "OUT_OF_ORDER",
    "PATH_KINDS",
    "TRIGGER_KINDS",
    "OutOfOrder",
    "Path",
    "PathKind",
    "PathReview",
    "PathTarget",
    "ReviewAction",
    "SubGoal",
    "Trigger",
    "TriggerKind",
]


class PathKind(StrEnum):
    ORGANISATION = "organisation"
    TEAM = "team"
    INDIVIDUAL = "individual"


class OutOfOrder(StrEnum):
    """What a completion of a sub-goal whose prerequisites are not achieved yet does:
    ``accept`` issues the credential (the competence is real) and progress shows the
    sub-goal as done out of order; ``wait`` holds it back (an LMS event is parked with the
    reason, a manual award refused) until the prerequisites are achieved."""

    ACCEPT = "accept"
    WAIT = "wait"


class ReviewAction(StrEnum):
    """A step in the approval of an individual path."""

    REQUESTED = "requested"
    APPROVED = "approved"
    RETURNED = "returned"


class TriggerKind(StrEnum):
    LMS = "lms"
    XAPI = "xapi"
    MANUAL = "manual"
    EVIDENCE = "evidence"


PATH_KINDS = tuple(kind.value for kind in PathKind)
OUT_OF_ORDER = tuple(choice.value for choice in OutOfOrder)
TRIGGER_KINDS = tuple(kind.value for kind in TriggerKind)

sub_goal_prerequisites = Table(
    "sub_goal_prerequisites",
    Base.metadata,
    Column("sub_goal_id", ForeignKey("sub_goals.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("sub_goals.id", ondelete="CASCADE"), primary_key=True),
)


class Path(TimestampMixin, TranslatedMixin, Base):
    """An organisation, team or individual path; an individual path inherits the required
    sub-goals of its person's organisation and team paths."""

    __tablename__ = "paths"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    achievement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("achievements.id"))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    approved_at: Mapped[datetime | None]
    # The person asked a supervisor to approve their individual path (cleared on approval).
    approval_requested_at: Mapped[datetime | None]
    out_of_order: Mapped[str] = mapped_column(String(10), default=OutOfOrder.ACCEPT)

    targets: Mapped[list[PathTarget]] = relationship(
        back_populates="path", cascade="all, delete-orphan", order_by="PathTarget.position"
    )
    sub_goals: Mapped[list[SubGoal]] = relationship(
        back_populates="path", cascade="all, delete-orphan", order_by="SubGoal.position"
    )


class PathTarget(Base):
    """A strategic target: a share of people at a level of a competence by a date."""

    __tablename__ = "path_targets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    path_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("paths.id", ondelete="CASCADE"), index=True
    )
    competence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("competences.id"))
    level: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    due: Mapped[date] = mapped_column(Date)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    path: Mapped[Path] = relationship(back_populates="targets")


class SubGoal(TranslatedMixin, Base):
    """A small step of a path, completed by earning its achievement."""

    __tablename__ = "sub_goals"
    __table_args__ = (UniqueConstraint("path_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    path_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("paths.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(300))
    achievement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("achievements.id"), index=True)
    competence_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("competences.id"))
    level: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    path: Mapped[Path] = relationship(back_populates="sub_goals")
    triggers: Mapped[list[Trigger]] = relationship(
        back_populates="sub_goal", cascade="all, delete-orphan"
    )
    prerequisites: Mapped[list[SubGoal]] = relationship(
        secondary=sub_goal_prerequisites,
        primaryjoin=lambda: SubGoal.id == sub_goal_prerequisites.c.sub_goal_id,
        secondaryjoin=lambda: SubGoal.id == sub_goal_prerequisites.c.prerequisite_id,
    )


class Trigger(Base):
    """What completes a sub-goal: an LMS or xAPI activity of a connection, or a manual award."""

    __tablename__ = "triggers"
    __table_args__ = (Index("ix_triggers_lookup", "organisation_id", "connection", "activity"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    sub_goal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sub_goals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    connection: Mapped[str | None] = mapped_column(String(63))
    activity: Mapped[str | None] = mapped_column(String(2000))

    sub_goal: Mapped[SubGoal] = relationship(back_populates="triggers")


class PathReview(TimestampMixin, Base):
    """One step of an individual path's approval: the person asked, a supervisor approved
    or returned it (with a comment). Kept for good: the path's approval history."""

    __tablename__ = "path_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    path_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("paths.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
