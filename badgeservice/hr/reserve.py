"""The competence reserve: who holds which competence at which level, against the targets
of the organisation's paths, and who exactly holds a competence at a level.

Definitions (the API documentation repeats them):

- **Population**: the active people of the organisation, or the active members (any role)
  of one team. In the organisation view a target that names a team is measured on that
  team's active members.
- **Holder**: a person with a :class:`~.models.CompetenceHolding` (their best *active*
  recognised level) whose validity has not passed (``valid_until`` empty or later than
  now). Revoked and expired recognitions never make a holder.
- **Reached**: holders at or above the target level; ``share`` = reached / population;
  ``gap`` = people still needed = ceil(target share * population) - reached, never below 0.
- **Trend**: for each of the last ``months`` completed calendar months (UTC), the number
  and share of the *current* population who held the competence at or above the target
  level at the month's end (the first instant of the next month): a recognition counts at
  instant *t* when ``valid_from ≤ t``, it had not ended (``ended_at`` empty or after *t*)
  and its validity had not passed (``valid_until`` empty or after *t*). Membership history
  is not kept, so past points use today's population: the line shows how today's staff
  built the competence up.

Every function is scoped to one organisation and only reads; each runs a fixed number of
queries whatever the size of the organisation.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..db import utcnow
from ..errors import NotFound
from ..frameworks.models import Competence, Framework
from ..paths.models import Path, PathTarget
from ..people.models import Person, Team, TeamMember
from .models import CompetenceEvent, CompetenceHolding, Recognition

__all__ = [
    "MAX_LEVEL",
    "MAX_MONTHS",
    "Holder",
    "HolderTeam",
    "Reserve",
    "ReserveCache",
    "TargetReserve",
    "TrendPoint",
    "day_end",
    "holders",
    "iter_holders",
    "month_ends",
    "reserve",
    "resolve_competence",
    "resolve_team",
]

MAX_LEVEL = 8  # DigComp 2.2 proficiency levels 1..8
MAX_MONTHS = 36
MAX_CACHED = 4096  # trends kept per process; the cache is emptied when full

# Computed reserve parts, keyed by what they depend on (see :func:`reserve`).
ReserveCache = MutableMapping[tuple[Any, ...], Any]


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2026-10"
    at: datetime  # the month's end: the first instant of the next month, UTC
    reached: int
    share: float


@dataclass
class TargetReserve:
    """One target with the population's holders by level and the trend."""

    target: PathTarget
    path: Path
    competence: Competence
    population: int
    by_level: list[int]  # holders at level 1..MAX_LEVEL (index 0 = level 1)
    reached: int
    share: float
    gap: int
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def holder_count(self) -> int:
        return sum(self.by_level)

    @property
    def met(self) -> bool:
        return self.gap == 0


@dataclass
class Reserve:
    """The reserve of the organisation (``team`` None) or of one team."""

    team: Team | None
    population: int
    at: datetime
    targets: list[TargetReserve]


@dataclass(frozen=True)
class HolderTeam:
    id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True)
class Holder:
    """A person holding the competence, with their best active level."""

    id: uuid.UUID
    employee_number: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    level: int
    since: datetime
    valid_until: datetime | None
    teams: list[HolderTeam]

    @property
    def display_name(self) -> str:
        names = " ".join(n for n in (self.given_name, self.family_name) if n)
        return names or self.email or self.employee_number or str(self.id)


# -- lookups ---------------------------------------------------------------------------


