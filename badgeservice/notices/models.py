"""The notice outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, new_id, utcnow

__all__ = ["Notice", "NoticeKind", "NoticeState"]


class NoticeKind(StrEnum):
    ISSUED = "issued"  # one or more badges were issued to the person (one e-mail a batch)
    EXPIRY = "expiry"  # a badge expires soon
    DIGEST = "digest"  # a supervisor's weekly digest of their teams
    VERIFY = "verify"  # the link that confirms a personal e-mail address (to that address)
    SIGN_IN = "sign-in"  # a sign-in link (to the person's verified personal e-mail)


class NoticeState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # given up after the last retry; the error says why


class Notice(Base):
    """One e-mail to one person. ``key`` makes it once: ``issued:<credential>``,
    ``expiry:<credential>:<days>``, ``digest:<year>-W<week>``, ``verify:<token>``,
    ``sign-in:<token>`` (the token's row id; the token itself is never stored)."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("person_id", "key"),
        Index("ix_notices_due", "state", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(120))
    # What it tells of: {"credentials": [ids]}, {"credential": id, "days": n}, {"since": iso},
    # {"token": id} (a link to a personal address)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default=NoticeState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
