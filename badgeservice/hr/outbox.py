"""The transactional outbox: a competence event and one delivery per active HR endpoint,
written in the caller's transaction (the one that issued or revoked the credential)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import CompetenceEvent, Delivery, HrEndpoint

__all__ = ["publish"]


def publish(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    person_id: uuid.UUID,
    recognition_id: uuid.UUID,
    type: str,
    payload: dict[str, Any],
) -> CompetenceEvent:
    """Record the event for the feed and queue it for every active endpoint; nothing is
    sent here, the worker delivers after commit."""
    event = CompetenceEvent(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        person_id=person_id,
        recognition_id=recognition_id,
        type=type,
        payload=payload,
        txid=_transaction_id(session),
    )
    session.add(event)
    session.flush()
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
    session.flush()
    return event


def _transaction_id(session: Session) -> int | None:
    """PostgreSQL: the writing transaction's id, so the feed can hold back rows of
    transactions that may still commit below a reader's cursor. SQLite serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.scalar(text("SELECT pg_current_xact_id()::text::bigint")) or 0)
