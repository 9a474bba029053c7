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

import bisect
import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...db import utcnow
from ...people.models import Person
from ..models import (
    CompetenceEvent,
    Recognition,
    ReserveHolderCount,
    ReserveTrendExcluded,
    ReserveTrendPoint,
    ReserveTrendState,
)
from ..recognitions.horizon import Horizon

__all__ = [
    "Activity",
    "Pair",
    "activity",
    "ensure_state",
    "insert_rows",
    "live_trends",
    "lock_state",
    "organisation_trends",
]

Pair = tuple[uuid.UUID, int]  # (competence, level): "held at level or above"

# Move the stored horizon on once this many events past it have been checked, so the
# check stays one short index range without a write on every read.
ADVANCE_AFTER = 200
# Recompute every stored point once this many people were deactivated or reactivated since
# (each reader corrects for them from their own recognitions until then).
REBUILD_AFTER = 100

_RECOGNITION_EVENTS = ("competence.recognised", "competence.updated")
_REVOCATION_EVENT = "competence.revoked"


def _mask(
    ends: Sequence[datetime],
    valid_from: datetime,
    valid_until: datetime | None,
    ended_at: datetime | None,
) -> int:
    """Bit i set when the recognition counted at ``ends[i]``: ``valid_from`` ≤ t, and
    neither ``ended_at`` nor ``valid_until`` at or before t."""
    first = bisect.bisect_left(ends, valid_from)
    stops = [moment for moment in (valid_until, ended_at) if moment is not None]
    after = bisect.bisect_left(ends, min(stops)) if stops else len(ends)
    if after <= first:
        return 0
    return ((1 << after) - 1) ^ ((1 << first) - 1)


def _counts(masks: Iterable[int], size: int) -> list[int]:
    counts = [0] * size
    for mask in masks:
        while mask:
            low = mask & -mask
            counts[low.bit_length() - 1] += 1
            mask ^= low
    return counts


def _counts_filter(ends: Sequence[datetime]) -> list[ColumnElement[bool]]:
    """Recognitions that may count at one of ``ends`` (the same rule as :func:`_mask`)."""
    rec = Recognition
    return [
        rec.valid_from <= ends[-1],
        # a recognition that stopped counting without a recorded end never counts
        or_(rec.status == "active", rec.ended_at.is_not(None)),
        or_(rec.ended_at.is_(None), rec.ended_at > ends[0]),
        or_(rec.valid_until.is_(None), rec.valid_until > ends[0]),
    ]


def live_trends(
    session: Session,
    organisation_id: uuid.UUID,
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    people: ColumnElement[bool] | None,
) -> dict[Pair, list[int]]:
    """For each pair, the people (``people``: a condition on ``Recognition.person_id``;
    None: everyone) holding it at each of ``ends`` (ascending), from their recognitions in
    one query, counted here. Meant for small populations: a team, the inactive people."""
    result: dict[Pair, list[int]] = {pair: [0] * len(ends) for pair in pairs}
    if not pairs or not ends:
        return result
    rec = Recognition
    levels: dict[uuid.UUID, list[int]] = defaultdict(list)
    for competence_id, level in pairs:
        levels[competence_id].append(level)
    query = select(
        rec.person_id, rec.competence_id, rec.level, rec.valid_from, rec.valid_until, rec.ended_at
    ).where(
        rec.organisation_id == organisation_id,
        rec.competence_id.in_(list(levels)),
        rec.level >= min(level for _, level in pairs),
        *_counts_filter(ends),
    )
    if people is not None:
        query = query.where(people)
    held: dict[Pair, dict[uuid.UUID, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, competence_id, held_level, valid_from, valid_until, ended_at in session.execute(
        query
    ):
        mask = _mask(ends, valid_from, valid_until, ended_at)
        if not mask or held_level is None:
            continue
        for wanted in levels[competence_id]:
            if held_level >= wanted:
                held[(competence_id, wanted)][person_id] |= mask
    for pair, masks in held.items():
        result[pair] = _counts(masks.values(), len(ends))
    return result


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
    elif not _started(session, organisation_id):
        return _compute(session, organisation_id, pairs, ends)
    if people is None:
        people = activity(session, organisation_id)
    rebuild = len(people.left) + len(people.back) > REBUILD_AFTER
    if rebuild and not maintain:
        return _compute(session, organisation_id, pairs, ends)
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
        future = _compute(session, organisation_id, pairs, live)
        for pair in pairs:
            result[pair] += future[pair]
    return result


def _started(session: Session, organisation_id: uuid.UUID) -> bool:
    """Whether the organisation's stores were started (its state row exists)."""
    state = ReserveTrendState
    found = session.scalar(
        select(state.organisation_id).where(state.organisation_id == organisation_id)
    )
    return found is not None


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
            counted = _compute(session, organisation_id, [pair], wanted, stored=True)[pair]
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
        computed = _compute(session, organisation_id, [pair], wanted, stored=True)[pair]
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


def _compute(
    session: Session,
    organisation_id: uuid.UUID,
    pairs: Sequence[Pair],
    ends: Sequence[datetime],
    *,
    stored: bool = False,
) -> dict[Pair, list[int]]:
    """Points in the database, one pass per pair over its recognitions: of the people not
    left out of the stored points (``stored``), or of today's active people."""
    result: dict[Pair, list[int]] = {}
    for competence_id, level in pairs:
        params: dict[str, Any] = {
            "organisation": organisation_id,
            "competence": competence_id,
            "level": level,
        }
        params.update({f"at{index}": at for index, at in enumerate(ends)})
        sums = session.execute(_statement(len(ends), stored), params).one()
        result[(competence_id, level)] = [int(value) for value in sums]
    return result


@functools.lru_cache(maxsize=128)
def _statement(points: int, stored: bool) -> Select[Any]:
    """Per person, whether any recognition counted at each point (a ``max`` per point),
    summed over people; built once per number of points, values bound at execution."""
    rec = Recognition
    at = [bindparam(f"at{index}", type_=rec.valid_from.type) for index in range(points)]
    flags = [
        func.max(
            case(
                (
                    and_(
                        rec.valid_from <= moment,
                        or_(rec.ended_at.is_(None), rec.ended_at > moment),
                        or_(rec.valid_until.is_(None), rec.valid_until > moment),
                    ),
                    1,
                ),
                else_=0,
            )
        ).label(f"p{index}")
        for index, moment in enumerate(at)
    ]
    organisation = bindparam("organisation", type_=rec.organisation_id.type)
    if stored:
        excluded = ReserveTrendExcluded
        left_out = select(excluded.person_id).where(excluded.organisation_id == organisation)
    else:
        left_out = select(Person.id).where(
            Person.organisation_id == organisation, Person.active.is_(False)
        )
    per_person = (
        select(*flags)
        .where(
            rec.organisation_id == organisation,
            rec.person_id.not_in(left_out),
            rec.competence_id == bindparam("competence", type_=rec.competence_id.type),
            rec.level >= bindparam("level", type_=rec.level.type),
            rec.valid_from <= at[-1],
            or_(rec.status == "active", rec.ended_at.is_not(None)),
            or_(rec.ended_at.is_(None), rec.ended_at > at[0]),
        )
        .group_by(rec.person_id)
        .subquery()
    )
    return select(*[func.coalesce(func.sum(column), 0) for column in per_person.c])
