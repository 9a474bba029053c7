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

Every function is scoped to one organisation and runs a bounded number of queries whatever
the size of the organisation. Nothing is cached in the process: a change shows at once. The
organisation view reads its completed trend points and its holder counts from tables it
keeps up to date itself from the competence events (:mod:`.trends`,
:mod:`.holder_counts`), so a read costs what changed since the last one; a team view is
computed from the team members' rows.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ...db import utcnow
from ...errors import BadRequest, NotFound
from ...frameworks.models import Competence, Framework
from ...paths.models import Path, PathTarget
from ...people.models import Person, Team, TeamMember
from ...people.services import get_team
from ..models import CompetenceHolding, Recognition
from .holder_counts import organisation_counts
from .trends import Pair, activity, ensure_state, live_trends, organisation_trends

__all__ = [
    "MAX_LEVEL",
    "MAX_MONTHS",
    "Holder",
    "HolderTeam",
    "Reserve",
    "TargetReserve",
    "TrendPoint",
    "day_end",
    "holders",
    "iter_holders",
    "maintain_reserve",
    "month_ends",
    "reserve",
    "resolve_competence",
]

MAX_LEVEL = 8  # DigComp 2.2 proficiency levels 1..8
MAX_MONTHS = 36


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


def resolve_competence(
    session: Session, organisation_id: uuid.UUID, competence_id: uuid.UUID | str
) -> Competence:
    """A competence of one of the organisation's frameworks, by id or as
    ``framework-slug:code`` (e.g. ``digcomp22:4.2``)."""
    query = (
        select(Competence)
        .join(Framework, Framework.id == Competence.framework_id)
        .where(Framework.organisation_id == organisation_id)
        .options(joinedload(Competence.framework))
    )
    if isinstance(competence_id, str):
        framework, colon, code = competence_id.partition(":")
        if not (framework and colon and code):
            raise BadRequest(
                f"competence: {competence_id!r} is neither an id nor framework-slug:code"
            )
        competence = session.scalar(
            query.where(Framework.slug == framework, Competence.code == code)
        )
        if competence is None:
            raise NotFound(f"no competence {competence_id!r} (give an id or framework-slug:code)")
        return competence
    competence = session.scalar(query.where(Competence.id == competence_id))
    if competence is None:
        raise NotFound(f"no competence {competence_id}")
    return competence


