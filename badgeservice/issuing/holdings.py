"""What a person holds: the credentials that count (neither revoked nor expired) and the
achievements they stand for. Read by awards (path progress), hr (team overviews) and
ingest (what an event led to)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ..achievements.models import AchievementVersion
from ..db import utcnow
from .models import Credential

__all__ = ["achieved_achievements", "achieved_by_people", "achievements_of", "valid_credential"]


def valid_credential(now: datetime | None = None) -> ColumnElement[bool]:
    """A credential that counts: neither revoked nor past its ``validUntil``."""
    now = now or utcnow()
    return and_(
        Credential.revoked_at.is_(None),
        or_(Credential.valid_until.is_(None), Credential.valid_until > now),
    )


def achieved_achievements(session: Session, person_id: uuid.UUID) -> set[uuid.UUID]:
    """Achievements (any version) the person holds a valid credential for (not revoked,
    not expired): progress follows the valid one when an achievement was reached again."""
    return set(
        session.scalars(
            select(AchievementVersion.achievement_id)
            .join(Credential, Credential.achievement_version_id == AchievementVersion.id)
            .where(Credential.person_id == person_id, valid_credential())
        )
    )


def achieved_by_people(
    session: Session, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """:func:`achieved_achievements` for many people, in one query."""
    held: dict[uuid.UUID, set[uuid.UUID]] = {person_id: set() for person_id in person_ids}
    for person_id, achievement_id in session.execute(
        select(Credential.person_id, AchievementVersion.achievement_id)
        .join(AchievementVersion, Credential.achievement_version_id == AchievementVersion.id)
        .where(Credential.person_id.in_(sorted(held)), valid_credential())
    ):
        held[person_id].add(achievement_id)
    return held


def achievements_of(session: Session, credential_ids: Sequence[str]) -> set[uuid.UUID]:
    """The achievements the credentials ``credential_ids`` (as strings) are of, whatever
    their state."""
    if not credential_ids:
        return set()
    return set(
        session.scalars(
            select(AchievementVersion.achievement_id)
            .join(Credential, Credential.achievement_version_id == AchievementVersion.id)
            .where(Credential.id.in_([uuid.UUID(value) for value in credential_ids]))
        )
    )