def resolve_team(session: Session, organisation_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    """The organisation's team ``team_id``; another organisation's is not found."""
    team = session.get(Team, team_id)
    if team is None or team.organisation_id != organisation_id:
        raise NotFound(f"no team {team_id}")
    return team


def resolve_competence(
    session: Session, organisation_id: uuid.UUID, competence_id: uuid.UUID
) -> Competence:
    """A competence of one of the organisation's frameworks."""
    competence = session.scalar(
        select(Competence)
        .join(Framework, Framework.id == Competence.framework_id)
        .where(Competence.id == competence_id, Framework.organisation_id == organisation_id)
        .options(joinedload(Competence.framework))
    )
    if competence is None:
        raise NotFound(f"no competence {competence_id}")
    return competence


@dataclass(frozen=True)
class _Population:
    """The organisation's active people (``members`` None) or a team's active members."""

    organisation_id: uuid.UUID
    size: int
    members: list[uuid.UUID] | None
    # Changes whenever the population may have: cached trends are keyed by it.
    fingerprint: tuple[Any, ...] = ()

    def has(self, person_id: Any) -> ColumnElement[bool]:
        """``person_id`` is in the population. A team's member ids are given as a list, so
        the planner reads their rows by person; the organisation's as "not one of the
        inactive people" (a small set) instead of a join with every person."""
        if self.members is not None:
            return person_id.in_(self.members)  # type: ignore[no-any-return]
        inactive = select(Person.id).where(
            Person.organisation_id == self.organisation_id, Person.active.is_(False)
        )
        return person_id.not_in(inactive)  # type: ignore[no-any-return]


def _population(
    session: Session, organisation_id: uuid.UUID, team_id: uuid.UUID | None
) -> _Population:
    if team_id is None:
        # one pass: the size, and the newest change to anyone (a deactivation included)
        size, changed = session.execute(
            select(func.count().filter(Person.active), func.max(Person.updated_at)).where(
                Person.organisation_id == organisation_id
            )
        ).one()
        return _Population(organisation_id, int(size or 0), None, (size, changed))
    members = sorted(
        session.scalars(
            select(TeamMember.person_id)
            .join(Person, Person.id == TeamMember.person_id)
            .where(TeamMember.team_id == team_id, Person.active)
            .distinct()
        ),
        key=str,
    )
    return _Population(organisation_id, len(members), members, (team_id, hash(tuple(members))))


def _valid_holding(at: datetime) -> ColumnElement[bool]:
    return or_(CompetenceHolding.valid_until.is_(None), CompetenceHolding.valid_until > at)


def day_end(day: date) -> datetime:
    """The last instant of ``day`` (UTC): a holding valid then is valid the whole day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1, microseconds=-1)


# -- the reserve -----------------------------------------------------------------------


def month_ends(now: datetime, months: int) -> list[tuple[str, datetime]]:
    """The ends of the last ``months`` completed calendar months before ``now``, oldest
    first, each as (``YYYY-MM``, the first instant of the next month in UTC)."""
    now = now.astimezone(UTC)
    year, month = now.year, now.month
    points: list[tuple[str, datetime]] = []
    for _ in range(months):
        end = datetime(year, month, 1, tzinfo=UTC)
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        points.append((f"{year:04d}-{month:02d}", end))
    return points[::-1]


def reserve(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    team_id: uuid.UUID | None = None,
    months: int = 12,
    now: datetime | None = None,
    cache: ReserveCache | None = None,
) -> Reserve:
    """The reserve of the organisation's targets, or with ``team_id`` of one team's.

    The organisation view lists the targets of the organisation paths; a target that names
    a team is measured on that team. The team view lists the organisation paths' targets
    for everyone or for this team and the targets of the team's own paths, all measured on
    the team's members.

    ``cache`` keeps holder counts and trends between calls. They change only when a
    recognition changes (every change publishes a competence event: the newest event
    number is part of the key) or the population does (so is its fingerprint); counts also
    when a counted holding's validity passes (an entry is used only until the earliest
    ``valid_until`` among the holdings it counted).
    """
    now = now or utcnow()
    team = resolve_team(session, organisation_id, team_id) if team_id is not None else None
    rows = session.execute(
        select(PathTarget, Path, Competence)
        .join(Path, Path.id == PathTarget.path_id)
        .join(Competence, Competence.id == PathTarget.competence_id)
        .where(Path.organisation_id == organisation_id, *_target_filter(team_id))
        .order_by(Path.kind, Path.slug, PathTarget.position)
    ).all()
    points = month_ends(now, months)
    version = None if cache is None else _latest_event(session, organisation_id)
    populations: dict[uuid.UUID | None, _Population] = {}
    counts: dict[uuid.UUID | None, dict[tuple[uuid.UUID, int], int]] = {}
    targets: list[TargetReserve] = []
    for target, path, competence in rows:
        scope = team_id if team_id is not None else target.team_id
        if scope not in populations:
            populations[scope] = _population(session, organisation_id, scope)
            wanted = {t.competence_id for t, *_ in rows if (team_id or t.team_id) == scope}
            counts[scope] = _cached_counts(session, populations[scope], wanted, now, cache, version)
        population = populations[scope].size
        by_level = [counts[scope].get((competence.id, level), 0) for level in _levels()]
        reached = sum(by_level[max(target.level, 1) - 1 :])
        needed = math.ceil(target.share * population - 1e-9)
        item = TargetReserve(
            target=target,
            path=path,
            competence=competence,
            population=population,
            by_level=by_level,
            reached=reached,
            share=reached / population if population else 0.0,
            gap=max(0, needed - reached),
        )
        if points:
            item.trend = _cached_trend(session, populations[scope], item, points, cache, version)
        targets.append(item)
    if team_id not in populations:
        populations[team_id] = _population(session, organisation_id, team_id)
    return Reserve(team=team, population=populations[team_id].size, at=now, targets=targets)


def _levels() -> range:
    return range(1, MAX_LEVEL + 1)


def _target_filter(team_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    if team_id is None:
        return [Path.kind == "organisation"]
    for_team = or_(PathTarget.team_id.is_(None), PathTarget.team_id == team_id)
    return [
        or_(
            and_(Path.kind == "organisation", for_team),
            and_(Path.kind == "team", Path.team_id == team_id, for_team),
        )
    ]


def _latest_event(session: Session, organisation_id: uuid.UUID) -> int | None:
    return session.scalar(
        select(func.max(CompetenceEvent.seq)).where(
            CompetenceEvent.organisation_id == organisation_id
        )
    )


def _cached_counts(
    session: Session,
    population: _Population,
    competence_ids: set[uuid.UUID],
    now: datetime,
    cache: ReserveCache | None,
    version: int | None,
) -> dict[tuple[uuid.UUID, int], int]:
    if cache is None:
        return _holders_by_level(session, population, competence_ids, now)[0]
    key: tuple[Any, ...] = ("counts", population.organisation_id, population.fingerprint)
    key += (version, frozenset(competence_ids))
    hit = cache.get(key)
    if hit is not None and (hit[1] is None or now < hit[1]):
        return dict(hit[0])
    counts, lapses = _holders_by_level(session, population, competence_ids, now)
    _store(cache, key, (counts, lapses))
    return counts


def _store(cache: ReserveCache, key: tuple[Any, ...], value: Any) -> None:
    if len(cache) >= MAX_CACHED:
        cache.clear()
    cache[key] = value


def _holders_by_level(
    session: Session, population: _Population, competence_ids: set[uuid.UUID], now: datetime
) -> tuple[dict[tuple[uuid.UUID, int], int], datetime | None]:
    """(competence, level) → number of holders in the population, from the holdings; and
    the first moment one of the counted holdings lapses."""
    holding = CompetenceHolding
    query = (
        select(
            holding.competence_id,
            holding.level,
            func.count(),
            func.min(holding.valid_until),
        )
        .where(
            holding.organisation_id == population.organisation_id,
            holding.competence_id.in_(competence_ids),
            _valid_holding(now),
            population.has(holding.person_id),
        )
        .group_by(holding.competence_id, holding.level)
    )
    counts: dict[tuple[uuid.UUID, int], int] = {}
    lapses: list[datetime] = []
    for competence_id, level, count, lapse in session.execute(query):
        counts[(competence_id, level)] = int(count)
        if lapse is not None:
            lapses.append(lapse)
    return counts, min(lapses, default=None)


def _cached_trend(
    session: Session,
    population: _Population,
    item: TargetReserve,
    points: Sequence[tuple[str, datetime]],
    cache: ReserveCache | None,
    version: int | None,
) -> list[TrendPoint]:
    if cache is None:
        return _trend(session, population, item, points)
    key = (
        "trend",
        population.organisation_id,
        population.fingerprint,
        version,
        item.competence.id,
        item.target.level,
        tuple(at for _, at in points),
    )
    reached = cache.get(key)
    if reached is None:
        reached = [point.reached for point in _trend(session, population, item, points)]
        _store(cache, key, reached)
    return [
        TrendPoint(month, at, count, count / population.size if population.size else 0.0)
        for (month, at), count in zip(points, reached, strict=True)
    ]


@functools.lru_cache(maxsize=2 * (MAX_MONTHS + 1))
def _trend_statement(points: int, team: bool) -> Select[*tuple[Any, ...]]:
    """The trend query for ``points`` month ends, built once (building its expressions
    cost more than running it for a team): values are bound at execution."""
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
    if team:
        population = rec.person_id.in_(bindparam("members", expanding=True))
    else:
        population = rec.person_id.not_in(
            select(Person.id).where(
                Person.organisation_id == organisation, Person.active.is_(False)
            )
        )
    per_person = (
        select(*flags)
        .where(
            rec.organisation_id == organisation,
            rec.competence_id == bindparam("competence", type_=rec.competence_id.type),
            rec.level >= bindparam("level", type_=rec.level.type),
            rec.valid_from <= at[-1],
            # a recognition that stopped counting without a recorded end never counts
            or_(rec.status == "active", rec.ended_at.is_not(None)),
            or_(rec.ended_at.is_(None), rec.ended_at > at[0]),
            population,
        )
        .group_by(rec.person_id)
        .subquery()
    )
    return select(*[func.coalesce(func.sum(column), 0) for column in per_person.c])


def _trend(
    session: Session,
    population: _Population,
    item: TargetReserve,
    points: Sequence[tuple[str, datetime]],
) -> list[TrendPoint]:
    """Holders at or above the target level at each month end, from the recognitions.

    One pass: per person, whether any of their recognitions covered each point (a
    ``max`` per point), then the sum over people."""
    params: dict[str, Any] = {
        "organisation": population.organisation_id,
        "competence": item.competence.id,
        "level": item.target.level,
    }
    params.update({f"at{index}": at for index, (_, at) in enumerate(points)})
    if population.members is not None:
        params["members"] = population.members
    statement = _trend_statement(len(points), population.members is not None)
    sums = session.execute(statement, params).one()
    return [
        TrendPoint(
            month=month,
            at=at,
            reached=int(reached),
            share=int(reached) / item.population if item.population else 0.0,
        )
        for (month, at), reached in zip(points, sums, strict=True)
    ]


# -- who holds a competence -------------------------------------------------------------


def _holders_query(
    organisation_id: uuid.UUID,
    competence_id: uuid.UUID,
    *,
    min_level: int,
    members: list[uuid.UUID] | None,
    valid_at: datetime,
) -> Select[*tuple[Any, ...]]:
    holding = CompetenceHolding
    query = (
        select(
            Person.id,
            Person.employee_number,
            Person.given_name,
            Person.family_name,
            Person.email,
            holding.level,
            holding.since,
            holding.valid_until,
        )
        .join(holding, holding.person_id == Person.id)
        .where(
            holding.organisation_id == organisation_id,
            holding.competence_id == competence_id,
            holding.level >= min_level,
            _valid_holding(valid_at),
            Person.active,
        )
        .order_by(
            holding.level.desc(),
            Person.family_name.asc().nulls_last(),
            Person.given_name.asc().nulls_last(),
            Person.id,
        )
    )
    if members is not None:
        query = query.where(holding.person_id.in_(members))
    return query


def _members(session: Session, team_id: uuid.UUID | None) -> list[uuid.UUID] | None:
    """A team's member ids, as a list: the holders of one team are read by person."""
    if team_id is None:
        return None
    query = select(TeamMember.person_id).where(TeamMember.team_id == team_id).distinct()
    return list(session.scalars(query))


