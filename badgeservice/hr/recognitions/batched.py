"""Recording the recognitions of many new credentials at once (a worker's batch), with the
outcome :func:`.recording.record_issued` gives one by one: the same rows, holdings and
competence events, in a fixed number of statements whatever the batch's size: the people
locked in one, their holdings and active recognitions read in two, then the recognitions,
the holdings, the events and their deliveries written in one multi-row statement each."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import utcnow
from ...frameworks.models import Competence
from ...issuing.models import Credential
from ...people.models import Person
from ..delivery.outbox import publish_many
from ..models import CompetenceHolding, Recognition, RecognitionStatus
from .payload import competence_event
from .recording import (
    RECOGNISED,
    UPDATED,
    _recognised,
    assessment_of,
    hold,
    new_recognition,
)

__all__ = ["record_issued_many"]

Recognised = dict[uuid.UUID, tuple[int | None, Competence]]


def record_issued_many(session: Session, credentials: Sequence[Credential]) -> list[Recognition]:
    """:func:`.recording.record_issued` for each of ``credentials`` (new, of distinct
    people or not), in their order."""
    known: dict[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID], Recognised] = {}
    wanted: list[tuple[Credential, uuid.UUID, int | None]] = []
    for credential in credentials:
        key = (
            credential.achievement_version_id,
            credential.sub_goal_id,
            credential.organisation_id,
        )
        if key not in known:
            known[key] = _recognised(session, credential)
        wanted += [(credential, competence, level) for competence, (level, _) in known[key].items()]
    if not wanted:
        return []
    people = sorted({credential.person_id for credential, _, _ in wanted})
    competences = sorted({competence for _, competence, _ in wanted})
    if session.get_bind().dialect.name != "sqlite":
        # As record_issued: every change of a person's recognitions holds the person.
        session.execute(
            select(Person.id)
            .where(Person.id.in_(people))
            .order_by(Person.id)
            .with_for_update(key_share=True)
        )
    holdings, active = _read(session, people, competences)
    now = utcnow()
    recognitions: list[tuple[Recognition, str]] = []
    for credential, competence_id, level in wanted:
        pair = (credential.person_id, competence_id)
        method = assessment_of(credential)[0]
        recognition = new_recognition(credential, competence_id, level, method, now)
        session.add(recognition)
        kind = UPDATED if pair in holdings else RECOGNISED
        active[pair].append(recognition)
        holdings[pair] = hold(session, recognition, holdings.get(pair), active[pair])
        recognitions.append((recognition, kind))
    session.flush()  # the recognitions before the events that name them
    _publish_all(session, recognitions, {c.id: c for c in credentials}, now)
    return [recognition for recognition, _ in recognitions]


def _publish_all(
    session: Session,
    recognitions: list[tuple[Recognition, str]],
    credentials: dict[uuid.UUID, Credential],
    now: datetime,
) -> None:
    """One competence event per new recognition (``competence.recognised`` or
    ``.updated``), all published in one go."""
    events = []
    for recognition, kind in recognitions:
        event_id = uuid.uuid4()
        method, assessor_id = assessment_of(credentials[recognition.credential_id])
        payload = competence_event(
            session,
            recognition,
            event_id=event_id,
            type=kind,
            timestamp=now,
            method=method,
            assessor_id=assessor_id,
        )
        events.append(
            {
                "id": event_id,
                "organisation_id": recognition.organisation_id,
                "person_id": recognition.person_id,
                "recognition_id": recognition.id,
                "type": kind,
                "payload": payload,
            }
        )
    publish_many(session, events)


def _read(
    session: Session, people: list[uuid.UUID], competences: list[uuid.UUID]
) -> tuple[
    dict[tuple[uuid.UUID, uuid.UUID], CompetenceHolding],
    defaultdict[tuple[uuid.UUID, uuid.UUID], list[Recognition]],
]:
    """The people's holdings of the competences, and their active recognitions of them."""
    holdings = {
        (holding.person_id, holding.competence_id): holding
        for holding in session.scalars(
            select(CompetenceHolding).where(
                CompetenceHolding.person_id.in_(people),
                CompetenceHolding.competence_id.in_(competences),
            )
        )
    }
    active: defaultdict[tuple[uuid.UUID, uuid.UUID], list[Recognition]] = defaultdict(list)
    for recognition in session.scalars(
        select(Recognition).where(
            Recognition.person_id.in_(people),
            Recognition.competence_id.in_(competences),
            Recognition.status == RecognitionStatus.ACTIVE,
        )
    ):
        active[(recognition.person_id, recognition.competence_id)].append(recognition)
    return holdings, active
