"""A worker's batch processed at once: the events that are plain completions (a known
person, found by employee number, completing one sub-goal on their paths for the first time)
are matched and awarded together (:func:`..awards.batch.award_batch`) in a fixed number of
statements; every other event, and any the batch could not award, is left to
:meth:`.services.IngestService.process`, which the worker runs for it afterwards in the
same transaction. Both ways end in the same rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..awards.batch import Award, award_batch
from ..db import utcnow
from ..paths.models import SubGoal
from ..paths.progress import paths_of_people
from ..paths.services import triggered_sub_goals
from ..people.models import Person
from .completion import Completion
from .models import PURGED, EventState, InboundEvent
from .services import IngestService, _evidence

__all__ = ["process_batch"]

Candidate = tuple[InboundEvent, Completion, Person]


def process_batch(ingest: IngestService, events: Sequence[InboundEvent]) -> set[uuid.UUID]:
    """Process the plain completions among ``events`` together; the ids of those processed
    (the others are untouched, for :meth:`~.services.IngestService.process`)."""
    session = ingest.session
    candidates = _candidates(session, events)
    if not candidates:
        return set()
    paths = paths_of_people(session, [person for _, _, person in candidates])
    triggered: dict[tuple[uuid.UUID, str, str, tuple[str, ...]], list[SubGoal]] = {}
    chosen: list[tuple[InboundEvent, Award]] = []
    for event, completion, person in candidates:
        key = (event.organisation_id, event.connection, completion.activity or "", completion.kinds)
        if key not in triggered:
            triggered[key] = triggered_sub_goals(
                session, key[0], connection=key[1], activity=key[2], kinds=key[3]
            )
        own = {path.id for path in paths[person.id]}
        goals: dict[uuid.UUID, SubGoal] = {}
        for goal in triggered[key]:
            if goal.path_id in own:
                goals.setdefault(goal.achievement_id, goal)  # as matching.sub_goals_for
        if len(goals) != 1:
            continue  # none (unmatched) or several: process() words and awards them
        awarded_by = f"{event.channel}:{event.connection}"
        (goal,) = goals.values()
        evidence = _evidence(event, completion)
        chosen.append((event, Award(person, goal, paths[person.id], awarded_by, evidence)))
    credentials = award_batch(session, ingest.issuing, [award for _, award in chosen])
    done: dict[uuid.UUID, uuid.UUID] = {}
    now = utcnow()
    for (event, award), credential in zip(chosen, credentials, strict=True):
        if credential is None:
            continue
        event.attempts += 1
        event.person_id = award.person.id
        event.state, event.reason = EventState.PROCESSED, "1 credential(s) issued, 0 already held"
        event.credential_ids = [str(credential.id)]
        event.processed_at = now
        done[event.id] = award.person.id
    session.flush()
    _release(ingest, set(done.values()))
    return set(done)


def _candidates(session: Session, events: Sequence[InboundEvent]) -> list[Candidate]:
    """The events that may be plain completions, with their person (found by employee
    number in one query): at most one per person, the first, so a person's events keep
    their order (the later ones follow through process())."""
    plain: list[tuple[InboundEvent, Completion]] = []
    behind: set[tuple[uuid.UUID, str]] = set()  # an earlier event of theirs goes first
    for event in events:
        if event.raw == PURGED or event.state != EventState.RECEIVED:
            continue
        try:
            completion = Completion.from_json(event.normalized)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # process() fails it, with its reason, on its own
        number = completion.person.employee_number
        key = (event.organisation_id, number or "")
        plain_case = completion.completed and completion.void is None and not event.credential_ids
        if number and key not in behind and plain_case:
            plain.append((event, completion))
        behind.add(key)
    if not plain:
        return []
    numbers = sorted({completion.person.employee_number or "" for _, completion in plain})
    organisations = sorted({event.organisation_id for event, _ in plain})
    people = {
        (person.organisation_id, person.employee_number): person
        for person in session.scalars(
            select(Person).where(
                Person.organisation_id.in_(organisations), Person.employee_number.in_(numbers)
            )
        )
    }
    found: list[Candidate] = []
    seen: set[uuid.UUID] = set()
    for event, completion in plain:
        person = people.get((event.organisation_id, completion.person.employee_number))
        if person is not None and person.id not in seen:
            found.append((event, completion, person))
        if person is not None:
            seen.add(person.id)
    return found


def _release(ingest: IngestService, people: set[uuid.UUID]) -> None:
    """Events of these people parked for a prerequisite may go on now (as process() does
    after issuing)."""
    if not people:
        return
    waiting = ingest.session.scalars(
        select(InboundEvent.person_id)
        .where(
            InboundEvent.person_id.in_(sorted(people)),
            InboundEvent.state == EventState.PARKED.value,
        )
        .distinct()
    ).all()
    for person_id in waiting:
        if person_id is not None:
            ingest.release_waiting(person_id)
