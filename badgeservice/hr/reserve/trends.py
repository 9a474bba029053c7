"""Reserve trends: how many people of a population held a competence at a level or above at
each of a list of month ends (the definition is in :mod:`.reserve`).

A completed month's point changes only when history is rewritten: a recognition recorded
with a ``valid_from`` before the month's end (a backdated credential) or one ended before
it. Issuing today, revoking today (``ended_at`` = now) and expiring (``ended_at`` =
``valid_until``, which already bounded the recognition) leave every past point as it was.
So the points of the organisation are stored in ``reserve_trend_points`` once computed.
They leave out the people inactive when the store was started (``reserve_trend_excluded``);
a reader corrects for the people deactivated or reactivated since from those people's own
recognitions (:func:`activity` finds them in one pass over the people), and after
:data:`REBUILD_AFTER` such people the store starts afresh. A team's points (a small
population) are always computed live, in one query for all of the team's targets.

Keeping stored points right: every recognition change publishes a competence event. The
organisation's :class:`~.models.ReserveTrendState` holds a horizon: every event before it
has been checked. A reader looks at the events from the horizon on (few: one index range)
and treats one as rewriting history when it is a recognition (``recognised`` /
``updated``: every such event is a new recognition) whose ``valid_from`` is not after the
start of the current month, or a revocation whose ``ended_at`` is not; the competence's
points from that instant on are then recomputed. On PostgreSQL the horizon is a
transaction id (``pg_snapshot_xmin`` taken before the check, as the pull feed does), so an
event of a transaction still running during the check is looked at again later; SQLite
has one writer at a time, so the event ``seq`` is commit order and is the horizon.

Writing (missing points, rewritten history, moving the horizon on) is the worker's job
(``maintain=True``, :func:`~.targets.maintain_reserve`), under a lock on the
organisation's state row, so two maintainers never store a point computed before a change
the other has already checked. A read (a GET) never writes and takes no lock: it uses the
stored points that are still right and computes the rest — points missing, points a change
of history made stale — without storing them; with no store started yet it computes
everything from today's active people.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from ...db import utcnow
from ..models import (
    CompetenceEvent,
    Recognition,
    ReserveTrendPoint,
    ReserveTrendState,
)
from ..recognitions.horizon import Horizon
from .history import Pair, compute, live_trends
from .stores import (
    ADVANCE_AFTER,
    Activity,
    activity,
    ensure_state,
    insert_rows,
    lock_state,
    started,
)

__all__ = ["organisation_trends"]

# Recompute every stored point once this many people were deactivated or reactivated since
# (each reader corrects for them from their own recognitions until then).
REBUILD_AFTER = 100

_RECOGNITION_EVENTS = ("competence.recognised", "competence.updated")
_REVOCATION_EVENT = "competence.revoked"


# -- the organisation's stored points ------------------------------------------------------


def organisation_trends(
    session: Session,
    organisation_id: uuid.UUID,
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    people: Activity | None = None,
    *,
    maintain: bool = False,
) -> dict[Pair, list[int]]:
    """For each pair, the organisation's active people holding it at each of ``ends``
    (ascending month ends): the stored points, corrected for the people deactivated or
    reactivated since they were computed. Only ``maintain`` (the worker) writes."""
    if not pairs or not ends:
        return {pair: [0] * len(ends) for pair in pairs}
    if maintain:
        ensure_state(session, organisation_id)
    elif not started(session, organisation_id):
        return compute(session, organisation_id, pairs, ends)
    if people is None:
        people = activity(session, organisation_id)
    rebuild = len(people.left) + len(people.back) > REBUILD_AFTER
    if rebuild and not maintain:
        return compute(session, organisation_id, pairs, ends)
    stored = _stored(session, organisation_id, pairs, ends, rebuild=rebuild, maintain=maintain)
    if rebuild:
        people = activity(session, organisation_id)
    left, back = people.left, people.back
    result = {pair: list(points) for pair, points in stored.items()}
    for changed, sign in ((left, -1), (back, 1)):
        if changed:
            found = live_trends(
                session, organisation_id, pairs, ends, Recognition.person_id.in_(changed)
            )
            for pair in pairs:
                result[pair] = [
                    a + sign * b for a, b in zip(result[pair], found[pair], strict=True)
                ]
    return result


def _stored(
    session: Session,
    organisation_id: uuid.UUID,
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    *,
    rebuild: bool,
    maintain: bool,
) -> dict[Pair, list[int]]:
    """The stored points; the missing ones, and any a change of history made stale,
    computed (and, when ``maintain``, stored when the month has really ended)."""
    clock = utcnow()
    # the horizon before the points: points stored meanwhile are only newer than it
    state = session.execute(
        select(ReserveTrendState.horizon_txid, ReserveTrendState.horizon_seq).where(
            ReserveTrendState.organisation_id == organisation_id
        )
    ).one_or_none()
    stored = _read_points(session, organisation_id, pairs, ends)
    dirty, checked = (
        ({}, 0) if state is None else _rewritten(session, organisation_id, state, clock)
    )
    if not maintain:
        stored = _current(session, organisation_id, pairs, ends, clock, stored, dirty)
    elif (
        rebuild
        or state is None
        or dirty
        or checked >= ADVANCE_AFTER
        or _missing(pairs, ends, stored, clock)
    ):
        stored = _maintain(session, organisation_id, pairs, ends, clock, rebuild=rebuild)
    result: dict[Pair, list[int]] = {}
    for pair in pairs:
        result[pair] = [stored.get((pair, end), 0) for end in ends if end <= clock]
    live = [end for end in ends if end > clock]
    if live:
        # month ends still to come (a ``now`` in the future): computed, never stored
        future = compute(session, organisation_id, pairs, live)
        for pair in pairs:
            result[pair] += future[pair]
    return result


def _current(
    session: Session,
    organisation_id: uuid.UUID,
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    clock: datetime,
    stored: dict[tuple[Pair, datetime], int],
    dirty: dict[uuid.UUID, datetime],
) -> dict[tuple[Pair, datetime], int]:
    """What :func:`_maintain` would store, computed and not stored: the stored points a
    change of history left right, the others counted now (as the stored ones are: of the
    people not left out)."""
    kept = {
        (pair, end): reached
        for (pair, end), reached in stored.items()
        if pair[0] not in dirty or end < dirty[pair[0]]
    }
    past = [end for end in ends if end <= clock]
    for pair in dict.fromkeys(pairs):
        wanted = [end for end in past if (pair, end) not in kept]
        if wanted:
            counted = compute(session, organisation_id, [pair], wanted, stored=True)[pair]
            kept.update(
                {(pair, end): reached for end, reached in zip(wanted, counted, strict=True)}
            )
    return kept


def _missing(
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    stored: dict[tuple[Pair, datetime], int],
    clock: datetime,
) -> bool:
    return any((pair, end) not in stored for pair in pairs for end in ends if end <= clock)


def _read_points(
    session: Session, organisation_id: uuid.UUID, pairs: Sequence[Pair], ends: Sequence[datetime]
) -> dict[tuple[Pair, datetime], int]:
    point = ReserveTrendPoint
    rows = session.execute(
        select(point.competence_id, point.level, point.month_end, point.reached).where(
            point.organisation_id == organisation_id,
            tuple_(point.competence_id, point.level).in_(list(set(pairs))),
            point.month_end >= ends[0],
            point.month_end <= ends[-1],
        )
    )
    return {((c, level), end): reached for c, level, end, reached in rows}


def _rewritten(
    session: Session, organisation_id: uuid.UUID, state: Any, clock: datetime
) -> tuple[dict[uuid.UUID, datetime], int]:
    """Competences whose history changed since the horizon, each with the instant from
    which its points are stale; and how many events past the horizon were looked at."""
    event, rec = CompetenceEvent, Recognition
    horizon = Horizon(*state)
    month = datetime(clock.year, clock.month, 1, tzinfo=UTC)
    if not horizon.started:
        return {}, 0  # nothing stored yet: the points are written with a horizon
    stale_from = func.min(
        case(
            (
                and_(event.type.in_(_RECOGNITION_EVENTS), rec.valid_from <= month),
                rec.valid_from,
            ),
            (and_(event.type == _REVOCATION_EVENT, rec.ended_at <= month), rec.ended_at),
        )
    )
    rows = session.execute(
        select(rec.competence_id, stale_from, func.count())
        .select_from(event)
        .join(rec, rec.id == event.recognition_id)
        .where(event.organisation_id == organisation_id, horizon.unseen())
        .group_by(rec.competence_id)
    ).all()
    dirty = {competence_id: since for competence_id, since, _ in rows if since is not None}
    return dirty, sum(int(count) for *_, count in rows)


def _maintain(
    session: Session,
    organisation_id: uuid.UUID,
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    clock: datetime,
    *,
    rebuild: bool,
) -> dict[tuple[Pair, datetime], int]:
    """Under the organisation's lock: drop points history changed (all of them, and take
    today's inactive people as the ones left out, on a rebuild), compute and store the
    missing ones, move the horizon on. The points of ``pairs`` at ``ends``."""
    current, horizon, rebuilt = lock_state(session, organisation_id, clock, rebuild=rebuild)
    state = ReserveTrendState
    point = ReserveTrendPoint
    if not rebuilt:
        checked = (current["horizon_txid"], current["horizon_seq"])
        dirty, _ = _rewritten(session, organisation_id, checked, clock)
        for competence_id, since in dirty.items():
            session.execute(
                delete(point).where(
                    point.organisation_id == organisation_id,
                    point.competence_id == competence_id,
                    point.month_end >= since,
                )
            )
    stored = _read_points(session, organisation_id, pairs, ends)
    past = [end for end in ends if end <= clock]
    for pair in dict.fromkeys(pairs):
        wanted = [end for end in past if (pair, end) not in stored]
        if not wanted:
            continue
        computed = compute(session, organisation_id, [pair], wanted, stored=True)[pair]
        rows = [
            {
                "organisation_id": organisation_id,
                "competence_id": pair[0],
                "level": pair[1],
                "month_end": end,
                "reached": reached,
                "computed_at": clock,
            }
            for end, reached in zip(wanted, computed, strict=True)
        ]
        insert_rows(session, point, rows, update=("reached", "computed_at"))
        stored.update({(pair, end): reached for end, reached in zip(wanted, computed, strict=True)})
    session.execute(
        update(state)
        .where(state.organisation_id == organisation_id)
        .values(horizon_txid=horizon.txid, horizon_seq=horizon.seq, updated_at=clock)
    )
    return stored
