"""What HR is told and keeps when a person is erased: the person's earlier events lose
their identifiers (their id here stays, so HR can still relate them), and one
``person.erased`` event goes through the same outbox, after every earlier event of the
person (the outbox keeps a person's events in order)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..delivery.outbox import publish
from ..models import CompetenceEvent, Delivery, DeliveryState
from .payload import erased_person

__all__ = ["PERSON_ERASED", "ErasedEvents", "anonymise_events", "publish_person_erased"]

PERSON_ERASED = "person.erased"


@dataclass(frozen=True)
class ErasedEvents:
    """How many of the person's events were rewritten, and how many of their deliveries
    were still waiting (they now carry the rewritten event)."""

    events: int
    waiting_deliveries: int


def anonymise_events(session: Session, person_id: uuid.UUID) -> ErasedEvents:
    """Replace the person block of every event about the person (the feed serves them all,
    and a delivery not yet made sends the event as it is then) by the erased one."""
    count = 0
    events = session.scalars(
        select(CompetenceEvent).where(CompetenceEvent.person_id == person_id)
    ).all()
    for event in events:
        payload: dict[str, Any] = dict(event.payload)
        data = dict(payload.get("data") or {})
        if "person" in data:
            data["person"] = erased_person(person_id)
        payload["data"] = data
        event.payload = payload
        count += 1
    waiting = session.scalar(
        select(func.count()).where(
            Delivery.person_id == person_id, Delivery.state == DeliveryState.PENDING
        )
    )
    # A failure text of an earlier attempt may quote the receiver's answer about the person.
    session.execute(
        update(Delivery)
        .where(Delivery.person_id == person_id, Delivery.last_error.is_not(None))
        .values(last_error="(removed when the person was erased)")
    )
    session.flush()
    return ErasedEvents(events=count, waiting_deliveries=int(waiting or 0))


def publish_person_erased(
    session: Session, organisation_id: uuid.UUID, person_id: uuid.UUID, at: datetime
) -> CompetenceEvent:
    """Queue ``person.erased`` for every active HR endpoint (and the feed)."""
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": PERSON_ERASED,
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "person": erased_person(person_id),
            "erased_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    return publish(
        session,
        organisation_id=organisation_id,
        person_id=person_id,
        recognition_id=None,
        type=PERSON_ERASED,
        payload=payload,
        event_id=event_id,
    )
