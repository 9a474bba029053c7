"""The transactional outbox: a competence event and one delivery per active HR endpoint,
written in the caller's transaction (the one that issued or revoked the credential)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Executable,
    Uuid,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from ...db import Base, utcnow
from ..models import CompetenceEvent, Delivery, HrEndpoint

__all__ = ["publish", "publish_many"]


def publish(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    person_id: uuid.UUID,
    recognition_id: uuid.UUID | None,
    type: str,
    payload: dict[str, Any],
    event_id: uuid.UUID | None = None,
) -> CompetenceEvent:
    """Record the event for the feed and queue it for every active endpoint; nothing is
    sent here, the worker delivers after commit.

    ``event_id`` is the message id (new when not given); a payload that carries the id
    itself is built with it first, so the row is written once. The caller holds the
    person's lock (see :mod:`badgeservice.hr.recognitions.recording`), which keeps the person's
    events in order in the feed (see :func:`_feed_txid`)."""
    values: dict[str, Any] = {
        "id": event_id or uuid.uuid4(),
        "organisation_id": organisation_id,
        "person_id": person_id,
        "recognition_id": recognition_id,
        "type": type,
        "payload": payload,
        "created_at": utcnow(),
        "txid": _feed_txid(session, person_id),
    }
    # One INSERT … RETURNING: the row (its seq, and on PostgreSQL its txid) comes back as a
    # persistent object of the session.
    event = session.scalars(insert(CompetenceEvent).values(values).returning(CompetenceEvent)).one()
    endpoints = session.scalars(
        select(HrEndpoint.id).where(
            HrEndpoint.organisation_id == organisation_id, HrEndpoint.active.is_(True)
        )
    ).all()
    for endpoint_id in endpoints:
        session.add(
            Delivery(
                organisation_id=organisation_id,
                endpoint_id=endpoint_id,
                event_id=event.id,
                event_seq=event.seq,
                person_id=person_id,
            )
        )
    if endpoints:
        session.flush()
    return event


def publish_many(session: Session, events: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """:func:`publish` for many events at once (a worker's batch): one multi-row INSERT of
    the events and one of their deliveries, whatever their number. Each of ``events`` holds
    ``id``, ``organisation_id``, ``person_id``, ``recognition_id``, ``type`` and ``payload``
    (built with its id); the caller holds the lock of every person named. The ids, in order."""
    if not events:
        return []
    now = utcnow()
    rows = [{**event, "created_at": now, "txid_person": event["person_id"]} for event in events]
    written = {row.id: row.seq for row in session.execute(_insert_events(session), rows)}
    organisations = sorted({event["organisation_id"] for event in events})
    endpoints: dict[uuid.UUID, list[uuid.UUID]] = {}
    for organisation_id, endpoint_id in session.execute(
        select(HrEndpoint.organisation_id, HrEndpoint.id).where(
            HrEndpoint.organisation_id.in_(organisations), HrEndpoint.active.is_(True)
        )
    ):
        endpoints.setdefault(organisation_id, []).append(endpoint_id)
    deliveries = [
        {
            "organisation_id": event["organisation_id"],
            "endpoint_id": endpoint_id,
            "event_id": event["id"],
            "event_seq": written[event["id"]],
            "person_id": event["person_id"],
        }
        for event in events
        for endpoint_id in endpoints.get(event["organisation_id"], [])
    ]
    if deliveries:
        session.execute(insert(Delivery), deliveries)
    return [event["id"] for event in events]


def _insert_events(session: Session) -> Executable:
    """The INSERT of many events in one statement (the rows as its parameters), returning
    their ids and seqs; on PostgreSQL each row's feed key is computed in it for the
    person given as ``txid_person``. Built once per dialect: compiled once too."""
    dialect = session.get_bind().dialect.name
    statement = _INSERT_EVENTS.get(dialect)
    if statement is None:
        table = Base.metadata.tables[CompetenceEvent.__tablename__]
        person = bindparam("txid_person", type_=Uuid())
        insert_events = insert(table)
        txid = _feed_txid(session, person)
        if txid is not None:
            insert_events = insert_events.values(txid=txid)
        statement = _INSERT_EVENTS[dialect] = insert_events.returning(table.c.id, table.c.seq)
    return statement


_INSERT_EVENTS: dict[str, Executable] = {}


def _feed_txid(
    session: Session, person_id: uuid.UUID | BindParameter[uuid.UUID]
) -> ColumnElement[int] | None:
    """PostgreSQL: the feed key of a new event, evaluated in its INSERT. SQLite serialises
    writers, so there it is None (the feed orders by seq).

    The writing transaction's id, so the feed can hold back rows of transactions that may
    still commit below a reader's cursor; raised to the person's latest key, so that a
    transaction that took its id before an earlier change of this person committed still
    sorts after that change (it stays >= the writer's own id, which is all the feed's
    visibility rule needs). The person lock makes "latest" exact: every earlier event of
    the person is committed (or this transaction's own) when the INSERT reads it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    own: ColumnElement[int] = literal_column("pg_current_xact_id()::text::bigint", BigInteger())
    latest = (
        select(func.max(CompetenceEvent.txid))
        .where(CompetenceEvent.person_id == person_id)
        .scalar_subquery()
    )
    # GREATEST ignores NULL: a person's first event keeps the transaction's own id.
    result: ColumnElement[int] = func.greatest(own, latest)
    return result
