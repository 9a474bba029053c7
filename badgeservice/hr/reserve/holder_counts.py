"""The organisation's current holders of a competence by level, kept in slices so a read
costs the changes since the last one, not a count of every holding.

Counting every holding of a competence in a 100,000-person organisation reads hundreds of
thousands of index entries. So the counts are stored per slice of people
(:class:`~.models.ReserveHolderCount`: the people whose id starts with one byte, 256
slices), leaving out the people inactive when the counts were made (the same
:class:`~.models.ReserveTrendExcluded` set the stored trend points use). A slice is counted
again when:

- a competence event since the last check names one of its people (every change of a
  holding comes with a recognition change, and every recognition change publishes an
  event; the horizon works as for the trend points, see :mod:`.trends`), or
- its ``lapse`` has come: the first ``valid_until`` among the holdings it counted.

People deactivated or reactivated since the counts were made are corrected for from their
own holdings. A count for another moment than now (``now`` given) is made directly.

Only the worker stores (``maintain=True``, :func:`~.targets.maintain_reserve`); a read
counts the stale slices again without storing them, and with no store started yet counts
directly.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from ...db import utcnow
from ...people.models import Person
from ..models import (
    CompetenceEvent,
    CompetenceHolding,
    Recognition,
    ReserveHolderCount,
    ReserveTrendExcluded,
    ReserveTrendState,
)
from ..recognitions.horizon import Horizon
from .stores import ADVANCE_AFTER, Activity, activity, ensure_state, insert_rows, lock_state

__all__ = ["BUCKETS", "bucket_of", "organisation_counts"]

BUCKETS = 256
LEVELS = 9  # 0 (no level stated) .. 8
# Count slices again one at a time up to this many; more, count the competences whole.
SLICES_AT_ONCE = 32
Counts = dict[tuple[uuid.UUID, int], int]


def bucket_of(person_id: uuid.UUID) -> int:
    """The slice a person is counted in: the first byte of their id."""
    return person_id.int >> 120


def _in_bucket(column: Any, bucket: int) -> ColumnElement[bool]:
    low = column >= uuid.UUID(int=bucket << 120)
    if bucket == BUCKETS - 1:
        return low  # type: ignore[no-any-return]
    return and_(low, column < uuid.UUID(int=(bucket + 1) << 120))


def _valid(now: datetime) -> ColumnElement[bool]:
    holding = CompetenceHolding
    return or_(holding.valid_until.is_(None), holding.valid_until > now)


def organisation_counts(
    session: Session,
    organisation_id: uuid.UUID,
    competence_ids: Sequence[uuid.UUID],
    now: datetime,
    people: Activity | None = None,
    *,
    maintain: bool = False,
) -> Counts:
    """(competence, level) → the organisation's active people holding the competence at
    exactly that level now (their best active level, still valid). ``people``: the
    :func:`~.stores.activity` of the organisation if the caller has it. Only ``maintain``
    (the worker) writes."""
    clock = utcnow()
    if not competence_ids:
        return {}
    if abs(now - clock) > timedelta(seconds=1):
        return _direct(session, organisation_id, competence_ids, now)
    if maintain:
        ensure_state(session, organisation_id)
    if people is None:
        people = activity(session, organisation_id)
    wanted = set(competence_ids)
    # the horizon before the counts: counts stored meanwhile are only newer than it
    state = session.execute(
        select(ReserveTrendState.counts_txid, ReserveTrendState.counts_seq).where(
            ReserveTrendState.organisation_id == organisation_id
        )
    ).one_or_none()
    if state is None and not maintain:
        return _direct(session, organisation_id, competence_ids, now)
    totals = _totals(session, organisation_id, wanted)
    touched, checked = ({}, 0) if state is None else _touched(session, organisation_id, state)
    stale = (
        state is None
        or checked >= ADVANCE_AFTER
        or any(c not in totals or totals[c][0] != BUCKETS for c in wanted)
        or any(lapse is not None and lapse <= clock for _, _, lapse in totals.values())
        or any(c in totals for c in touched)
    )
    counts: Counts = defaultdict(int)
    if stale:
        if maintain:
            cells = _maintain(session, organisation_id, competence_ids, clock)
        else:
            assert state is not None
            cells, _ = _recount(session, organisation_id, competence_ids, clock, tuple(state))
        for (competence_id, _), (levels, _lapse) in cells.items():
            for level, number in enumerate(levels):
                counts[(competence_id, level)] += number
    else:
        for competence_id, (_, levels, _lapse) in totals.items():
            for level, number in enumerate(levels):
                counts[(competence_id, level)] += number
    for changed, sign in ((people.left, -1), (people.back, 1)):
        if changed:
            found = _direct(session, organisation_id, competence_ids, now, changed)
            for key, number in found.items():
                counts[key] += sign * number
    return {key: number for key, number in counts.items() if number}


def _direct(
    session: Session,
    organisation_id: uuid.UUID,
    competence_ids: Sequence[uuid.UUID],
    now: datetime,
    people: list[uuid.UUID] | None = None,
) -> Counts:
    """Counted from the holdings: of ``people``, or of the active people."""
    holding = CompetenceHolding
    if people is None:
        inactive = select(Person.id).where(
            Person.organisation_id == organisation_id, Person.active.is_(False)
        )
        population = holding.person_id.not_in(inactive)
    else:
        population = holding.person_id.in_(people)
    rows = session.execute(
        select(holding.competence_id, holding.level, func.count())
        .where(
            holding.organisation_id == organisation_id,
            holding.competence_id.in_(list(competence_ids)),
            _valid(now),
            population,
        )
        .group_by(holding.competence_id, holding.level)
    )
    return {(c, level): int(number) for c, level, number in rows}


Cells = dict[tuple[uuid.UUID, int], tuple[list[int], datetime | None]]


def _level_columns() -> list[Any]:
    count = ReserveHolderCount
    return [getattr(count, f"level_{level}") for level in range(LEVELS)]


def _totals(
    session: Session, organisation_id: uuid.UUID, competence_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, list[int], datetime | None]]:
    """Per competence: how many slices are stored, their sums by level, the first lapse."""
    count = ReserveHolderCount
    rows = session.execute(
        select(
            count.competence_id,
            func.count(),
            func.min(count.lapse),
            *[func.sum(column) for column in _level_columns()],
        )
        .where(
            count.organisation_id == organisation_id,
            count.competence_id.in_(list(competence_ids)),
        )
        .group_by(count.competence_id)
    )
    return {
        c: (int(cells), [int(n or 0) for n in levels], lapse) for c, cells, lapse, *levels in rows
    }


def _read(
    session: Session, organisation_id: uuid.UUID, competence_ids: Iterable[uuid.UUID]
) -> Cells:
    count = ReserveHolderCount
    rows = session.execute(
        select(count.competence_id, count.bucket, count.lapse, *_level_columns()).where(
            count.organisation_id == organisation_id,
            count.competence_id.in_(list(competence_ids)),
        )
    )
    return {(c, bucket): (list(levels), lapse) for c, bucket, lapse, *levels in rows}


def _touched(
    session: Session, organisation_id: uuid.UUID, state: Any
) -> tuple[dict[uuid.UUID, set[int]], int]:
    """Competence → slices with a change since the horizon; how many events were read."""
    event, rec = CompetenceEvent, Recognition
    horizon = Horizon(*state)
    if not horizon.started:
        return {}, 0  # nothing counted yet: the counts are written with a horizon
    rows = session.execute(
        select(rec.competence_id, event.person_id)
        .select_from(event)
        .join(rec, rec.id == event.recognition_id)
        .where(event.organisation_id == organisation_id, horizon.unseen())
    ).all()
    touched: dict[uuid.UUID, set[int]] = defaultdict(set)
    for competence_id, person_id in rows:
        touched[competence_id].add(bucket_of(person_id))
    return touched, len(rows)


def _stale(
    cells: Cells, touched: dict[uuid.UUID, set[int]], clock: datetime
) -> set[tuple[uuid.UUID, int]]:
    stale = {
        (competence_id, bucket)
        for competence_id, buckets in touched.items()
        for bucket in buckets
        if (competence_id, bucket) in cells
    }
    stale.update(key for key, (_, lapse) in cells.items() if lapse is not None and lapse <= clock)
    return stale


def _maintain(
    session: Session,
    organisation_id: uuid.UUID,
    competence_ids: Sequence[uuid.UUID],
    clock: datetime,
) -> Cells:
    """Under the organisation's lock: count the stale slices and the missing competences
    again, store them, move the counts' horizon on."""
    current, horizon, _ = lock_state(session, organisation_id, clock)
    checked = (current["counts_txid"], current["counts_seq"])
    # every stored competence, wanted now or not: the horizon moves on for all of them
    cells, fresh = _recount(session, organisation_id, competence_ids, clock, checked, every=True)
    if fresh:
        insert_rows(
            session,
            ReserveHolderCount,
            [
                {
                    "organisation_id": organisation_id,
                    "competence_id": competence_id,
                    "bucket": bucket,
                    "lapse": lapse,
                    **{f"level_{level}": number for level, number in enumerate(levels)},
                }
                for (competence_id, bucket), (levels, lapse) in fresh.items()
            ],
            update=("lapse", *[f"level_{level}" for level in range(LEVELS)]),
        )
    state = ReserveTrendState
    session.execute(
        update(state)
        .where(state.organisation_id == organisation_id)
        .values(counts_txid=horizon.txid, counts_seq=horizon.seq, updated_at=clock)
    )
    return cells


