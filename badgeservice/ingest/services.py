"""The inbox and the processing of inbound events.

``receive`` stores an event (idempotently by its external id, its :class:`Completion` beside
the raw body); the caller commits it before anything else happens. ``process`` then matches
it (:mod:`.matching`: the person, the sub-goals) and hands the sub-goals to awards, inside a
savepoint: whatever goes wrong leaves the event ``failed`` with its reason, never lost (a
deadlock leaves it ``received``), and ``replay`` runs it again (awards are idempotent).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Json
from sqlalchemy import Connection, Executable, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..awards.awarding import ACHIEVED, WaitsForPrerequisites, award, revoke
from ..awards.signals import awarded
from ..credentials import ob3
from ..db import Base, get_session, utcnow
from ..errors import AppError, Conflict, is_busy
from ..issuing.holdings import achievements_of
from ..issuing.models import Credential
from ..issuing.services import IssuingService, issuing_service
from ..people.models import Person
from .completion import Completion
from .matching import Goals, person_for, sub_goals_for
from .models import PURGED, EventState, InboundEvent

__all__ = [
    "IngestService",
    "Received",
    "content_hash",
    "inbox_row",
    "ingest_service",
    "store_new",
    "subscribe",
]


# Size: the inbox's one write (inbox_row, store_new), which the Flask view and the lean
# accept path both use, stays in this module beside the service that reads the inbox.

# The inbox's uniqueness rule (see InboundEvent).
_EVENT_KEY = ("organisation_id", "channel", "external_id")


def _store_new(dialect: str) -> Executable | None:
    """``INSERT … ON CONFLICT (the inbox key) DO NOTHING RETURNING`` the new id, for one row;
    None for a database without it. Core, built once per dialect: the request knows what it
    stores, so no ORM object is loaded back (building it costs more than running it)."""
    statement = _STORE_NEW.get(dialect)
    if statement is None and dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = Base.metadata.tables[InboundEvent.__tablename__]
        statement = _STORE_NEW[dialect] = (
            insert(table).on_conflict_do_nothing(index_elements=_EVENT_KEY).returning(table.c.id)
        )
    return statement


_STORE_NEW: dict[str, Executable] = {}

# The same statement for psycopg itself: every column of the inbox, in table order.
_COLUMNS = [column.key for column in InboundEvent.__table__.columns]
_JSON = {"normalized", "credential_ids"}
_STORE_NEW_POSTGRESQL = sql.SQL(
    "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO NOTHING RETURNING id"
).format(
    table=sql.Identifier(InboundEvent.__tablename__),
    columns=sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
    values=sql.SQL(", ").join(sql.Placeholder() * len(_COLUMNS)),
    key=sql.SQL(", ").join(map(sql.Identifier, _EVENT_KEY)),
)


def _driver_value(key: str, value: Any) -> Any:
    """A column's value as SQLAlchemy would hand it to psycopg (JSON as JSON, the state as
    its text)."""
    if key in _JSON:
        return Json(value)
    return str(value) if key == "state" else value


def _store_new_postgresql(connection: Connection, values: dict[str, Any]) -> bool:
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        row = driver.execute(
            _STORE_NEW_POSTGRESQL,
            [_driver_value(key, values[key]) for key in _COLUMNS],
            prepare=True,
        ).fetchone()
    except psycopg.Error as exc:
        # As SQLAlchemy would raise it (OperationalError for a lost connection, …).
        raise DBAPIError.instance("INSERT INTO inbound_events", None, exc, psycopg.Error) from exc
    return row is not None


def inbox_row(
    *,
    organisation_id: uuid.UUID,
    connection: str,
    channel: str,
    external_id: str,
    raw: str,
    completion: Completion,
) -> dict[str, Any]:
    """The inbox row of a new event (every column), as :func:`store_new` stores it."""
    return {
        "id": uuid.uuid4(),
        "organisation_id": organisation_id,
        "connection": connection,
        "channel": channel,
        "external_id": external_id,
        "content_hash": content_hash(raw),
        "raw": raw,
        "normalized": completion.to_json(),
        "state": EventState.RECEIVED,
        "reason": None,
        "attempts": 0,
        "person_id": None,
        "credential_ids": [],
        "received_at": utcnow(),
        "processed_at": None,
    }


def store_new(executor: Session | Connection, values: dict[str, Any]) -> bool | None:
    """The inbox's write: the row ``values`` unless an event with its key is stored (True:
    stored, False: a duplicate, nothing written); None for a database without the one
    statement. The webhook's lean accept path (:mod:`.lean`) stores through it too, on a
    connection of its own: on PostgreSQL the statement goes straight to the driver (a
    prepared statement, a third of the CPU of the same statement through SQLAlchemy)."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if isinstance(executor, Connection) and bind.dialect.name == "postgresql":
        return _store_new_postgresql(executor, values)
    statement = _store_new(bind.dialect.name)
    if statement is None:
        return None
    return executor.execute(statement, values).first() is not None


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
        completion: Completion,
    ) -> Received:
        """Store the event unless one with the same external id is already stored."""
        values = inbox_row(
            organisation_id=organisation_id,
            connection=connection,
            channel=channel,
            external_id=external_id,
            raw=raw,
            completion=completion,
        )
        stored = store_new(self.session, values)
        if stored is not None:
            # One statement: the uniqueness rule decides, and a concurrent request that
            # stored the same id first makes this a no-op (the stored one is the event).
            if stored:
                return Received(InboundEvent(**values), False)  # outside the session
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
        processed again (``release``). An event whose payload retention purged cannot be."""
        if event.raw == PURGED:
            raise Conflict(f"event {event.id}: its payload was purged by retention")
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
            if isinstance(exc, OperationalError) and is_busy(exc):
                # Lost a deadlock to another batch: nothing stays; wait, uncounted, for the next.
                event.attempts -= 1
                self.session.flush()
                return event
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
        completion = Completion.from_json(event.normalized)
        if completion.void is not None:
            return (*self._void(event, completion.void), event.person_id)
        if not completion.completed:
            reason = completion.reason or "not a completion"
            return EventState.IGNORED, reason, [], event.person_id
        ref = completion.person
        person = person_for(self.session, event.organisation_id, event.connection, ref)
        if person is None:
            return (
                EventState.PARKED,
                (
                    f"no person matches {ref.describe()}; the event waits "
                    "until the person exists (then replay it, or let the worker pick it up)"
                ),
                [],
                event.person_id,
            )
        matched = sub_goals_for(self.session, person, event.connection, completion)
        if not matched.triggered:
            return (
                EventState.UNMATCHED,
                (
                    f"no trigger of connection {event.connection!r} knows activity "
                    f"{completion.activity or ''!r}"
                ),
                [],
                person.id,
            )
        if not matched.goals:
            return (
                EventState.UNMATCHED,
                (
                    f"activity {completion.activity or ''!r} completes sub-goals only of paths "
                    f"{_display(person)} is not on"
                ),
                [],
                person.id,
            )
        return (*self._award(event, completion, person, matched), person.id)

    def _award(
        self, event: InboundEvent, completion: Completion, person: Person, matched: Goals
    ) -> tuple[EventState, str, list[uuid.UUID]]:
        """Award each matched sub-goal; parked when one waits for its prerequisites."""
        issued: list[uuid.UUID] = []
        held = 0
        evidence = _evidence(event, completion)
        # The same event always means the same credential: one it led to before (a replay)
        # stands even when it was revoked since, e.g. by voiding the statement.
        before = achievements_of(self.session, event.credential_ids)
        waiting: list[str] = []
        for goal in matched.goals:
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
                    paths=matched.paths,
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
            return EventState.PARKED, "; ".join(waiting) + done, issued
        return (
            EventState.PROCESSED,
            f"{len(issued)} credential(s) issued, {held} already held",
            issued,
        )

    def _void(self, event: InboundEvent, target: str) -> tuple[EventState, str, list[uuid.UUID]]:
        voided = self.find(event.organisation_id, event.channel, target)
        if voided is None:
            return EventState.IGNORED, f"voided statement {target} is not stored here", []
        revoked = 0
        for credential_id in voided.credential_ids:
            credential = self.session.get(Credential, uuid.UUID(credential_id))
            if credential is not None and credential.revoked_at is None:
                revoke(
                    self.session,
                    self.issuing,
                    credential,
                    f"statement {target} was voided by {event.external_id}",
                )
                revoked += 1
        return (
            EventState.PROCESSED,
            f"voided statement {target}: {revoked} credential(s) revoked",
            [],
        )

    # -- replay -----------------------------------------------------------------------

    def replay(self, events: Iterable[InboundEvent]) -> list[InboundEvent]:
        """Process the events again (idempotent: held credentials are not issued twice);
        each replay is in the audit trail with the outcome."""
        done = [self.process(event) for event in events]
        for event in done:
            target = target_of("event", event.id, event.external_id)
            details = {"connection": event.connection, "state": event.state}
            record(self.session, event.organisation_id, "event.replayed", target, details)
        return done

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


def ingest_service(session: Session | None = None) -> IngestService:
    """The service on the request's session (or ``session``), configured by the app."""
    session = session or get_session()
    return IngestService(session, issuing_service(session))


def subscribe() -> None:
    """Completions parked for a prerequisite go on when a manual award issues it (once per
    process: connecting again changes nothing)."""
    awarded.connect(_release_after_award)


def _release_after_award(_sender: object, *, session: Session, person_id: uuid.UUID) -> None:
    ingest_service(session).release_waiting(person_id)


def _evidence(event: InboundEvent, completion: Completion) -> tuple[ob3.Evidence, ...]:
    name = completion.activity_name or completion.activity
    narrative = f"Completion of {name} reported by {event.connection} ({event.channel})"
    if completion.time:
        narrative += f" at {completion.time}"
    score = completion.result.get("score")
    if isinstance(score, dict) and score:
        narrative += "; score " + ", ".join(f"{k} {v}" for k, v in sorted(score.items()))
    return (ob3.Evidence(name=f"Completion: {name}"[:300], narrative=narrative + "."),)


def _display(person: Person) -> str:
    return person.employee_number or person.email or str(person.id)
