"""Recognitions: the competences a credential recognises, kept in step with the credential
(issued, revoked, expired), the per-person holdings the reserve reads, and the competence
events the outbox pushes to HR and the pull feed serves.

Every function runs in the caller's transaction (the one that issued or revoked the
credential), so credential, recognition, holding, event and deliveries commit together.

Concurrency: each change first locks the person's row (``FOR NO KEY UPDATE``, compatible
with the foreign-key locks credential inserts take). Changes for one person are therefore
serial: "recognised" vs "updated" is decided on committed data, the holding's uniqueness rule
is never raced, and the person's events are numbered in commit order (what per-person
delivery order relies on).

Assessment methods, from the credential's ``awarded_by``:

- ``"<channel>:<connection>"`` of an LMS, xAPI, Moodle or webhook completion → ``system``
- ``"path completion"`` (a path badge) → ``system``
- ``"client:<name>"`` (a manual award through the API) → ``assessor`` when the award
  carries evidence (someone judged submitted evidence), else ``supervisor``; the
  ``assessor_id`` is the ``awarded_by`` text (the API client that made the award)
- ``"assessor:<person id>"`` (evidence accepted on the assessor's page) → ``assessor``
- anything else → ``system``

Levels: a recognition keeps the level the achievement (or its sub-goal) states, or None.
A holding's level is NOT NULL: an unleveled recognition counts as level 0 ("holds the
competence, no level stated"), so "level ≥ N" queries (N ≥ 1) leave it out while "who holds
X at all" finds it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from ...achievements.models import AchievementVersion
from ...db import utcnow
from ...frameworks.models import Competence, Framework
from ...issuing.models import Credential
from ...paths.models import SubGoal
from ...people.models import Person
from ..delivery.outbox import publish
from ..models import CompetenceEvent, CompetenceHolding, Recognition, RecognitionStatus
from .payload import competence_event

__all__ = [
    "EXPIRED",
    "RECOGNISED",
    "REVOKED",
    "UPDATED",
    "assessment_of",
    "competence_levels",
    "expire_due",
    "new_recognition",
    "record_issued",
    "record_revoked",
]

RECOGNISED = "competence.recognised"
UPDATED = "competence.updated"
REVOKED = "competence.revoked"
EXPIRED = "competence.expired"

_CHANNELS = ("webhook", "xapi", "moodle")
# An unleveled recognition's level in the holdings table (see the module docstring).
UNLEVELED = 0


def assessment_of(credential: Credential) -> tuple[str, str | None]:
    """``(method, assessor_id)`` of the credential's award (mapping in the module doc)."""
    awarded_by = credential.awarded_by or ""
    if awarded_by.startswith("client:"):
        evidence = credential.document.get("evidence") or []
        return ("assessor" if evidence else "supervisor"), awarded_by
    if awarded_by.startswith("assessor:"):
        return "assessor", awarded_by
    return "system", None


def competence_levels(session: Session, credential: Credential) -> dict[uuid.UUID, int | None]:
    """The competences ``credential`` recognises with their levels: the achievement
    version's alignments and its sub-goal's competence, the highest level per competence.
    Competences outside the credential's organisation are ignored."""
    return {key: level for key, (level, _row) in _recognised(session, credential).items()}


def _recognised(
    session: Session, credential: Credential
) -> dict[uuid.UUID, tuple[int | None, Competence]]:
    """:func:`competence_levels` with each competence row (its framework loaded too)."""
    version = session.get(AchievementVersion, credential.achievement_version_id)
    assert version is not None
    found: list[tuple[uuid.UUID, int | None]] = [
        (uuid.UUID(str(entry["competence"])), entry.get("level")) for entry in version.alignments
    ]
    if credential.sub_goal_id is not None:
        sub_goal = session.get(SubGoal, credential.sub_goal_id)
        if sub_goal is not None and sub_goal.competence_id is not None:
            found.append((sub_goal.competence_id, sub_goal.level))
    levels: dict[uuid.UUID, int | None] = {}
    for competence_id, level in found:
        if competence_id in levels and (level is None or (levels[competence_id] or 0) >= level):
            continue
        levels[competence_id] = None if level is None else int(level)
    if not levels:
        return {}
    # The rows themselves (with their frameworks), so the events built from them need no
    # further query while the caller holds them.
    own = {
        competence.id: competence
        for competence in session.scalars(
            select(Competence)
            .join(Framework, Framework.id == Competence.framework_id)
            .options(contains_eager(Competence.framework))
            .where(
                Competence.id.in_(list(levels)),
                Framework.organisation_id == credential.organisation_id,
            )
        )
    }
    return {key: (value, own[key]) for key, value in levels.items() if key in own}


