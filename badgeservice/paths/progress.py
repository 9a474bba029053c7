"""Path progress: which of a path's sub-goals are achieved, given the achievements the
person holds (the caller reads those; paths know nothing of credentials), and the person's
paths."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..people.models import Person, TeamMember
from .models import Path, SubGoal

__all__ = [
    "PathProgress",
    "paths_of",
    "paths_of_people",
    "progress",
]


@dataclass(frozen=True)
class PathProgress:
    path: Path
    required: list[SubGoal]
    optional: list[SubGoal]
    achieved: set[uuid.UUID]  # sub-goal ids
    held: frozenset[uuid.UUID] = frozenset()  # achievements with a valid credential

    def out_of_order(self, goal: SubGoal) -> bool:
        """Achieved while one of its prerequisites is not (the path accepted it)."""
        return goal.id in self.achieved and any(
            prerequisite.achievement_id not in self.held for prerequisite in goal.prerequisites
        )

    @property
    def complete(self) -> bool:
        return all(goal.id in self.achieved for goal in self.required)

    @property
    def share(self) -> float:
        if not self.required:
            return 1.0
        return sum(goal.id in self.achieved for goal in self.required) / len(self.required)


def paths_of(session: Session, person: Person) -> list[Path]:
    """The person's paths: the organisation paths, their teams' paths and their own.

    Filtered in the database: an organisation of 100,000 people has as many individual
    paths, and only the person's own ones are wanted."""
    teams = select(TeamMember.team_id).where(TeamMember.person_id == person.id)
    query = select(Path).where(
        Path.organisation_id == person.organisation_id,
        or_(
            Path.kind == "organisation",
            and_(Path.kind == "team", Path.team_id.in_(teams)),
            and_(Path.kind == "individual", Path.person_id == person.id),
        ),
    )
    return list(session.scalars(query.order_by(Path.slug)))


def paths_of_people(session: Session, people: Sequence[Person]) -> dict[uuid.UUID, list[Path]]:
    """:func:`paths_of` for many people at once (a worker's batch), in two queries: their
    teams, then every path any of them is on."""
    ids = [person.id for person in people]
    teams: dict[uuid.UUID, set[uuid.UUID]] = {person_id: set() for person_id in ids}
    for person_id, team_id in session.execute(
        select(TeamMember.person_id, TeamMember.team_id).where(TeamMember.person_id.in_(ids))
    ):
        teams[person_id].add(team_id)
    every_team = sorted({team for found in teams.values() for team in found})
    found = list(
        session.scalars(
            select(Path)
            .where(
                Path.organisation_id.in_(sorted({person.organisation_id for person in people})),
                or_(
                    Path.kind == "organisation",
                    and_(Path.kind == "team", Path.team_id.in_(every_team)),
                    and_(Path.kind == "individual", Path.person_id.in_(ids)),
                ),
            )
            .order_by(Path.slug)
        )
    )
    return {
        person.id: [
            path
            for path in found
            if path.organisation_id == person.organisation_id
            and (
                path.kind == "organisation"
                or (path.kind == "team" and path.team_id in teams[person.id])
                or (path.kind == "individual" and path.person_id == person.id)
            )
        ]
        for person in people
    }


def progress(
    session: Session,
    person: Person,
    path: Path,
    *,
    held: set[uuid.UUID],
    paths: list[Path] | None = None,
) -> PathProgress:
    """Progress on ``path``; an individual path includes the required sub-goals of the
    organisation and team paths the person is on. ``held``: the achievements the person
    holds a valid credential for; ``paths`` (the person's paths) may be given when computing
    several paths at once."""
    goals = list(path.sub_goals)
    if path.kind == "individual":
        for other in paths if paths is not None else paths_of(session, person):
            if other.kind != "individual":
                goals += [g for g in other.sub_goals if g.required]
    achieved = {goal.id for goal in goals if goal.achievement_id in held}
    return PathProgress(
        path=path,
        required=[g for g in goals if g.required],
        optional=[g for g in goals if not g.required],
        achieved=achieved,
        held=frozenset(held),
    )
