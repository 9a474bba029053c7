"""What the admin's dashboard counts: what is stuck (events that failed, were parked or
matched nothing; HR deliveries that died or wait behind a paused endpoint) and what is due
(issuer keys to rotate, status lists filling up). A few grouped queries, whatever the size
of the organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..hr.models import Delivery, HrEndpoint
from ..ingest.models import EventState, InboundEvent
from ..issuers.models import Issuer, IssuerKey, StatusList
from ..issuing.models import Credential

__all__ = [
    "KEY_ROTATION_DAYS",
    "LIST_FULL_SHARE",
    "Attention",
    "KeyAge",
    "ListUse",
    "StateCount",
    "attention",
]

#: An issuer's signing key this old is due for rotation.
KEY_ROTATION_DAYS = 365
#: A status list this full is worth a look (a new list opens by itself when one is full).
LIST_FULL_SHARE = 0.8
#: The inbox states an admin acts on (replay), in the order the dashboard shows them.
STUCK = (EventState.FAILED, EventState.PARKED, EventState.UNMATCHED)


@dataclass(frozen=True)
class StateCount:
    state: str
    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class KeyAge:
    issuer: Issuer
    created_at: datetime
    days: int

    @property
    def due(self) -> bool:
        return self.days >= KEY_ROTATION_DAYS


@dataclass(frozen=True)
class ListUse:
    issuer: Issuer
    number: int
    used: int
    length: int

    @property
    def share(self) -> float:
        return self.used / self.length if self.length else 1.0


@dataclass(frozen=True)
class Attention:
    events: list[StateCount]
    dead_deliveries: int
    pending_deliveries: int
    paused_endpoints: list[HrEndpoint]
    keys: list[KeyAge]
    lists: list[ListUse]

    @property
    def quiet(self) -> bool:
        """Nothing needs an admin now."""
        return (
            not any(item.count for item in self.events)
            and not self.dead_deliveries
            and not self.paused_endpoints
            and not any(key.due for key in self.keys)
            and not any(item.share >= LIST_FULL_SHARE for item in self.lists)
        )


def attention(session: Session, organisation_id: uuid.UUID) -> Attention:
    now = utcnow()
    return Attention(
        events=_events(session, organisation_id),
        dead_deliveries=_deliveries(session, organisation_id, "dead"),
        pending_deliveries=_deliveries(session, organisation_id, "pending"),
        paused_endpoints=list(
            session.scalars(
                select(HrEndpoint).where(
                    HrEndpoint.organisation_id == organisation_id,
                    HrEndpoint.active,
                    HrEndpoint.paused_until > now,
                )
            )
        ),
        keys=_keys(session, organisation_id, now),
        lists=_lists(session, organisation_id),
    )


def _events(session: Session, organisation_id: uuid.UUID) -> list[StateCount]:
    rows = {
        state: (count, oldest)
        for state, count, oldest in session.execute(
            select(InboundEvent.state, func.count(), func.min(InboundEvent.received_at))
            .where(InboundEvent.organisation_id == organisation_id, InboundEvent.state.in_(STUCK))
            .group_by(InboundEvent.state)
        )
    }
    return [StateCount(state, *rows.get(state, (0, None))) for state in STUCK]


def _deliveries(session: Session, organisation_id: uuid.UUID, state: str) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Delivery.organisation_id == organisation_id, Delivery.state == state
            )
        )
        or 0
    )


def _keys(session: Session, organisation_id: uuid.UUID, now: datetime) -> list[KeyAge]:
    rows = session.execute(
        select(Issuer, func.max(IssuerKey.created_at))
        .join(IssuerKey, IssuerKey.issuer_id == Issuer.id)
        .where(Issuer.organisation_id == organisation_id, IssuerKey.retired_at.is_(None))
        .group_by(Issuer.id)
        .order_by(Issuer.slug)
    )
    return [
        KeyAge(issuer, created, max(0, (now - created) // timedelta(days=1)))
        for issuer, created in rows
    ]


def _lists(session: Session, organisation_id: uuid.UUID) -> list[ListUse]:
    used = (
        select(Credential.status_list_id, func.count().label("used"))
        .group_by(Credential.status_list_id)
        .subquery()
    )
    rows = session.execute(
        select(Issuer, StatusList.number, StatusList.length, func.coalesce(used.c.used, 0))
        .join(StatusList, StatusList.issuer_id == Issuer.id)
        .outerjoin(used, used.c.status_list_id == StatusList.id)
        .where(Issuer.organisation_id == organisation_id)
        .order_by(Issuer.slug, StatusList.number)
    )
    return [ListUse(issuer, number, int(count), length) for issuer, number, length, count in rows]
