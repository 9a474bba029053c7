"""Framework and competence tables."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, new_id
from ..languages import TranslatedMixin

__all__ = ["Competence", "Framework"]


class Framework(TimestampMixin, TranslatedMixin, Base):
    """A competence framework used by an organisation (DigComp 2.2, an imported CASE package)."""

    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str | None] = mapped_column(String(50))
    uri: Mapped[str | None] = mapped_column(String(2000))
    publisher: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    competences: Mapped[list[Competence]] = relationship(
        back_populates="framework", order_by="Competence.position", cascade="all, delete-orphan"
    )


class Competence(TranslatedMixin, Base):
    """An item of a framework (a DigComp area or competence, a CASE CFItem)."""

    __tablename__ = "competences"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str] = mapped_column(String(2000))
    esco_uri: Mapped[str | None] = mapped_column(String(2000))
    parent_code: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)

    framework: Mapped[Framework] = relationship(back_populates="competences")