def record_issued(session: Session, credential: Credential) -> list[Recognition]:
    """Record one recognition per competence the new ``credential`` recognises, update the
    person's holdings and publish ``competence.recognised`` (the person did not hold the
    competence) or ``competence.updated`` (they did: level raised or renewed)."""
    levels = _recognised(session, credential)
    if not levels:
        return []
    _lock_person(session, credential.person_id)
    method, assessor_id = assessment_of(credential)
    now = utcnow()
    recognitions = []
    for competence_id, (level, _competence) in levels.items():
        holding = _holding(session, credential.person_id, competence_id)
        recognition = new_recognition(credential, competence_id, level, method, now)
        session.add(recognition)
        session.flush()
        _apply_holding(session, recognition, holding)
        kind = UPDATED if holding is not None else RECOGNISED
        _publish(session, recognition, kind, now, method, assessor_id)
        recognitions.append(recognition)
    return recognitions


def new_recognition(
    credential: Credential,
    competence_id: uuid.UUID,
    level: int | None,
    method: str,
    now: datetime,
) -> Recognition:
    """The active recognition of ``competence_id`` at ``level`` by the new ``credential``
    (not yet added to the session)."""
    return Recognition(
        id=uuid.uuid4(),
        organisation_id=credential.organisation_id,
        person_id=credential.person_id,
        credential_id=credential.id,
        competence_id=competence_id,
        level=level,
        status=RecognitionStatus.ACTIVE,
        method=method,
        path_id=credential.path_id,
        sub_goal_id=credential.sub_goal_id,
        valid_from=credential.issued_at,
        valid_until=credential.valid_until,
        created_at=now,
        updated_at=now,
    )


def record_revoked(session: Session, credential: Credential) -> list[Recognition]:
    """The credential was revoked: each of its recognitions not revoked yet (active or
    expired) becomes revoked, holdings are recomputed, ``competence.revoked`` published."""
    _lock_person(session, credential.person_id)
    rows = session.scalars(
        select(Recognition)
        .where(
            Recognition.credential_id == credential.id,
            Recognition.status != RecognitionStatus.REVOKED,
        )
        .order_by(Recognition.created_at, Recognition.id)
        .with_for_update()
    ).all()
    now = utcnow()
    method, assessor_id = assessment_of(credential)
    for recognition in rows:
        recognition.status = RecognitionStatus.REVOKED
        # An expired recognition stopped counting at its expiry; keep that moment.
        recognition.ended_at = recognition.ended_at or now
        recognition.updated_at = now
        session.flush()
        _refresh_holding(session, recognition)
        _publish(session, recognition, REVOKED, now, method, assessor_id)
    return list(rows)


def expire_due(session: Session, now: datetime | None = None, limit: int = 100) -> int:
    """Mark up to ``limit`` active recognitions whose ``valid_until`` is at or before ``now``
    expired, recompute holdings and publish ``competence.expired``; the number expired.

    Idempotent (only active recognitions change) and safe with several workers on
    PostgreSQL: each takes a person with ``FOR NO KEY UPDATE SKIP LOCKED``, so a person
    another worker (or an issuing request) holds is left for the next round.
    """
    now = now or utcnow()
    due = (
        select(Recognition.person_id, func.min(Recognition.valid_until).label("first"))
        .where(Recognition.status == RecognitionStatus.ACTIVE, Recognition.valid_until <= now)
        .group_by(Recognition.person_id)
        .order_by("first")
        .limit(limit)
    )
    expired = 0
    for person_id, _first in session.execute(due).all():
        if expired >= limit:
            break
        if not _lock_person(session, person_id, skip_locked=True):
            continue
        rows = session.scalars(
            select(Recognition)
            .where(
                Recognition.person_id == person_id,
                Recognition.status == RecognitionStatus.ACTIVE,
                Recognition.valid_until <= now,
            )
            .order_by(Recognition.valid_until, Recognition.id)
            .limit(limit - expired)
        ).all()
        for recognition in rows:
            recognition.status = RecognitionStatus.EXPIRED
            recognition.ended_at = recognition.valid_until
            recognition.updated_at = now
            session.flush()
            _refresh_holding(session, recognition)
            credential = session.get(Credential, recognition.credential_id)
            assert credential is not None
            method, assessor_id = assessment_of(credential)
            _publish(session, recognition, EXPIRED, now, method, assessor_id)
            expired += 1
    return expired


