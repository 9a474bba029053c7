"""The competence reserve as a heat map: the organisation paths' targets (rows) against the
organisation's teams (columns), each cell the share of the team's active members who hold
the competence at or above the target level, compared with the target share.

A target for everyone has a cell in every team; a target that names a team has a cell in
that team only. The same definitions as :mod:`.targets` (a holder's holding is still
valid now; only active people count), in three queries whatever the number of teams and
people: the teams, their populations, and the holders grouped by team, competence and
level.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ...db import utcnow
from ...frameworks.models import Competence, Framework
from ...paths.models import Path, PathTarget
from ...people.models import Person, Team, TeamMember
from ..models import CompetenceHolding
from .holders import valid_holding

__all__ = ["HeatCell", "HeatMap", "HeatRow", "find_competences", "heat_map"]


@dataclass(frozen=True)
class HeatCell:
    """One team against one target."""

    team: Team
    population: int
    reached: int
    target_share: float

    @property
    def share(self) -> float:
        return self.reached / self.population if self.population else 0.0

    @property
    def met(self) -> bool:
        return self.population > 0 and self.share + 1e-9 >= self.target_share


@dataclass(frozen=True)
class HeatRow:
    target: PathTarget
    path: Path
    competence: Competence
    cells: list[HeatCell | None]  # None: the target is not this team's

    @property
    def reference(self) -> str:
        """``framework-slug:code``, as the holders' search takes it."""
        return f"{self.competence.framework.slug}:{self.competence.code}"


@dataclass(frozen=True)
class HeatMap:
    teams: list[Team]
    rows: list[HeatRow]
    at: datetime


def heat_map(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    team_ids: Collection[uuid.UUID] | None = None,
    competence_ids: Collection[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> HeatMap:
    """The organisation paths' targets against the teams (all, or ``team_ids``), optionally only
    the targets of ``competence_ids``."""
    now = now or utcnow()
    query = (
        select(PathTarget, Path, Competence)
        .join(Path, Path.id == PathTarget.path_id)
        .join(Competence, Competence.id == PathTarget.competence_id)
        .where(Path.organisation_id == organisation_id, Path.kind == "organisation")
        .order_by(Path.slug, PathTarget.position)
    )
    if competence_ids is not None:
        query = query.where(PathTarget.competence_id.in_(list(competence_ids)))
    targets = session.execute(query).all()
    teams_query = select(Team).where(Team.organisation_id == organisation_id)
    if team_ids is not None:
        teams_query = teams_query.where(Team.id.in_(list(team_ids)))
    teams = list(session.scalars(teams_query.order_by(Team.name, Team.id)))
    ids = [team.id for team in teams]
    populations = _populations(session, ids)
    # Only holdings at a target's level or above count: the lowest such level per competence.
    wanted: dict[uuid.UUID, int] = {}
    for target, _, competence in targets:
        wanted[competence.id] = min(target.level, wanted.get(competence.id, target.level))
    counts = _counts(session, organisation_id, ids, wanted, now)
    rows = []
    for target, path, competence in targets:
        cells: list[HeatCell | None] = []
        for team in teams:
            if target.team_id is not None and target.team_id != team.id:
                cells.append(None)
                continue
            by_level = counts.get((team.id, competence.id), {})
            reached = sum(n for level, n in by_level.items() if level >= target.level)
            cells.append(HeatCell(team, populations.get(team.id, 0), reached, target.share))
        rows.append(HeatRow(target, path, competence, cells))
    return HeatMap(teams=teams, rows=rows, at=now)


def _populations(session: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not team_ids:
        return {}
    rows = session.execute(
        select(TeamMember.team_id, func.count(func.distinct(TeamMember.person_id)))
        .join(Person, Person.id == TeamMember.person_id)
        .where(TeamMember.team_id.in_(team_ids), Person.active)
        .group_by(TeamMember.team_id)
    )
    return {team_id: count for team_id, count in rows}


def _counts(
    session: Session,
    organisation_id: uuid.UUID,
    team_ids: list[uuid.UUID],
    competence_ids: dict[uuid.UUID, int],
    now: datetime,
) -> dict[tuple[uuid.UUID, uuid.UUID], dict[int, int]]:
    """Active members holding each competence at its given level or above, by team and
    level.

    Each (team, person) once (a supervisor may be listed as a member too), so a plain
    count groups in a hash instead of a sort per group; the holdings are read through
    their (organisation, competence, level) index."""
    counts: dict[tuple[uuid.UUID, uuid.UUID], dict[int, int]] = defaultdict(dict)
    if not team_ids or not competence_ids:
        return counts
    members = (
        select(TeamMember.team_id, TeamMember.person_id)
        .join(Person, Person.id == TeamMember.person_id)
        .where(TeamMember.team_id.in_(team_ids), Person.active)
        .distinct()
        .subquery()
    )
    holding = CompetenceHolding
    rows = session.execute(
        select(members.c.team_id, holding.competence_id, holding.level, func.count())
        .join(holding, holding.person_id == members.c.person_id)
        .where(
            holding.organisation_id == organisation_id,
            or_(
                *(
                    and_(holding.competence_id == competence_id, holding.level >= level)
                    for competence_id, level in competence_ids.items()
                )
            ),
            valid_holding(now),
        )
        .group_by(members.c.team_id, holding.competence_id, holding.level)
    )
    for team_id, competence_id, level, count in rows:
        counts[(team_id, competence_id)][level] = count
    return counts


def find_competences(
    session: Session, organisation_id: uuid.UUID, text: str, *, limit: int = 20
) -> list[Competence]:
    """The organisation's competences whose code, ``framework-slug:code`` or name contains
    ``text`` (any case): exact codes first, then by framework and position."""
    wanted = text.strip()
    if not wanted:
        return []
    framework, colon, code = wanted.partition(":")
    pattern = f"%{_escape_like(wanted.lower())}%"
    matches = [
        func.lower(Competence.code).like(pattern, escape="\\"),
        func.lower(Competence.name).like(pattern, escape="\\"),
        func.lower(Competence.code) == wanted.lower(),
    ]
    if colon and code:
        matches.append(
            (func.lower(Framework.slug) == framework.lower())
            & (func.lower(Competence.code) == code.lower())
        )
    exact = func.lower(Competence.code) == (code if colon else wanted).lower()
    return list(
        session.scalars(
            select(Competence)
            .join(Framework, Framework.id == Competence.framework_id)
            .where(Framework.organisation_id == organisation_id, or_(*matches))
            .order_by(exact.desc(), Framework.slug, Competence.position, Competence.id)
            .limit(limit)
        )
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
