"""Achievement and achievement-version tables."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, new_id
from ..languages import TranslatedMixin

__all__ = ["Achievement", "AchievementVersion"]


class Achievement(TimestampMixin, Base):
    """A badge definition; its content lives in versions (the newest is current)."""

    __tablename__ = "achievements"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(63))

    versions: Mapped[list[AchievementVersion]] = relationship(
        back_populates="achievement",
        order_by="AchievementVersion.version",
        cascade="all, delete-orphan",
    )

    @property
    def current(self) -> AchievementVersion:
        return self.versions[-1]


class AchievementVersion(TimestampMixin, TranslatedMixin, Base):
    """The content of one version. Once a credential cites it, it is never changed."""

    __tablename__ = "achievement_versions"
    __table_args__ = (UniqueConstraint("achievement_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    criteria_narrative: Mapped[str | None] = mapped_column(Text)
    criteria_url: Mapped[str | None] = mapped_column(String(2000))
    achievement_type: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"competence": <competence id>, "level": <int or null>}]
    alignments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # How long a credential of this version is valid (validUntil = issue + days); None: no end.
    valid_for_days: Mapped[int | None] = mapped_column(Integer)
    image_media_type: Mapped[str | None] = mapped_column(String(50))
    image: Mapped[bytes | None]
    image_caption: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))

    achievement: Mapped[Achievement] = relationship(back_populates="versions")
