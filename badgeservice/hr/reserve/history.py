"""Who held a competence at given instants: counted in Python from the rows of a small
population (a team, the people whose activity changed), or in the database with one pass
per (competence, level) for the whole organisation. One definition (:mod:`.targets`), two
implementations that a test keeps in agreement."""

from __future__ import annotations

import bisect
import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from ...people.models import Person
from ..models import Recognition, RecognitionStatus, ReserveTrendExcluded

__all__ = ["Pair", "compute", "live_trends"]

Pair = tuple[uuid.UUID, int]  # (competence, level): "held at level or above"


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
        or_(rec.status == RecognitionStatus.ACTIVE, rec.ended_at.is_not(None)),
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


def compute(
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
            or_(rec.status == RecognitionStatus.ACTIVE, rec.ended_at.is_not(None)),
            or_(rec.ended_at.is_(None), rec.ended_at > at[0]),
        )
        .group_by(rec.person_id)
        .subquery()
    )
    return select(*[func.coalesce(func.sum(column), 0) for column in per_person.c])
