"""The inbox and the processing of inbound events.

``receive`` stores an event (idempotently by its external id); the caller commits it before
anything else happens. ``process`` then matches the person and the triggers and awards the
sub-goals, inside a savepoint: whatever goes wrong leaves the event ``failed`` with its
reason, never lost, and ``replay`` runs it again (awards are idempotent, so a replay never
duplicates a credential).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..achievements.models import AchievementVersion
from ..credentials import ob3
from ..db import utcnow
from ..errors import AppError
from ..issuing.awards import ACHIEVED, WaitsForPrerequisites, award
from ..issuing.models import Credential
from ..issuing.services import IssuingService
from ..organisations.models import Connection
from ..paths.models import SubGoal, Trigger
from ..paths.progress import paths_of
from ..people.models import LmsAccount, Person
from ..people.services import LmsAccountData, PersonData, create_person
from .models import EventState, InboundEvent

__all__ = ["IngestService", "Received", "content_hash"]


# The inbox's uniqueness rule (see InboundEvent).
_EVENT_KEY = ("organisation_id", "channel", "external_id")


def _store_new(dialect: str) -> Executable | None:
    """``INSERT … ON CONFLICT (the inbox key) DO NOTHING RETURNING`` the event, for one row
    of parameters; None for a database without it (SQLite and PostgreSQL both have it).
    Built once per dialect (building the statement costs more than running it)."""
    statement = _STORE_NEW.get(dialect)
    if statement is None and dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _STORE_NEW[dialect] = (
            insert(InboundEvent)
            .on_conflict_do_nothing(index_elements=_EVENT_KEY)
            .returning(InboundEvent)
        )
    return statement


_STORE_NEW: dict[str, Executable] = {}


def content_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Received:
    event: InboundEvent
    duplicate: bool


class IngestService:
    """Receives and processes the events of one organisation's connections."""

    def __init__(self, session: Session, issuing: IssuingService) -> None:
        self.session = session
        self.issuing = issuing

    # -- inbox ------------------------------------------------------------------------

    def find(
        self, organisation_id: uuid.UUID, channel: str, external_id: str
    ) -> InboundEvent | None:
        return self.session.scalar(
            select(InboundEvent).where(
                InboundEvent.organisation_id == organisation_id,
                InboundEvent.channel == channel,
                InboundEvent.external_id == external_id,
            )
        )

    def receive(
        self,
        *,
        organisation_id: uuid.UUID,
        connection: str,
        channel: str,
        external_id: str,
        raw: str,
        normalized: dict[str, Any],
    ) -> Received:
        """Store the event unless one with the same external id is already stored."""
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "organisation_id": organisation_id,
            "connection": connection,
            "channel": channel,
            "external_id": external_id,
            "content_hash": content_hash(raw),
            "raw": raw,
            "normalized": normalized,
            "state": EventState.RECEIVED,
            "reason": None,
            "attempts": 0,
            "person_id": None,
            "credential_ids": [],
            "received_at": utcnow(),
            "processed_at": None,
        }
        statement = _store_new(self.session.get_bind().dialect.name)
        if statement is not None:
            # One statement: the uniqueness rule decides, and a concurrent request that
            # stored the same id first makes this a no-op (the stored one is the event).
            stored = self.session.scalars(statement, [values]).first()
            if stored is not None:
                return Received(stored, False)
            existing = self.find(organisation_id, channel, external_id)
            if existing is None:
                raise RuntimeError("inbound event conflicts but cannot be found")
            return Received(existing, True)
        existing = self.find(organisation_id, channel, external_id)
        if existing is not None:
            return Received(existing, True)
        event = InboundEvent(**values)
        try:
            with self.session.begin_nested():
                self.session.add(event)
                self.session.flush()
        except IntegrityError:
            # A concurrent request stored the same id first: that one is the event.
            existing = self.find(organisation_id, channel, external_id)
            if existing is None:
                raise
            return Received(existing, True)
        return Received(event, False)

    # -- processing -------------------------------------------------------------------

    def process(self, event: InboundEvent, *, release: bool = True) -> InboundEvent:
        """Process (or re-process) one event; its state and reason record the outcome.
        When it issued credentials, the person's events waiting for prerequisites are
        processed again (``release``)."""
        # Written (flushed by begin_nested) before anything else: the row lock claims the
        # event on PostgreSQL (a worker's SKIP LOCKED passes it by) and SQLite's write lock
        # is taken up front. The person and the outcome follow in one more UPDATE (the
        # person only when processing did not fail, as a rolled-back savepoint would have it).
        event.attempts += 1
        person_id = event.person_id
        try:
            with self.session.begin_nested():
                state, reason, credentials, person_id = self._process(event)
        except AppError as exc:
            state, reason, credentials = EventState.FAILED, exc.detail, []
            person_id = event.person_id
        except Exception as exc:
            state, reason, credentials = EventState.FAILED, f"{type(exc).__name__}: {exc}", []
            person_id = event.person_id
        if person_id != event.person_id:
            event.person_id = person_id
        event.state, event.reason = state, reason
        if credentials:
            event.credential_ids = sorted({*event.credential_ids, *map(str, credentials)})
        event.processed_at = utcnow()
        self.session.flush()
        if release and credentials and event.person_id is not None:
            self.release_waiting(event.person_id, exclude=event.id)
        return event

    def release_waiting(self, person_id: uuid.UUID, exclude: uuid.UUID | None = None) -> int:
        """Process the person's parked events again (those waiting for prerequisites the
        person may have achieved now), oldest first, again while that issues more; returns
        how many left the parked state."""
        released = 0
        for _round in range(10):
            query = select(InboundEvent).where(
                InboundEvent.person_id == person_id,
                InboundEvent.state == EventState.PARKED.value,
            )
            if exclude is not None:
                query = query.where(InboundEvent.id != exclude)
            parked = list(self.session.scalars(query.order_by(InboundEvent.received_at)))
            moved = sum(
                self.process(event, release=False).state != EventState.PARKED for event in parked
            )
            released += moved
            if not moved:
                break
        return released

    def _process(
        self, event: InboundEvent
    ) -> tuple[EventState, str, list[uuid.UUID], uuid.UUID | None]:
        """The outcome, the credentials issued and the person matched (set on the event by
        :meth:`process`, so the event row is updated once)."""
        data = event.normalized
        if data.get("void"):
            return (*self._void(event, str(data["void"])), event.person_id)
        if not data.get("completed"):
            reason = str(data.get("reason") or "not a completion")
            return EventState.IGNORED, reason, [], event.person_id
        person = self._person(event)
        if person is None:
            return (
                EventState.PARKED,
                (
                    f"no person matches {_describe(data.get('person') or {})}; the event waits "
                    "until the person exists (then replay it, or let the worker pick it up)"
                ),
                [],
                event.person_id,
            )
        activity = str(data.get("activity") or "")
        # Each trigger with its sub-goal in one query.
        triggers = self.session.scalars(
            select(Trigger)
            .options(joinedload(Trigger.sub_goal))
            .where(
                Trigger.organisation_id == event.organisation_id,
                Trigger.connection == event.connection,
                Trigger.activity == activity,
                Trigger.kind.in_(data.get("kinds") or ["lms", "xapi"]),
            )
        ).all()
        if not triggers:
            return (
                EventState.UNMATCHED,
                (f"no trigger of connection {event.connection!r} knows activity {activity!r}"),
                [],
                person.id,
            )
        # Kept for the awards below: they need the same paths, and holding them keeps the
        # rows in the session's identity map (a later lookup by id costs no query).
        paths = paths_of(self.session, person)
        own_paths = {path.id for path in paths}
        goals: dict[uuid.UUID, SubGoal] = {}
        for trigger in triggers:
            goal = trigger.sub_goal
            if goal.path_id in own_paths:
                goals.setdefault(goal.achievement_id, goal)
        if not goals:
            return (
                EventState.UNMATCHED,
                (
                    f"activity {activity!r} completes sub-goals only of paths "
                    f"{_display(person)} is not on"
                ),
                [],
                person.id,
            )
        issued: list[uuid.UUID] = []
        held = 0
        evidence = _evidence(event)
        # The same event always means the same credential: one it led to before (a replay)
        # stands even when it was revoked since, e.g. by voiding the statement.
        before = self._achievements_of(event.credential_ids)
        waiting: list[str] = []
        for goal in goals.values():
            if goal.achievement_id in before:
                held += 1
                continue
            try:
                outcome = award(
                    self.session,
                    self.issuing,
                    person=person,
                    sub_goal_id=goal.id,
                    occurrence=ACHIEVED,
                    awarded_by=f"{event.channel}:{event.connection}",
                    evidence=evidence,
                    paths=paths,
                )
            except WaitsForPrerequisites as exc:
                waiting.append(exc.detail)
                continue
            if outcome.created:
                issued.append(outcome.credential.id)
            else:
                held += 1
            issued += [c.id for c in outcome.path_credentials]
        if waiting:
            # Parked with the person known: processed again as soon as the person achieves
            # something (release_waiting), and by the worker's rounds over parked events.
            done = f"; {len(issued)} credential(s) issued, {held} already held" if issued else ""
            return EventState.PARKED, "; ".join(waiting) + done, issued, person.id
        return (
            EventState.PROCESSED,
            (f"{len(issued)} credential(s) issued, {held} already held"),
            issued,
            person.id,
        )

    def _achievements_of(self, credential_ids: Sequence[str]) -> set[uuid.UUID]:
        if not credential_ids:
            return set()
        return set(
            self.session.scalars(
                select(AchievementVersion.achievement_id)
                .join(Credential, Credential.achievement_version_id == AchievementVersion.id)
                .where(Credential.id.in_([uuid.UUID(value) for value in credential_ids]))
            )
        )

    def _void(self, event: InboundEvent, target: str) -> tuple[EventState, str, list[uuid.UUID]]:
        voided = self.find(event.organisation_id, event.channel, target)
        if voided is None:
            return EventState.IGNORED, f"voided statement {target} is not stored here", []
        revoked = 0
        for credential_id in voided.credential_ids:
            credential = self.session.get(Credential, uuid.UUID(credential_id))
            if credential is not None and credential.revoked_at is None:
                self.issuing.revoke(
                    credential, f"statement {target} was voided by {event.external_id}"
                )
                revoked += 1
        return (
            EventState.PROCESSED,
            f"voided statement {target}: {revoked} credential(s) revoked",
            [],
        )

    def _person(self, event: InboundEvent) -> Person | None:
        ref = event.normalized.get("person") or {}
        org = event.organisation_id
        query = select(Person).where(Person.organisation_id == org)
        if ref.get("employeeNumber"):
            found = self.session.scalar(
                query.where(Person.employee_number == ref["employeeNumber"])
            )
            if found is not None:
                return found
        if ref.get("account"):
            found = self.session.scalar(
                query.join(LmsAccount).where(
                    LmsAccount.connection == event.connection, LmsAccount.account == ref["account"]
                )
            )
            if found is not None:
                return found
        if ref.get("email"):
            found = self.session.scalar(
                query.where(func.lower(Person.email) == str(ref["email"]).strip().lower())
            )
            if found is not None:
                return found
        connection = self.session.scalar(
            select(Connection).where(
                Connection.organisation_id == org, Connection.name == event.connection
            )
        )
        if connection is None or connection.unknown_person != "create":
            return None
        if not (ref.get("employeeNumber") or ref.get("email")):
            return None  # nothing a person record could be found by later
        accounts = [LmsAccountData(event.connection, ref["account"])] if ref.get("account") else []
        data = PersonData(
            employee_number=ref.get("employeeNumber"),
            email=ref.get("email"),
            given_name=ref.get("givenName"),
            family_name=ref.get("familyName"),
            lms_accounts=accounts,
        )
        return create_person(self.session, org, data)

    # -- replay -----------------------------------------------------------------------

    def replay(self, events: Iterable[InboundEvent]) -> list[InboundEvent]:
        """Process the events again (idempotent: held credentials are not issued twice)."""
        return [self.process(event) for event in events]

    def take(self, event_id: uuid.UUID) -> InboundEvent | None:
        """The event, read afresh, if it is still ``received``; None once processed.

        Decided by the database: the UPDATE locks the row (PostgreSQL) or takes the write
        lock (SQLite) until this transaction ends, so of a request, a retry of it and the
        server's recovery sweep exactly one processes an event, and none works from a copy
        read before another finished it."""
        return self.session.scalar(
            update(InboundEvent)
            .where(InboundEvent.id == event_id, InboundEvent.state == EventState.RECEIVED)
            .values(attempts=InboundEvent.attempts)
            .returning(InboundEvent)
            .execution_options(populate_existing=True)
        )

    def claim(self, ids: Sequence[uuid.UUID], state: str) -> list[InboundEvent]:
        """Lock the events ``ids`` still in ``state``, skipping any another worker holds."""
        query = (
            select(InboundEvent)
            .where(InboundEvent.id.in_(list(ids)), InboundEvent.state == state)
            .order_by(InboundEvent.received_at, InboundEvent.id)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def pending(
        self,
        states: Sequence[str],
        limit: int = 100,
        organisation_id: uuid.UUID | None = None,
        lock: bool = False,
    ) -> list[InboundEvent]:
        """Events in ``states``, oldest first; ``lock`` claims them (FOR UPDATE SKIP LOCKED)
        so several workers never take the same event."""
        query = select(InboundEvent).where(InboundEvent.state.in_(list(states)))
        if organisation_id is not None:
            query = query.where(InboundEvent.organisation_id == organisation_id)
        query = query.order_by(InboundEvent.received_at, InboundEvent.id).limit(limit)
        if lock:
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query))


def _evidence(event: InboundEvent) -> tuple[ob3.Evidence, ...]:
    data = event.normalized
    name = data.get("activityName") or data.get("activity")
    narrative = f"Completion of {name} reported by {event.connection} ({event.channel})"
    if data.get("time"):
        narrative += f" at {data['time']}"
    score = (data.get("result") or {}).get("score")
    if isinstance(score, dict) and score:
        narrative += "; score " + ", ".join(f"{k} {v}" for k, v in sorted(score.items()))
    return (ob3.Evidence(name=f"Completion: {name}"[:300], narrative=narrative + "."),)


def _describe(ref: dict[str, Any]) -> str:
    parts = [
        f"{key} {value!r}"
        for key, value in sorted(ref.items())
        if key in ("employeeNumber", "account", "email") and value
    ]
    return ", ".join(parts) or "no identifier"


def _display(person: Person) -> str:
    return person.employee_number or person.email or str(person.id)