# -- internals --------------------------------------------------------------------------


def _lock_person(session: Session, person_id: uuid.UUID, *, skip_locked: bool = False) -> bool:
    """Serialise recognition changes of one person (a no-op on SQLite, whose writers are
    serial anyway); False when ``skip_locked`` and another transaction holds the person."""
    if not skip_locked and session.get_bind().dialect.name == "sqlite":
        return True  # SQLite has no row locks; the statement would only cost time
    locked = session.scalar(
        select(Person.id)
        .where(Person.id == person_id)
        .with_for_update(key_share=True, skip_locked=skip_locked)
    )
    return locked is not None


def _holding(
    session: Session, person_id: uuid.UUID, competence_id: uuid.UUID
) -> CompetenceHolding | None:
    return session.scalar(
        select(CompetenceHolding).where(
            CompetenceHolding.person_id == person_id,
            CompetenceHolding.competence_id == competence_id,
        )
    )


def _refresh_holding(session: Session, recognition: Recognition) -> None:
    """Recompute the person's holding of the recognition's competence from their active
    recognitions: the best level, since its earliest recognition, valid while any of those
    is; no active recognition, no holding."""
    holding = _holding(session, recognition.person_id, recognition.competence_id)
    _apply_holding(session, recognition, holding)


def _apply_holding(
    session: Session, recognition: Recognition, holding: CompetenceHolding | None
) -> None:
    """:func:`_refresh_holding` with the holding as read under the person lock (so still
    current: every change of a person's holdings takes that lock)."""
    person_id, competence_id = recognition.person_id, recognition.competence_id
    active: Sequence[Recognition] = session.scalars(
        select(Recognition).where(
            Recognition.person_id == person_id,
            Recognition.competence_id == competence_id,
            Recognition.status == RecognitionStatus.ACTIVE,
        )
    ).all()
    if not active:
        if holding is not None:
            session.delete(holding)
            session.flush()
        return
    hold(session, recognition, holding, active)
    session.flush()


def hold(
    session: Session,
    recognition: Recognition,
    holding: CompetenceHolding | None,
    active: Sequence[Recognition],
) -> CompetenceHolding:
    """The holding of the recognition's competence brought in line with the person's
    ``active`` recognitions of it (at least one): the best level, since its earliest
    recognition, valid while any of those is; added to the session when new (unflushed)."""
    best = max(UNLEVELED if r.level is None else r.level for r in active)
    at_best = [r for r in active if (UNLEVELED if r.level is None else r.level) == best]
    ends = [r.valid_until for r in at_best]
    valid_until = None if any(end is None for end in ends) else max(e for e in ends if e)
    since = min(r.valid_from for r in at_best)
    if holding is None:
        holding = CompetenceHolding(
            organisation_id=recognition.organisation_id,
            person_id=recognition.person_id,
            competence_id=recognition.competence_id,
        )
        session.add(holding)
    holding.level = best
    holding.since = since
    holding.valid_until = valid_until
    holding.updated_at = utcnow()
    return holding


def _publish(
    session: Session,
    recognition: Recognition,
    type: str,
    now: datetime,
    method: str,
    assessor_id: str | None,
) -> CompetenceEvent:
    """Publish through the outbox; the payload carries the message id as its "id", and
    the outbox keeps the person's events in order in the feed (see
    :mod:`badgeservice.hr.recognitions.feed`)."""
    event_id = uuid.uuid4()
    payload = competence_event(
        session,
        recognition,
        event_id=event_id,
        type=type,
        timestamp=now,
        method=method,
        assessor_id=assessor_id,
    )
    return publish(
        session,
        organisation_id=recognition.organisation_id,
        person_id=recognition.person_id,
        recognition_id=recognition.id,
        type=type,
        payload=payload,
        event_id=event_id,
    )