def _recount(
    session: Session,
    organisation_id: uuid.UUID,
    competence_ids: Sequence[uuid.UUID],
    clock: datetime,
    checked: tuple[Any, ...],
    *,
    every: bool = False,
) -> tuple[Cells, Cells]:
    """The cells of ``competence_ids`` as they are now, and those of them (with ``every``,
    of every stored competence an event since ``checked`` touched) counted again: the
    stale slices and the competences not stored at all. Reads only."""
    cells = _read(session, organisation_id, competence_ids)
    stored = {competence_id for competence_id, _ in cells}
    touched, _ = _touched(session, organisation_id, checked)
    others = set(touched) - set(competence_ids) if every else set()
    everything = (_read(session, organisation_id, others) if others else {}) | cells
    stale = _stale(everything, touched, clock)
    whole = [c for c in competence_ids if c not in stored]
    if len(stale) > SLICES_AT_ONCE:
        whole += sorted({competence_id for competence_id, _ in stale}, key=str)
        stale = set()
    fresh: Cells = {}
    if whole:
        fresh.update(_count(session, organisation_id, whole, None, clock))
    by_competence: dict[uuid.UUID, list[int]] = defaultdict(list)
    for competence_id, bucket in sorted(stale, key=str):
        by_competence[competence_id].append(bucket)
    for competence_id, buckets in by_competence.items():
        fresh.update(_count(session, organisation_id, [competence_id], buckets, clock))
    wanted = set(competence_ids)
    return {key: value for key, value in (cells | fresh).items() if key[0] in wanted}, fresh


