"""The organisation's stores of derived reserve data — the state row with its horizons,
the people left out of the stored numbers — shared by the stored trend points
(:mod:`.trends`) and holder counts (:mod:`.holder_counts`): who is active against who was
left out, starting the stores, locking them for the worker's upkeep, and writing rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...db import utcnow
from ...people.models import Person
from ..models import ReserveHolderCount, ReserveTrendExcluded, ReserveTrendPoint, ReserveTrendState
from ..recognitions.horizon import Horizon

__all__ = [
    "ADVANCE_AFTER",
    "Activity",
    "activity",
    "ensure_state",
    "insert_rows",
    "lock_state",
    "started",
]

# Move the stored horizon on once this many events past it have been checked, so the
# check stays one short index range without a write on every read.
ADVANCE_AFTER = 200


@dataclass(frozen=True)
class Activity:
    """The organisation's active people now, against the people left out of the stored
    points and counts: ``left`` inactive now but not left out, ``back`` left out but
    active again."""

    active: int
    left: list[uuid.UUID]
    back: list[uuid.UUID]


def activity(session: Session, organisation_id: uuid.UUID) -> Activity:
    """The organisation's people counted, and the few inactive and left-out ones listed:
    three indexed reads (the inactive ones through a partial index), no pass over
    everyone."""
    total = int(
        session.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.organisation_id == organisation_id)
        )
        or 0
    )
    inactive = set(
        session.scalars(
            select(Person.id).where(
                Person.organisation_id == organisation_id, Person.active.is_(False)
            )
        )
    )
    left_out = set(
        session.scalars(
            select(ReserveTrendExcluded.person_id).where(
                ReserveTrendExcluded.organisation_id == organisation_id
            )
        )
    )
    return Activity(
        active=total - len(inactive),
        left=sorted((person for person in inactive if person not in left_out), key=str),
        back=sorted(left_out - inactive, key=str),  # people are never deleted, only deactivated
    )


def started(session: Session, organisation_id: uuid.UUID) -> bool:
    """Whether the organisation's stores were started (its state row exists)."""
    state = ReserveTrendState
    found = session.scalar(
        select(state.organisation_id).where(state.organisation_id == organisation_id)
    )
    return found is not None


def ensure_state(session: Session, organisation_id: uuid.UUID) -> None:
    """Start the organisation's stores (its state row and the people left out) if they
    are not there yet: :func:`activity` is measured against them, so before it."""
    state = ReserveTrendState
    if session.scalar(
        select(state.organisation_id).where(state.organisation_id == organisation_id)
    ):
        return
    lock_state(session, organisation_id, utcnow())


def lock_state(
    session: Session, organisation_id: uuid.UUID, clock: datetime, *, rebuild: bool = False
) -> tuple[dict[str, Any], Horizon, bool]:
    """Lock the organisation's state row (made on first use) until the transaction ends;
    its horizons as they were, the horizon a check starting now gives, and whether the
    stores were started afresh: on first use or a ``rebuild`` every stored point and count
    goes and today's inactive people become the ones left out."""
    state = ReserveTrendState
    fresh = (
        session.scalar(
            select(state.organisation_id).where(state.organisation_id == organisation_id)
        )
        is None
    )
    if fresh:  # two first readers at once: both start afresh, which is only extra work
        session.execute(
            _dialect_insert(session, state)
            .values(organisation_id=organisation_id, updated_at=clock)
            .on_conflict_do_nothing(index_elements=["organisation_id"])
        )
    current = (
        session.execute(
            select(state.horizon_txid, state.horizon_seq, state.counts_txid, state.counts_seq)
            .where(state.organisation_id == organisation_id)
            .with_for_update()
        )
        .one()
        ._asdict()
    )
    horizon = Horizon.now(session, organisation_id)
    if not (fresh or rebuild):
        return current, horizon, False
    excluded = ReserveTrendExcluded
    for model in (ReserveTrendPoint, ReserveHolderCount, excluded):
        session.execute(delete(model).where(model.organisation_id == organisation_id))
    session.execute(
        insert(excluded).from_select(
            ["organisation_id", "person_id"],
            select(literal(organisation_id, excluded.organisation_id.type), Person.id).where(
                Person.organisation_id == organisation_id, Person.active.is_(False)
            ),
        )
    )
    empty = dict.fromkeys(current)
    session.execute(
        update(state)
        .where(state.organisation_id == organisation_id)
        .values(**empty, updated_at=clock)
    )
    return empty, horizon, True


def _dialect_insert(session: Session, model: Any) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def insert_rows(
    session: Session, model: Any, rows: list[dict[str, Any]], update: Sequence[str] = ()
) -> None:
    """Insert ``rows``; on a key already there, overwrite ``update`` (or keep the row)."""
    statement = _dialect_insert(session, model).values(rows)
    keys = [column.name for column in model.__table__.primary_key.columns]
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={name: statement.excluded[name] for name in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    session.execute(statement)