@dataclass(frozen=True)
class _Population:
    """The organisation's active people (``members`` None) or a team's active members."""

    organisation_id: uuid.UUID
    size: int
    members: list[uuid.UUID] | None

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
        size = session.scalar(
            select(func.count()).where(Person.organisation_id == organisation_id, Person.active)
        )
        return _Population(organisation_id, int(size or 0), None)
    members = sorted(
        session.scalars(
            select(TeamMember.person_id)
            .join(Person, Person.id == TeamMember.person_id)
            .where(TeamMember.team_id == team_id, Person.active)
            .distinct()
        ),
        key=str,
    )
    return _Population(organisation_id, len(members), members)


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
) -> Reserve:
    """The reserve of the organisation's targets, or with ``team_id`` of one team's.

    The organisation view lists the targets of the organisation paths; a target that names
    a team is measured on that team. The team view lists the organisation paths' targets
    for everyone or for this team and the targets of the team's own paths, all measured on
    the team's members.

    Per population, one grouped query counts the holders by level for all its targets and
    the trends of all its targets come together: the organisation's from the stored
    points (:func:`~.trends.organisation_trends`), a team's from its members'
    recognitions (:func:`~.trends.live_trends`).
    """
    now = now or utcnow()
    team = get_team(session, organisation_id, team_id) if team_id is not None else None
    rows = session.execute(
        select(PathTarget, Path, Competence)
        .join(Path, Path.id == PathTarget.path_id)
        .join(Competence, Competence.id == PathTarget.competence_id)
        .where(Path.organisation_id == organisation_id, *_target_filter(team_id))
        .order_by(Path.kind, Path.slug, PathTarget.position)
    ).all()
    points = month_ends(now, months)
    ends = [at for _, at in points]
    scopes: dict[uuid.UUID | None, list[Pair]] = {}
    for target, _, competence in rows:
        scope = team_id if team_id is not None else target.team_id
        scopes.setdefault(scope, []).append((competence.id, target.level))
    if team_id not in scopes:
        scopes[team_id] = []
    populations: dict[uuid.UUID | None, _Population] = {}
    counts: dict[uuid.UUID | None, dict[tuple[uuid.UUID, int], int]] = {}
    trends: dict[uuid.UUID | None, dict[Pair, list[int]]] = {}
    for scope, pairs in scopes.items():
        if scope is None:
            # one pass over the people: how many are active, who changed since the
            # stored counts and points were made (a read: the worker keeps the stores)
            people = activity(session, organisation_id)
            population = _Population(organisation_id, people.active, None)
        else:
            population = _population(session, organisation_id, scope)
        populations[scope] = population
        if not pairs:
            continue
        wanted = sorted({competence_id for competence_id, _ in pairs}, key=str)
        if population.members is None:
            counts[scope] = organisation_counts(session, organisation_id, wanted, now, people)
            trends[scope] = organisation_trends(session, organisation_id, pairs, ends, people)
            continue
        counts[scope] = _holders_by_level(session, population, wanted, now)
        if population.members:
            members = Recognition.person_id.in_(population.members)
            trends[scope] = live_trends(session, organisation_id, pairs, ends, members)
        else:
            trends[scope] = {pair: [0] * len(ends) for pair in pairs}
    targets: list[TargetReserve] = []
    for target, path, competence in rows:
        scope = team_id if team_id is not None else target.team_id
        size = populations[scope].size
        by_level = [counts[scope].get((competence.id, level), 0) for level in _levels()]
        reached = sum(by_level[max(target.level, 1) - 1 :])
        needed = math.ceil(target.share * size - 1e-9)
        trend = trends[scope].get((competence.id, target.level), [])
        targets.append(
            TargetReserve(
                target=target,
                path=path,
                competence=competence,
                population=size,
                by_level=by_level,
                reached=reached,
                share=reached / size if size else 0.0,
                gap=max(0, needed - reached),
                trend=[
                    TrendPoint(month, at, count, count / size if size else 0.0)
                    for (month, at), count in zip(points, trend, strict=True)
                ],
            )
        )
    return Reserve(team=team, population=populations[team_id].size, at=now, targets=targets)


def maintain_reserve(
    session: Session, organisation_id: uuid.UUID, *, months: int = 12, now: datetime | None = None
) -> int:
    """The worker's upkeep of the organisation's stored holder counts and trend points
    (what reads use): the organisation-wide targets' competences counted again where
    competence events touched them, the completed months' points stored, the horizons
    moved on. Returns how many targets' competences it looked after."""
    now = now or utcnow()
    pairs = sorted(
        set(
            session.execute(
                select(PathTarget.competence_id, PathTarget.level)
                .join(Path, Path.id == PathTarget.path_id)
                .where(
                    Path.organisation_id == organisation_id,
                    PathTarget.team_id.is_(None),
                    *_target_filter(None),
                )
            ).all()
        ),
        key=lambda pair: (str(pair[0]), pair[1]),
    )
    if not pairs:
        return 0
    ensure_state(session, organisation_id)
    people = activity(session, organisation_id)
    wanted = sorted({competence_id for competence_id, _ in pairs}, key=str)
    organisation_counts(session, organisation_id, wanted, now, people, maintain=True)
    ends = [at for _, at in month_ends(now, months)]
    organisation_trends(session, organisation_id, pairs, ends, people, maintain=True)
    return len(pairs)


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


def _holders_by_level(
    session: Session, population: _Population, competence_ids: list[uuid.UUID], now: datetime
) -> dict[tuple[uuid.UUID, int], int]:
    """(competence, level) → number of holders in the population, from the holdings, in
    one grouped query over the covering index."""
    holding = CompetenceHolding
    query = (
        select(holding.competence_id, holding.level, func.count())
        .where(
            holding.organisation_id == population.organisation_id,
            holding.competence_id.in_(competence_ids),
            _valid_holding(now),
            population.has(holding.person_id),
        )
        .group_by(holding.competence_id, holding.level)
    )
    return {(c, level): int(count) for c, level, count in session.execute(query)}


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