def _count(
    session: Session,
    organisation_id: uuid.UUID,
    competence_ids: Sequence[uuid.UUID],
    buckets: list[int] | None,
    clock: datetime,
) -> Cells:
    """Count slices (``buckets``; None: all 256) of ``competence_ids`` from the holdings of
    the people not left out, grouped in the database."""
    holding, excluded = CompetenceHolding, ReserveTrendExcluded
    if session.get_bind().dialect.name == "postgresql":
        slice_of: Any = func.get_byte(func.uuid_send(holding.person_id), 0)
    else:
        slice_of = func.substr(holding.person_id, 1, 2)  # the id's first byte in hex
    query = (
        select(
            holding.competence_id,
            slice_of,
            holding.level,
            func.count(),
            func.min(holding.valid_until),
        )
        .where(
            holding.organisation_id == organisation_id,
            holding.competence_id.in_(list(competence_ids)),
            _valid(clock),
            holding.person_id.not_in(
                select(excluded.person_id).where(excluded.organisation_id == organisation_id)
            ),
        )
        .group_by(holding.competence_id, slice_of, holding.level)
    )
    if buckets is not None:
        query = query.where(or_(*[_in_bucket(holding.person_id, b) for b in buckets]))
    cells: Cells = {
        (competence_id, bucket): ([0] * LEVELS, None)
        for competence_id in competence_ids
        for bucket in (range(BUCKETS) if buckets is None else buckets)
    }
    for competence_id, raw, level, number, lapse in session.execute(query):
        bucket = int(raw, 16) if isinstance(raw, str) else int(raw)
        levels, first = cells[(competence_id, bucket)]
        if 0 <= level < LEVELS:
            levels[level] += int(number)
        if lapse is not None and (first is None or lapse < first):
            first = lapse
        cells[(competence_id, bucket)] = (levels, first)
    return cells
