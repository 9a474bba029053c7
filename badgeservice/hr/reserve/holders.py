"""Who exactly holds a competence at a level: the holders' pages and exports, and the
competence named by id or as ``framework-slug:code``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select
from sqlalchemy.orm import Session, joinedload

from ...db import utcnow
from ...errors import BadRequest, NotFound
from ...frameworks.models import Competence, Framework
from ...people.models import Person, Team, TeamMember
from ..models import CompetenceHolding

__all__ = [
    "Holder",
    "HolderTeam",
    "day_end",
    "holders",
    "iter_holders",
    "resolve_competence",
    "valid_holding",
]


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


def valid_holding(at: datetime) -> ColumnElement[bool]:
    return or_(CompetenceHolding.valid_until.is_(None), CompetenceHolding.valid_until > at)


def day_end(day: date) -> datetime:
    """The last instant of ``day`` (UTC): a holding valid then is valid the whole day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1, microseconds=-1)


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
            valid_holding(valid_at),
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