def _teams_of(
    session: Session, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[HolderTeam]]:
    """Each person's teams, in one query for the whole page."""
    teams: dict[uuid.UUID, list[HolderTeam]] = {person_id: [] for person_id in person_ids}
    if not person_ids:
        return teams
    rows = session.execute(
        select(TeamMember.person_id, Team.id, Team.slug, Team.name)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.person_id.in_(person_ids))
        .distinct()
        .order_by(TeamMember.person_id, Team.slug)
    )
    for person_id, team_id, slug, name in rows:
        teams[person_id].append(HolderTeam(team_id, slug, name))
    return teams


def _holder(row: Row[Any], teams: dict[uuid.UUID, list[HolderTeam]]) -> Holder:
    return Holder(
        id=row.id,
        employee_number=row.employee_number,
        given_name=row.given_name,
        family_name=row.family_name,
        email=row.email,
        level=row.level,
        since=row.since,
        valid_until=row.valid_until,
        teams=teams[row.id],
    )


def holders(
    session: Session,
    organisation_id: uuid.UUID,
    competence_id: uuid.UUID,
    *,
    min_level: int = 0,
    team_id: uuid.UUID | None = None,
    valid_at: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Holder]:
    """One page of the active people who hold the competence at ``min_level`` or above,
    still valid at ``valid_at`` (default now), highest level first, then by name."""
    query = _holders_query(
        organisation_id,
        competence_id,
        min_level=min_level,
        members=_members(session, team_id),
        valid_at=valid_at or utcnow(),
    )
    rows = session.execute(query.limit(limit).offset(offset)).all()
    teams = _teams_of(session, [row.id for row in rows])
    return [_holder(row, teams) for row in rows]


def iter_holders(
    session: Session,
    organisation_id: uuid.UUID,
    competence_id: uuid.UUID,
    *,
    min_level: int = 0,
    team_id: uuid.UUID | None = None,
    valid_at: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
    chunk: int = 1000,
) -> Iterator[Holder]:
    """Every holder (as :func:`holders`), read in chunks from a server-side cursor so an
    export of a large organisation never sits in memory whole."""
    query = _holders_query(
        organisation_id,
        competence_id,
        min_level=min_level,
        members=_members(session, team_id),
        valid_at=valid_at or utcnow(),
    )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    result = session.execute(query.execution_options(yield_per=chunk))
    for rows in result.partitions():
        teams = _teams_of(session, [row.id for row in rows])
        for row in rows:
            yield _holder(row, teams)
