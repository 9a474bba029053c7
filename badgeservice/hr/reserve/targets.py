"""The competence reserve: who holds which competence at which level, against the targets
of the organisation's paths.

Definitions (the API documentation repeats them):

- **Population**: the active people of the organisation, or the active members (any role)
  of one team. In the organisation view a target that names a team is measured on that
  team's active members.
- **Holder**: a person with a :class:`~.models.CompetenceHolding` (their best *active*
  recognised level) whose validity has not passed (``valid_until`` empty or later than
  now). Revoked and expired recognitions never make a holder (who they are: :mod:`.holders`).
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
organisation view reads its completed trend points and its holder counts from tables the
worker keeps up to date from the competence events (:func:`maintain_reserve`,
:mod:`.trends`, :mod:`.holder_counts`), so a read costs what changed since its last round;
a team view is computed from the team members' rows.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ...db import utcnow
from ...frameworks.models import Competence
from ...paths.models import Path, PathTarget
from ...people.models import Person, Team, TeamMember
from ...people.services import get_team
from ..models import CompetenceHolding, Recognition
from .history import Pair, live_trends
from .holder_counts import organisation_counts
from .holders import valid_holding
from .stores import activity, ensure_state
from .trends import organisation_trends

__all__ = [
    "MAX_LEVEL",
    "MAX_MONTHS",
    "Reserve",
    "TargetReserve",
    "TrendPoint",
    "maintain_reserve",
    "month_ends",
    "reserve",
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


# -- lookups ---------------------------------------------------------------------------


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
    recognitions (:func:`~.history.live_trends`).
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
    populations, counts, trends = _numbers(session, organisation_id, scopes, ends, now)
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


_Numbers = tuple[
    dict[uuid.UUID | None, "_Population"],
    dict[uuid.UUID | None, dict[tuple[uuid.UUID, int], int]],
    dict[uuid.UUID | None, dict[Pair, list[int]]],
]


def _numbers(
    session: Session,
    organisation_id: uuid.UUID,
    scopes: dict[uuid.UUID | None, list[Pair]],
    ends: list[datetime],
    now: datetime,
) -> _Numbers:
    """Per population (None: the organisation; else a team): its size, its holders by
    (competence, level), and the trends of its pairs."""
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
    return populations, counts, trends


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
            valid_holding(now),
            population.has(holding.person_id),
        )
        .group_by(holding.competence_id, holding.level)
    )
    return {(c, level): int(count) for c, level, count in session.execute(query)}


# -- who holds a competence -------------------------------------------------------------
